// #/product/{id} — description, stock, quantity, Add to Cart.
import { h, render, money, errorBox, productImage, toast, field, setFieldError } from '../ui.js';
import { api } from '../api.js';
import { cart } from '../store.js';

export async function productPage(ctx) {
  const { main } = ctx;
  const [id] = ctx.params;
  const back = h('p', { class: 'breadcrumb' }, h('a', { href: '#/', dataset: { testid: 'back' } }, '← Back to products'));
  render(main, 'Product', back, h('p', { class: 'loading' }, 'Loading…'));

  let product;
  try {
    product = await api.product(id);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    const title = e.status === 404 ? 'Product not found' : 'Could not load the product';
    render(main, title, back, h('h1', {}, title), errorBox(e.message));
    return;
  }
  if (!ctx.isCurrent()) return;
  const d = product.data;
  const out = d.stock <= 0;
  const qty = field({
    id: 'quantity', label: 'Quantity', type: 'number', value: '1',
    attrs: { min: 1, max: Math.max(1, Math.min(99, d.stock)), step: 1, inputmode: 'numeric', disabled: out || null },
  });
  const add = h('button', { class: 'btn', type: 'submit', disabled: out || null }, out ? 'Out of stock' : 'Add to Cart');
  const form = h('form', { class: 'buy-row', 'aria-label': 'Add to cart', novalidate: true }, qty.wrap, add);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = Number(qty.input.value);
    const inCart = (cart.items().find((i) => i.productId === product.id) || {}).quantity || 0;
    const max = Math.min(99, d.stock);
    if (!Number.isInteger(n) || n < 1) {
      setFieldError(qty, 'Enter a whole number of at least 1.');
      qty.input.focus();
      return;
    }
    if (n + inCart > max) {
      setFieldError(qty, inCart
        ? `Only ${max} available and ${inCart} already in your cart.`
        : `Only ${max} available.`);
      qty.input.focus();
      return;
    }
    setFieldError(qty, null);
    cart.add(product, n);
    toast(`Added ${n} × ${d.name} to your cart.`);
  });

  render(main, d.name,
    back,
    h('article', { class: 'product-detail', dataset: { testid: 'product-detail', productId: product.id } },
      productImage(product),
      h('div', {},
        h('span', { class: 'badge badge-category', dataset: { testid: 'category' } }, d.category),
        h('h1', {}, d.name),
        h('p', { class: 'price', dataset: { testid: 'price' } }, money(d.price)),
        h('p', { dataset: { testid: 'description' } }, d.description || 'No description.'),
        h('p', { class: out ? 'stock stock-out' : 'stock', dataset: { testid: 'stock' } },
          out ? 'Out of stock' : `${d.stock} in stock`),
        form,
        h('p', { class: 'hint' }, h('a', { href: '#/cart' }, 'View your cart')))));
}
