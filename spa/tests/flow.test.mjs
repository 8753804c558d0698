// Seed flows "full flows" (3): register to delivered order, the auth
// redirect, and the orders guard.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, screenshot, newProduct, archiveProduct, uniqueEmail, fillCheckout, placeOrder,
  waitForStatus, newCustomer, PASSWORD, CARDS,
} from './helpers.mjs';

describe('full flows', () => {
  const b = useBrowser();
  let product;
  before(async () => { product = await newProduct({ stock: 30, price: 19.99, name: 'Flow Lamp' }); });
  after(async () => { if (product) await archiveProduct(product.id); });

  test('register, browse, add to cart, check out, and watch the order get delivered', async () => {
    const { page } = b;
    await page.goto('/');
    await page.getByRole('link', { name: 'Register' }).click();
    await page.getByLabel('Name').fill('Flow Customer');
    await page.getByLabel('Email').fill(uniqueEmail('flow'));
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    // Confirming the address can wait: ordering works without it.
    await page.getByRole('heading', { level: 1, name: 'Confirm your email' }).waitFor();
    await page.getByRole('link', { name: 'Later' }).click();
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor();

    // Find the product with the search, open it, add two.
    await page.getByLabel('Search by name').fill('Flow Lamp');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Flow Lamp', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Flow Lamp' }).waitFor();
    await page.getByLabel('Quantity', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Add to Cart' }).click();
    await page.getByRole('status').filter({ hasText: 'Added 2 × Flow Lamp' }).waitFor();

    await page.getByRole('link', { name: /^Cart/ }).click();
    assert.equal(await page.getByTestId('cart-total').innerText(), '$39.98');
    await page.getByRole('link', { name: 'Proceed to checkout' }).click();
    await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
    await fillCheckout(page, { token: CARDS.other.token });
    const id = await placeOrder(page);
    await waitForStatus(page, 'delivered');
    assert.equal(await page.getByTestId('order-total').innerText(), '$39.98');
    assert.equal(await page.getByTestId('card-last4').innerText(), CARDS.other.last4);
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.locator(`[data-testid="order-row"][data-order-id="${id}"][data-status="delivered"]`).waitFor();
  });

  test('a protected page sends an anonymous visitor to sign in, then back', async () => {
    const { page } = b;
    const user = await newCustomer();
    await page.goto('/#/profile');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.match(page.url(), /#\/login\?next=%2Fprofile$/);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor();
    assert.equal(await page.getByTestId('profile-email').innerText(), user.email);
  });

  test('the orders pages are guarded: anonymous visitors and other customers see nothing', async () => {
    const { page } = b;
    await page.goto('/#/orders');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.match(page.url(), /next=%2Forders$/);
    assert.equal(await page.getByTestId('order-row').count(), 0);

    // Someone else's order: the API says 404 and the page shows it.
    const owner = await newCustomer();
    const placed = await fetch(`${process.env.STORE_API_URL}/api/orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${owner.token}` },
      body: JSON.stringify({ items: [{ productId: product.id, quantity: 1 }], shipping: { address: '1 A St', city: 'B', state: 'CA', zip: '94102' } }),
    }).then((r) => r.json());
    const other = await newCustomer();
    await page.getByLabel('Email').fill(other.email);
    await page.getByLabel('Password').fill(other.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your orders' }).waitFor();
    await page.getByTestId('no-orders').waitFor();
    await page.goto(`/#/orders/${placed.id}`);
    await page.getByRole('heading', { level: 1, name: 'Order not found' }).waitFor();
    await page.getByRole('alert').filter({ hasText: `order ${placed.id} not found` }).waitFor();
    await screenshot(page, 'order-not-found');
  });
});
