// #/ — the product grid with a category filter and a name search
// (both answered by the API: GET /api/products?category=&q=).
import { h, render, money, errorBox, productImage, field } from '../ui.js';
import { api } from '../api.js';

export function productCard(product) {
  const d = product.data;
  const out = d.stock <= 0;
  return h('li', {},
    h('article', { class: 'product-card', dataset: { testid: 'product-card', productId: product.id } },
      productImage(product),
      h('span', { class: 'badge badge-category', dataset: { testid: 'category' } }, d.category),
      h('h2', {}, h('a', { href: `#/product/${encodeURIComponent(product.id)}` }, d.name)),
      h('p', { class: 'price', dataset: { testid: 'price' } }, money(d.price)),
      h('p', { class: out ? 'stock stock-out' : 'stock', dataset: { testid: 'stock' } },
        out ? 'Out of stock' : `${d.stock} in stock`)));
}

export async function catalogPage(ctx) {
  const { main, query } = ctx;
  const category = query.get('category') || '';
  const q = query.get('q') || '';

  const search = field({ id: 'search', label: 'Search by name', type: 'search', value: q, attrs: { placeholder: 'e.g. keyboard' } });
  const categoryField = field({ id: 'category', label: 'Category', type: 'select' });
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const results = h('div', { dataset: { testid: 'results' } }, h('p', { class: 'loading' }, 'Loading products…'));

  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter products' },
    search.wrap, categoryField.wrap,
    h('button', { class: 'btn', type: 'submit' }, 'Search'));

  render(main, 'Products',
    h('h1', {}, 'Products'),
    form, status, results);

  // Categories from the whole catalog (one request), then the filtered list.
  let all;
  try {
    all = await api.products();
  } catch (e) {
    if (!ctx.isCurrent()) return;
    results.replaceChildren(errorBox(`Could not load the products: ${e.message}`));
    return;
  }
  if (!ctx.isCurrent()) return;
  const categories = [...new Set(all.map((p) => p.data.category))].sort((a, b) => a.localeCompare(b));
  categoryField.input.replaceChildren(
    h('option', { value: '' }, 'All categories'),
    ...categories.map((c) => h('option', { value: c, selected: c === category || null }, c)));
  categoryField.input.value = category;

  const apply = () => {
    const params = new URLSearchParams();
    if (search.input.value.trim()) params.set('q', search.input.value.trim());
    if (categoryField.input.value) params.set('category', categoryField.input.value);
    const qs = params.toString();
    ctx.navigate(qs ? `/?${qs}` : '/');
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  categoryField.input.addEventListener('change', apply);

  let products = all;
  if (category || q) {
    try {
      products = await api.products({ category, q });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      results.replaceChildren(errorBox(e.message));
      return;
    }
    if (!ctx.isCurrent()) return;
  }
  const summary = `${products.length} product${products.length === 1 ? '' : 's'}`
    + (category ? ` in ${category}` : '') + (q ? ` matching “${q}”` : '');
  status.textContent = summary;
  if (!products.length) {
    results.replaceChildren(h('div', { class: 'empty' },
      h('p', {}, `No products found${q ? ` for “${q}”` : ''}.`),
      h('a', { href: '#/' }, 'Show all products')));
    return;
  }
  results.replaceChildren(
    h('p', { class: 'hint', dataset: { testid: 'result-count' } }, summary),
    h('ul', { class: 'product-grid', 'aria-label': 'Products' }, products.map(productCard)));
}
