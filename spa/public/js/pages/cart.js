// #/cart — lines with +/−, remove, an estimated total, empty state.
// The estimate uses the catalog's current prices in integer cents; the order's
// real total is computed by the API when the order is placed.
import { h, render, money, centsToMoney, toCents, toast } from '../ui.js';
import { api } from '../api.js';
import { cart } from '../store.js';

export function estimateCents(items) {
  return items.reduce((sum, i) => sum + toCents(i.price) * i.quantity, 0);
}

/** Warnings for lines the catalog says cannot be filled (the API decides). */
export function stockWarnings(items) {
  return items
    .filter((i) => i.unavailable || (typeof i.stock === 'number' && i.quantity > i.stock))
    .map((i) => (i.unavailable
      ? `${i.name} is no longer sold.`
      : `Only ${i.stock} × ${i.name} left in stock: this order may fail as out of stock.`));
}

function emptyCart(main) {
  render(main, 'Your cart',
    h('h1', {}, 'Your cart'),
    h('div', { class: 'empty', dataset: { testid: 'empty-cart' } },
      h('p', {}, 'Your cart is empty.'),
      h('a', { class: 'btn', href: '#/' }, 'Continue shopping')));
}

export async function cartPage(ctx) {
  const { main } = ctx;
  if (!cart.items().length) {
    emptyCart(main);
    return;
  }
  // Latest prices and stock, so the estimate is current.
  try {
    const products = await api.products();
    if (!ctx.isCurrent()) return;
    cart.refresh(products);
  } catch {
    /* keep the last seen prices: it is only an estimate */
  }
  if (!ctx.isCurrent()) return;
  draw(ctx, true);
}

function draw(ctx, focusHeading) {
  const { main } = ctx;
  const items = cart.items();
  if (!items.length) {
    emptyCart(main);
    return;
  }
  const rows = items.map((i) => {
    const label = i.name;
    const dec = h('button', {
      class: 'btn btn-secondary btn-icon', type: 'button', 'aria-label': `Decrease quantity of ${label}`,
      dataset: { testid: 'decrease' },
      onclick: () => { cart.setQuantity(i.productId, i.quantity - 1); redraw(ctx, `[data-product-id="${i.productId}"] [data-testid="decrease"]`); },
    }, '−');
    const inc = h('button', {
      class: 'btn btn-secondary btn-icon', type: 'button', 'aria-label': `Increase quantity of ${label}`,
      dataset: { testid: 'increase' },
      disabled: (typeof i.stock === 'number' && i.quantity >= Math.min(99, i.stock)) || i.quantity >= 99 || null,
      onclick: () => { cart.setQuantity(i.productId, i.quantity + 1); redraw(ctx, `[data-product-id="${i.productId}"] [data-testid="increase"]`); },
    }, '+');
    const remove = h('button', {
      class: 'btn btn-danger btn-small', type: 'button', 'aria-label': `Remove ${label} from the cart`,
      dataset: { testid: 'remove' },
      onclick: () => { cart.remove(i.productId); toast(`Removed ${label} from your cart.`); redraw(ctx, 'h1'); },
    }, 'Remove');
    return h('tr', { dataset: { testid: 'cart-line', productId: i.productId } },
      h('td', { 'data-label': 'Product' }, h('a', { href: `#/product/${encodeURIComponent(i.productId)}` }, label)),
      h('td', { class: 'num', 'data-label': 'Price' }, money(i.price)),
      h('td', { 'data-label': 'Quantity' },
        h('span', { class: 'qty' }, dec,
          h('output', { 'aria-label': `Quantity of ${label}`, dataset: { testid: 'quantity' } }, String(i.quantity)),
          inc)),
      h('td', { class: 'num', 'data-label': 'Subtotal', dataset: { testid: 'line-total' } }, centsToMoney(toCents(i.price) * i.quantity)),
      h('td', { 'data-label': 'Remove' }, remove));
  });
  const warnings = stockWarnings(items);
  render(main, 'Your cart',
    h('h1', {}, 'Your cart'),
    warnings.length ? h('div', { class: 'alert alert-warn', role: 'status' }, warnings.map((w) => h('p', {}, w))) : null,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'stack' },
        h('caption', { class: 'visually-hidden' }, 'Items in your cart'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col', class: 'num' }, 'Price'),
          h('th', { scope: 'col' }, 'Quantity'), h('th', { scope: 'col', class: 'num' }, 'Subtotal'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', {}, rows),
        h('tfoot', {}, h('tr', {},
          h('td', { colspan: 3 }, 'Estimated total'),
          h('td', { class: 'num', dataset: { testid: 'cart-total' } }, centsToMoney(estimateCents(items))),
          h('td', {}))))),
    h('p', { class: 'hint' }, 'Prices are an estimate: the store confirms the total when you place the order.'),
    h('div', { class: 'cart-actions' },
      h('a', { href: '#/' }, '← Continue shopping'),
      h('a', { class: 'btn', href: '#/checkout', dataset: { testid: 'checkout' } }, 'Proceed to checkout')));
  if (!focusHeading) return;
}

/** Re-renders and keeps keyboard focus on the control that was used. */
function redraw(ctx, focusSelector) {
  draw(ctx, false);
  const target = ctx.main.querySelector(focusSelector);
  if (target && !target.disabled) target.focus();
  else {
    const h1 = ctx.main.querySelector('h1');
    if (h1) h1.focus();
  }
}
