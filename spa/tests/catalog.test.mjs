// Seed flows "catalog" (5): product grid, cards, detail, category badge,
// back navigation; plus the category filter, the name search and a missing product.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, screenshot } from './helpers.mjs';

const SEED = [
  ['prod-001', 'Mechanical Keyboard', 'Electronics', '$149.99'],
  ['prod-002', 'Wireless Mouse', 'Electronics', '$49.99'],
  ['prod-003', 'USB-C Hub', 'Electronics', '$79.99'],
  ['prod-004', 'Laptop Stand', 'Home Office', '$89.99'],
  ['prod-005', 'Desk Mat', 'Accessories', '$34.99'],
  ['prod-006', 'Cable Management Kit', 'Accessories', '$24.99'],
  ['prod-007', 'Monitor Light Bar', 'Home Office', '$59.99'],
  ['prod-008', 'IDE License Pro', 'Software', '$9.99'],
];

describe('catalog', () => {
  const b = useBrowser();

  test('the product grid lists the seed products', async () => {
    const { page } = b;
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor();
    const grid = page.getByRole('list', { name: 'Products' });
    await grid.waitFor();
    for (const [, name] of SEED) {
      await grid.getByRole('link', { name, exact: true }).waitFor();
    }
    assert.ok(await page.getByTestId('product-card').count() >= SEED.length);
    await screenshot(page, 'catalog');
  });

  test('each card shows name, category badge, price and stock', async () => {
    const { page } = b;
    await page.goto('/');
    for (const [id, name, category, price] of SEED) {
      const card = page.locator(`[data-testid="product-card"][data-product-id="${id}"]`);
      await card.waitFor();
      assert.equal(await card.getByRole('heading').innerText(), name);
      assert.equal(await card.getByTestId('category').innerText(), category);
      assert.equal(await card.getByTestId('price').innerText(), price);
      assert.match(await card.getByTestId('stock').innerText(), /^(\d+ in stock|Out of stock)$/);
    }
  });

  test('a product opens its detail page with description, price and stock', async () => {
    const { page } = b;
    await page.goto('/');
    await page.getByRole('link', { name: 'Mechanical Keyboard', exact: true }).click();
    await page.waitForURL(/#\/product\/prod-001$/);
    await page.getByRole('heading', { level: 1, name: 'Mechanical Keyboard' }).waitFor();
    const detail = page.getByTestId('product-detail');
    assert.equal(await detail.getByTestId('price').innerText(), '$149.99');
    assert.match(await detail.getByTestId('description').innerText(), /mechanical keyboard/i);
    assert.match(await detail.getByTestId('stock').innerText(), /in stock/);
    await page.getByRole('button', { name: 'Add to Cart' }).waitFor();
    await screenshot(page, 'product');
  });

  test('the category badge shows on the detail page and filters the grid', async () => {
    const { page } = b;
    await page.goto('/#/product/prod-004');
    await page.getByRole('heading', { level: 1, name: 'Laptop Stand' }).waitFor();
    assert.equal(await page.getByTestId('product-detail').getByTestId('category').innerText(), 'Home Office');

    await page.goto('/');
    await page.getByRole('list', { name: 'Products' }).waitFor();
    await page.getByLabel('Category').selectOption('Home Office');
    await page.waitForURL(/category=Home(%20|\+)Office/);
    await page.getByTestId('result-count').filter({ hasText: 'in Home Office' }).waitFor();
    const categories = await page.getByTestId('product-card').getByTestId('category').allInnerTexts();
    assert.ok(categories.length >= 2, 'the two seed Home Office products');
    assert.deepEqual([...new Set(categories)], ['Home Office']);
  });

  test('back navigation returns to the catalog', async () => {
    const { page } = b;
    await page.goto('/');
    await page.getByRole('link', { name: 'USB-C Hub', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'USB-C Hub' }).waitFor();
    await page.getByRole('link', { name: '← Back to products' }).click();
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor();
    await page.getByRole('link', { name: 'USB-C Hub', exact: true }).waitFor();
    // The browser's own back button works too (hash routing).
    await page.getByRole('link', { name: 'Desk Mat', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Desk Mat' }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor();
  });

  test('the name search asks the API and shows matches only', async () => {
    const { page } = b;
    await page.goto('/');
    await page.getByRole('list', { name: 'Products' }).waitFor();
    await page.getByLabel('Search by name').fill('mouse');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('result-count').filter({ hasText: 'matching' }).waitFor();
    const names = await page.getByTestId('product-card').getByRole('heading').allInnerTexts();
    assert.deepEqual(names, ['Wireless Mouse']);

    await page.getByLabel('Search by name').fill('no-such-thing-xyz');
    await page.getByLabel('Search by name').press('Enter');
    await page.getByText('No products found').waitFor();
    await page.getByRole('link', { name: 'Show all products' }).click();
    await page.getByRole('link', { name: 'Wireless Mouse', exact: true }).waitFor();
  });

  test('a missing product shows the API error', async () => {
    const { page } = b;
    await page.goto('/#/product/prod-does-not-exist');
    await page.getByRole('heading', { level: 1, name: 'Product not found' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'product prod-does-not-exist not found' }).waitFor();
  });

  test('the grid follows the listing\'s cursor past the first page', async () => {
    const { page } = b;
    // The real first page, then a second one the API points to: every
    // product of both is on the grid.
    const cursors = [];
    await page.route('**/api/products?*', async (route) => {
      const url = new URL(route.request().url());
      cursors.push(url.searchParams.get('cursor'));
      if (url.searchParams.get('cursor') === 'p2') {
        return route.fulfill({
          json: { items: [{ id: 'zz-page-two', state: 'active', data: { name: 'Page Two Lamp', price: 5, category: 'Test', description: 'x', image: '', stock: 3 } }], nextCursor: null },
          headers: { 'Access-Control-Allow-Origin': '*' },
        });
      }
      const response = await route.fetch();
      const body = await response.json();
      assert.equal(url.searchParams.get('limit'), '100', 'pages of the API\'s maximum');
      return route.fulfill({ response, json: { ...body, nextCursor: 'p2' } });
    });
    await page.goto('/');
    const grid = page.getByRole('list', { name: 'Products' });
    await grid.getByRole('link', { name: 'Page Two Lamp', exact: true }).waitFor();
    await grid.getByRole('link', { name: 'Mechanical Keyboard', exact: true }).waitFor();
    assert.deepEqual(cursors, [null, 'p2']);
    await page.unrouteAll({ behavior: 'ignoreErrors' });
  });
});
