// #/admin — admins only: products with stock editing, all orders by status.
// The page checks the role twice (the token's claim, then the profile); the
// API enforces it anyway (403 for anyone else).
import { h, render, money, errorBox, field, toast, STATUS_LABELS } from '../ui.js';
import { api } from '../api.js';
import { session } from '../store.js';
import { ordersTable } from './orders.js';

function denied(ctx) {
  render(ctx.main, 'Access denied',
    h('h1', {}, 'Access denied'),
    h('div', { class: 'alert alert-error', role: 'alert', dataset: { testid: 'access-denied' } },
      h('p', {}, 'This page is for store administrators only.')),
    h('p', {}, h('a', { href: '#/' }, 'Back to the products')));
}

export async function adminPage(ctx) {
  const { main } = ctx;
  if (!session.isAdmin()) {
    denied(ctx);
    return;
  }
  render(main, 'Admin', h('h1', {}, 'Store admin'), h('p', { class: 'loading' }, 'Checking your access…'));
  try {
    const me = await api.profile();
    if (!ctx.isCurrent()) return;
    if (me.role !== 'admin') {
      denied(ctx);
      return;
    }
  } catch (e) {
    if (!ctx.isCurrent()) return;
    render(main, 'Admin', h('h1', {}, 'Store admin'), errorBox(e.message));
    return;
  }

  const productsSlot = h('div', {}, h('p', { class: 'loading' }, 'Loading products…'));
  const ordersSlot = h('div', {}, h('p', { class: 'loading' }, 'Loading orders…'));
  const statusFilter = field({ id: 'status-filter', label: 'Status', type: 'select' });
  statusFilter.input.replaceChildren(
    h('option', { value: '' }, 'All statuses'),
    ...Object.entries(STATUS_LABELS).map(([value, label]) => h('option', { value }, `${label} (${value})`)));
  statusFilter.input.value = ctx.query.get('status') || '';
  const refresh = h('button', { class: 'btn btn-secondary', type: 'button' }, 'Refresh');

  render(main, 'Admin',
    h('h1', {}, 'Store admin'),
    h('section', { 'aria-labelledby': 'products-title' },
      h('h2', { id: 'products-title' }, 'Products and stock'),
      h('p', { class: 'hint' }, 'Stock changes are relative and atomic: enter +10 to receive goods or -2 to write off.'),
      productsSlot),
    h('section', { 'aria-labelledby': 'orders-title' },
      h('h2', { id: 'orders-title' }, 'All orders'),
      h('div', { class: 'toolbar' }, statusFilter.wrap, refresh),
      ordersSlot));

  loadProducts(ctx, productsSlot);
  const loadOrders = async () => {
    ordersSlot.replaceChildren(h('p', { class: 'loading' }, 'Loading orders…'));
    try {
      const orders = await api.adminOrders(statusFilter.input.value);
      if (!ctx.isCurrent()) return;
      ordersSlot.replaceChildren(
        h('p', { class: 'hint', role: 'status', dataset: { testid: 'admin-orders-count' } },
          `${orders.length} order${orders.length === 1 ? '' : 's'}${statusFilter.input.value ? ` with status ${statusFilter.input.value}` : ''} (newest first).`),
        orders.length ? ordersTable(orders, true) : h('div', { class: 'empty' }, h('p', {}, 'No orders.')));
    } catch (e) {
      if (!ctx.isCurrent()) return;
      ordersSlot.replaceChildren(errorBox(e.message));
    }
  };
  statusFilter.input.addEventListener('change', loadOrders);
  refresh.addEventListener('click', loadOrders);
  loadOrders();
}

async function loadProducts(ctx, slot) {
  let products;
  try {
    products = await api.products();
  } catch (e) {
    if (!ctx.isCurrent()) return;
    slot.replaceChildren(errorBox(e.message));
    return;
  }
  if (!ctx.isCurrent()) return;
  products.sort((a, b) => a.id.localeCompare(b.id));
  slot.replaceChildren(h('div', { class: 'table-wrap' },
    h('table', { class: 'stack', dataset: { testid: 'admin-products' } },
      h('caption', { class: 'visually-hidden' }, 'Products'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col' }, 'Category'),
        h('th', { scope: 'col', class: 'num' }, 'Price'), h('th', { scope: 'col', class: 'num' }, 'Stock'),
        h('th', { scope: 'col' }, 'Adjust stock'))),
      h('tbody', {}, products.map(productRow)))));
}

function productRow(product) {
  const d = product.data;
  const stockCell = h('td', { class: 'num', 'data-label': 'Stock', dataset: { testid: 'admin-stock' } }, String(d.stock));
  const inputId = `delta-${product.id}`;
  const input = h('input', {
    id: inputId, class: 'input', type: 'number', step: 1, value: '', inputmode: 'numeric', placeholder: '±0',
    'aria-describedby': `${inputId}-msg`,
  });
  const message = h('span', { id: `${inputId}-msg`, class: 'field-error', role: 'status' });
  const apply = h('button', { class: 'btn btn-small', type: 'submit' }, 'Apply');
  const form = h('form', { class: 'stock-form', novalidate: true, dataset: { testid: 'stock-form' } },
    h('label', { for: inputId, class: 'visually-hidden' }, `Change stock of ${d.name} by`),
    input, apply, message);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const delta = Number(input.value);
    if (!input.value.trim() || !Number.isInteger(delta) || delta === 0) {
      message.textContent = 'Enter a whole number other than 0, e.g. 5 or -2.';
      input.focus();
      return;
    }
    message.textContent = '';
    apply.disabled = true;
    try {
      const updated = await api.adjustStock(product.id, delta);
      stockCell.textContent = String(updated.data.stock);
      input.value = '';
      toast(`Stock of ${updated.data.name} is now ${updated.data.stock}.`);
    } catch (err) {
      message.textContent = err.message;
    } finally {
      apply.disabled = false;
    }
  });
  return h('tr', { dataset: { testid: 'admin-product', productId: product.id } },
    h('td', { 'data-label': 'Product' },
      h('a', { href: `#/product/${encodeURIComponent(product.id)}` }, d.name),
      h('br'), h('small', { class: 'mono' }, product.id)),
    h('td', { 'data-label': 'Category' }, d.category),
    h('td', { class: 'num', 'data-label': 'Price' }, money(d.price)),
    stockCell,
    h('td', { 'data-label': 'Adjust stock' }, form));
}
