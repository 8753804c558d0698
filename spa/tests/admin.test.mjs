// The admin page: stock editing, all orders filtered by status, and
// everyone else kept out.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, screenshot, newCustomer, newProduct, archiveProduct, signIn, apiCall, getOrder,
  signInAdmin, useSession, adminSession,
} from './helpers.mjs';

async function orderUntilFinal(token, productId, zip) {
  const res = await apiCall('POST', '/api/orders', {
    token,
    body: { items: [{ productId, quantity: 1 }], shipping: { address: '9 Admin Rd', city: 'Austin', state: 'TX', zip } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const deadline = Date.now() + 90_000;
  for (;;) {
    const order = await getOrder(token, res.body.id);
    if (['delivered', 'failed', 'cancelled'].includes(order.state)) return order;
    assert.ok(Date.now() < deadline, 'order not final in time');
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('admin', () => {
  const b = useBrowser();
  let product;
  before(async () => {
    product = await newProduct({ stock: 5, price: 7, name: 'Admin Crate' });
  });
  after(async () => { if (product) await archiveProduct(product.id); });

  test('an admin changes a product stock', async () => {
    const { page } = b;
    // The form asks an admin for the authenticator's code after the password.
    await signInAdmin(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Store admin' }).waitFor();
    const row = page.locator(`[data-testid="admin-product"][data-product-id="${product.id}"]`);
    await row.waitFor();
    assert.equal(await row.getByTestId('admin-stock').innerText(), '5');
    await row.getByLabel('Change stock of Admin Crate by').fill('7');
    await row.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').filter({ hasText: 'Stock of Admin Crate is now 12.' }).waitFor();
    assert.equal(await row.getByTestId('admin-stock').innerText(), '12');
    const p = await apiCall('GET', `/api/products/${product.id}`);
    assert.equal(p.body.data.stock, 12);

    // Below zero: the API's 409 message, the stock unchanged.
    await row.getByLabel('Change stock of Admin Crate by').fill('-20');
    await row.getByRole('button', { name: 'Apply' }).click();
    await row.getByText('stock cannot go below zero').waitFor();
    assert.equal(await row.getByTestId('admin-stock').innerText(), '12');
    await row.getByLabel('Change stock of Admin Crate by').fill('-2');
    await row.getByLabel('Change stock of Admin Crate by').press('Enter');
    await page.getByRole('status').filter({ hasText: 'Stock of Admin Crate is now 10.' }).waitFor();
    await screenshot(page, 'admin');
  });

  test('an admin sees all orders, filtered by status', async () => {
    const { page } = b;
    const customer = await newCustomer();
    const delivered = await orderUntilFinal(customer.token, product.id, '94102');
    const failed = await orderUntilFinal(customer.token, product.id, '00000');
    assert.equal(delivered.state, 'delivered');
    assert.equal(failed.state, 'failed');

    await useSession(page, adminSession());
    await page.goto('/#/admin');
    const orders = page.getByTestId('orders-table');
    await page.locator(`[data-testid="order-row"][data-order-id="${delivered.id}"]`).waitFor();

    await page.getByLabel('Status').selectOption('delivered');
    await page.getByTestId('admin-orders-count').filter({ hasText: 'with status delivered' }).waitFor();
    await page.locator(`[data-testid="order-row"][data-order-id="${delivered.id}"]`).waitFor();
    assert.deepEqual([...new Set(await orders.getByTestId('order-row').evaluateAll((els) => els.map((e) => e.dataset.status)))], ['delivered']);
    assert.equal(await page.locator(`[data-testid="order-row"][data-order-id="${failed.id}"]`).count(), 0);

    await page.getByLabel('Status').selectOption('failed');
    await page.getByTestId('admin-orders-count').filter({ hasText: 'with status failed' }).waitFor();
    await page.locator(`[data-testid="order-row"][data-order-id="${failed.id}"]`).waitFor();
    assert.deepEqual([...new Set(await orders.getByTestId('order-row').evaluateAll((els) => els.map((e) => e.dataset.status)))], ['failed']);
    await screenshot(page, 'admin-orders-failed');

    // An admin can open any customer's order.
    await page.locator(`[data-testid="order-row"][data-order-id="${failed.id}"]`).getByRole('link').click();
    await page.locator('[data-testid="order-problem"][data-kind="shipping"]').waitFor();
  });

  test('a customer is kept out of the admin pages', async () => {
    const { page } = b;
    const customer = await newCustomer();
    await signIn(page, customer);
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Admin', exact: true }).count(), 0, 'no Admin link');
    await page.goto('/#/admin');
    await page.getByRole('heading', { level: 1, name: 'Access denied' }).waitFor();
    await page.getByTestId('access-denied').waitFor();
    assert.equal(await page.getByTestId('admin-products').count(), 0);
    assert.equal(await page.getByTestId('orders-table').count(), 0);
    await screenshot(page, 'admin-denied');

    // Claiming the role in the stored session changes nothing: the token's
    // signed claim (and the API) decide.
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('store.session'));
      s.user.role = 'admin';
      localStorage.setItem('store.session', JSON.stringify(s));
    });
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Access denied' }).waitFor();
    const api = await apiCall('GET', '/api/admin/orders', { token: customer.token });
    assert.equal(api.status, 403);
    const stock = await apiCall('POST', `/api/products/${product.id}/stock`, { token: customer.token, body: { delta: 1 } });
    assert.equal(stock.status, 403);
  });

  test('an anonymous visitor is sent to sign in', async () => {
    const { page } = b;
    await page.goto('/#/admin');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.match(page.url(), /next=%2Fadmin$/);
  });
});
