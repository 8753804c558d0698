// Seed flows "cart" (5): add to cart, item display, quantity +/−, remove,
// empty state; plus the cart surviving a reload (localStorage).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, screenshot, addToCart } from './helpers.mjs';

describe('cart', () => {
  const b = useBrowser();

  test('Add to Cart confirms with a toast and counts the items', async () => {
    const { page } = b;
    await page.goto('/#/product/prod-002');
    await page.getByRole('heading', { level: 1, name: 'Wireless Mouse' }).waitFor();
    assert.equal(await page.getByTestId('cart-count').innerText(), '0');
    await page.getByLabel('Quantity', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Add to Cart' }).click();
    const toast = page.getByRole('status').filter({ hasText: 'Added 2 × Wireless Mouse to your cart.' });
    await toast.waitFor();
    assert.equal(await page.getByTestId('cart-count').innerText(), '2');
    await screenshot(page, 'product-added', { toast: true });
    // An impossible quantity is refused next to the field.
    await page.getByLabel('Quantity', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Add to Cart' }).click();
    await page.getByText('Enter a whole number of at least 1.').waitFor();
    assert.equal(await page.getByTestId('cart-count').innerText(), '2');
  });

  test('the cart shows each item with price, quantity, subtotal and an estimated total', async () => {
    const { page } = b;
    await addToCart(page, 'prod-001', 1);
    await addToCart(page, 'prod-005', 2);
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Your cart' }).waitFor();
    const lines = page.getByTestId('cart-line');
    assert.equal(await lines.count(), 2);
    const keyboard = page.locator('[data-testid="cart-line"][data-product-id="prod-001"]');
    assert.equal(await keyboard.getByRole('link').innerText(), 'Mechanical Keyboard');
    assert.equal(await keyboard.getByTestId('quantity').innerText(), '1');
    assert.equal(await keyboard.getByTestId('line-total').innerText(), '$149.99');
    const mat = page.locator('[data-testid="cart-line"][data-product-id="prod-005"]');
    assert.equal(await mat.getByTestId('line-total').innerText(), '$69.98');
    assert.equal(await page.getByTestId('cart-total').innerText(), '$219.97');
    await page.getByText('Prices are an estimate').waitFor();
    await screenshot(page, 'cart');
  });

  test('+ and − change the quantity and the totals', async () => {
    const { page } = b;
    await addToCart(page, 'prod-008', 1);
    await page.goto('/#/cart');
    const line = page.locator('[data-testid="cart-line"][data-product-id="prod-008"]');
    await line.waitFor();
    await page.getByRole('button', { name: 'Increase quantity of IDE License Pro' }).click();
    await page.getByRole('button', { name: 'Increase quantity of IDE License Pro' }).click();
    assert.equal(await line.getByTestId('quantity').innerText(), '3');
    assert.equal(await page.getByTestId('cart-total').innerText(), '$29.97');
    assert.equal(await page.getByTestId('cart-count').innerText(), '3');
    // Focus stays on the button for keyboard users.
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Increase quantity of IDE License Pro');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Decrease quantity of IDE License Pro');
    await page.keyboard.press('Enter');
    assert.equal(await line.getByTestId('quantity').innerText(), '2');
    assert.equal(await page.getByTestId('cart-total').innerText(), '$19.98');
  });

  test('Remove takes the item out of the cart', async () => {
    const { page } = b;
    await addToCart(page, 'prod-006', 1);
    await addToCart(page, 'prod-007', 1);
    await page.goto('/#/cart');
    await page.getByRole('button', { name: 'Remove Cable Management Kit from the cart' }).click();
    await page.getByRole('status').filter({ hasText: 'Removed Cable Management Kit' }).waitFor();
    const lines = page.getByTestId('cart-line');
    assert.equal(await lines.count(), 1);
    assert.equal(await lines.first().getAttribute('data-product-id'), 'prod-007');
    assert.equal(await page.getByTestId('cart-total').innerText(), '$59.99');
  });

  test('an empty cart says so and links back to the products', async () => {
    const { page } = b;
    await page.goto('/#/cart');
    await page.getByTestId('empty-cart').waitFor();
    await page.getByText('Your cart is empty.').waitFor();
    await screenshot(page, 'cart-empty');
    // Emptying a cart with − also ends there.
    await addToCart(page, 'prod-003', 1);
    await page.goto('/#/cart');
    await page.getByRole('button', { name: 'Decrease quantity of USB-C Hub' }).click();
    await page.getByTestId('empty-cart').waitFor();
    await page.getByRole('link', { name: 'Continue shopping' }).click();
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor();
  });

  test('the cart survives a reload', async () => {
    const { page } = b;
    await addToCart(page, 'prod-002', 3);
    await page.reload();
    await page.goto('/#/cart');
    const line = page.locator('[data-testid="cart-line"][data-product-id="prod-002"]');
    await line.waitFor();
    assert.equal(await line.getByTestId('quantity').innerText(), '3');
  });
});
