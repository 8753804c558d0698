// Seed flows "checkout" (5): place order, order history, status, cart
// cleared, auth guard; plus the form's own checks and the API's message for a
// product that no longer exists.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, screenshot, newCustomer, newProduct, archiveProduct, signIn, addToCart,
  fillCheckout, placeOrder, getOrder, waitForStatus,
} from './helpers.mjs';

describe('checkout', () => {
  const b = useBrowser();
  let product;
  before(async () => { product = await newProduct({ stock: 50, price: 12.5, name: 'Checkout Widget' }); });
  after(async () => { if (product) await archiveProduct(product.id); });

  test('Place Order creates the order and shows its page with the API total', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await addToCart(page, product.id, 2);
    await page.goto('/#/checkout');
    await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
    const summary = page.getByTestId('order-summary');
    await summary.getByText('2 × Checkout Widget').waitFor();
    assert.equal(await page.getByTestId('estimate').innerText(), '$25.00');
    await fillCheckout(page);
    await screenshot(page, 'checkout');
    const id = await placeOrder(page);
    await page.getByRole('heading', { level: 1, name: /^Order #/ }).waitFor();
    assert.equal(await page.getByTestId('order-id').innerText(), id);
    const order = await getOrder(user.token, id);
    assert.equal(order.data.total, 25);
    assert.equal(await page.getByTestId('order-total').innerText(), '$25.00');
    assert.deepEqual(order.data.items.map((i) => [i.productId, i.quantity]), [[product.id, 2]]);
    assert.deepEqual(order.data.shipping, { address: '1 Market St', city: 'San Francisco', state: 'CA', zip: '94102' });
    await page.getByRole('status').filter({ hasText: 'Order placed. Total $25.00.' }).waitFor();
  });

  test('the order history lists the order, newest first', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await page.goto('/#/orders');
    await page.getByTestId('no-orders').waitFor();
    const ids = [];
    for (const qty of [1, 3]) {
      await addToCart(page, product.id, qty);
      await page.goto('/#/checkout');
      await fillCheckout(page);
      ids.push(await placeOrder(page));
    }
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Your orders' }).waitFor();
    const rows = page.getByTestId('order-row');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.dataset.orderId)), ids.reverse());
    assert.match(await rows.first().innerText(), /3 × Checkout Widget/);
    assert.match(await rows.first().innerText(), /\$37\.50/);
    await rows.first().getByRole('link').click();
    await page.waitForURL(new RegExp(`#/orders/${ids[0]}$`));
  });

  test('the order shows its status, which the orders list shows as a badge', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await addToCart(page, product.id, 1);
    await page.goto('/#/checkout');
    await fillCheckout(page);
    const id = await placeOrder(page);
    const badge = page.getByTestId('order-status').locator('[data-status]');
    await badge.waitFor();
    assert.match(await badge.innerText(), /Created|Checking inventory|Inventory OK|Processing payment|Payment OK|Shipping|Shipped|Delivered/);
    await waitForStatus(page, 'delivered');
    assert.equal(await badge.innerText(), 'Delivered');
    await page.goto('/#/orders');
    const row = page.locator(`[data-testid="order-row"][data-order-id="${id}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'delivered');
    assert.equal(await row.locator('.status-badge').innerText(), 'Delivered');
    await screenshot(page, 'orders');
  });

  test('the cart is empty after the order is placed', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await addToCart(page, product.id, 1);
    assert.equal(await page.getByTestId('cart-count').innerText(), '1');
    await page.goto('/#/checkout');
    await fillCheckout(page);
    await placeOrder(page);
    assert.equal(await page.getByTestId('cart-count').innerText(), '0');
    await page.goto('/#/cart');
    await page.getByTestId('empty-cart').waitFor();
  });

  test('checkout asks an anonymous visitor to sign in and comes back', async () => {
    const { page } = b;
    const user = await newCustomer();
    await addToCart(page, product.id, 1);
    await page.goto('/#/cart');
    await page.getByRole('link', { name: 'Proceed to checkout' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByText('Please sign in to continue.').waitFor();
    assert.match(page.url(), /#\/login\?next=%2Fcheckout$/);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
    await page.getByTestId('order-summary').getByText('1 × Checkout Widget').waitFor();
  });

  test('missing shipping fields are flagged; API errors are shown, not hidden', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await addToCart(page, product.id, 1);
    await page.goto('/#/checkout');
    await page.getByRole('button', { name: 'Place Order' }).click();
    await page.getByText('Street address is required.').waitFor();
    await page.getByText('ZIP code is required.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'address');
    // A cart line the catalog no longer sells: the API refuses, the page says why.
    await page.evaluate(() => {
      const cart = JSON.parse(localStorage.getItem('store.cart'));
      cart.push({ productId: 'prod-gone-forever', name: 'Gone', price: 1, quantity: 1 });
      localStorage.setItem('store.cart', JSON.stringify(cart));
    });
    await page.reload();
    await fillCheckout(page);
    await page.getByRole('button', { name: 'Place Order' }).click();
    const alert = page.getByTestId('checkout-error').getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.innerText(), 'Your order was not placed: unknown product: prod-gone-forever');
    assert.match(page.url(), /#\/checkout$/);
    await screenshot(page, 'checkout-error');
  });
});
