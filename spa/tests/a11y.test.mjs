// Accessibility basics and phone width: keyboard use with visible focus,
// labelled controls, one h1 per page, no horizontal scrolling at 390 px.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, screenshot, newCustomer, newProduct, archiveProduct, signIn, addToCart, fillCheckout, placeOrder, waitForStatus, CARDS, PAYS_WITH_STRIPE,
} from './helpers.mjs';

/** Controls without an accessible name, and the page's h1 count. */
async function audit(page) {
  return page.evaluate(() => {
    const unlabelled = [];
    for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) {
      if (el.type === 'hidden' || el.closest('[hidden]')) continue;
      const name = el.getAttribute('aria-label')
        || (el.labels && [...el.labels].map((l) => l.textContent).join(' '))
        || el.closest('label')?.textContent
        || el.textContent;
      if (!name || !name.trim()) unlabelled.push(el.outerHTML.slice(0, 80));
    }
    return { unlabelled, h1: document.querySelectorAll('h1').length, lang: document.documentElement.lang };
  });
}

async function noHorizontalScroll(page) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `page is ${scroll}px wide in a ${width}px viewport`);
}

describe('accessibility', () => {
  const b = useBrowser();
  let product;
  before(async () => { product = await newProduct({ stock: 20, price: 4.25, name: 'Keyboard Test Item' }); });
  after(async () => { if (product) await archiveProduct(product.id); });

  test('keyboard: skip link, tab to a product, Enter opens it, focus is visible', async () => {
    const { page } = b;
    await page.goto('/');
    await page.getByRole('list', { name: 'Products' }).waitFor();
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => ({ text: document.activeElement.textContent, top: document.activeElement.getBoundingClientRect().top }));
    assert.equal(skip.text, 'Skip to content');
    assert.ok(skip.top >= 0, 'the skip link is on screen when focused');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    // Through the filters to the first product link.
    for (let i = 0; i < 10; i += 1) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => !!document.activeElement.closest('[data-testid="product-card"]'))) break;
    }
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const card = el.closest('[data-testid="product-card"]');
      const style = getComputedStyle(card);
      return { name: el.textContent, outline: style.outlineStyle, width: style.outlineWidth };
    });
    assert.notEqual(focused.outline, 'none', 'the focused card shows an outline');
    assert.notEqual(focused.width, '0px');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: focused.name }).waitFor();
    // Focus moved to the new page's heading, for screen readers.
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
  });

  test('every page has one h1 and no unlabelled control', async () => {
    const { page } = b;
    const user = await newCustomer();
    for (const route of ['/', '/#/product/prod-001', '/#/login', '/#/register', '/#/cart', '/#/forgot-password', '/#/reset-password']) {
      await page.goto(route);
      await page.locator('h1').waitFor();
      await page.waitForLoadState('networkidle');
      const a = await audit(page);
      assert.equal(a.lang, 'en');
      assert.equal(a.h1, 1, `${route}: one h1`);
      assert.deepEqual(a.unlabelled, [], `${route}: unlabelled controls`);
    }
    await signIn(page, user);
    await addToCart(page, product.id, 1);
    for (const route of ['/#/cart', '/#/checkout', '/#/profile', '/#/orders', '/#/verify-email']) {
      await page.goto(route);
      await page.locator('h1').waitFor();
      await page.waitForLoadState('networkidle');
      const a = await audit(page);
      assert.equal(a.h1, 1, `${route}: one h1`);
      assert.deepEqual(a.unlabelled, [], `${route}: unlabelled controls`);
    }
    // The payment choice is a real radio group inside a fieldset with a legend.
    await page.goto('/#/checkout');
    const group = page.getByRole('group', { name: 'Payment method (test cards)' });
    await group.waitFor();
    assert.equal(await group.getByRole('radio').count(), CARDS.offered, 'every test card of the provider');
    await group.getByRole('radio', { name: PAYS_WITH_STRIPE ? /Card ending 0341/ : /Card ending 0002/ }).check();
  });

});

describe('at phone width', () => {
  const phone = useBrowser({ viewport: { width: 390, height: 844 } });
  let product;
  before(async () => { product = await newProduct({ stock: 20, price: 4.25, name: 'Phone Test Item' }); });
  after(async () => { if (product) await archiveProduct(product.id); });

  test('catalog, cart, checkout and order pages fit a phone', async () => {
    const { page } = phone;
    const user = await newCustomer();
    await page.goto('/');
    await page.getByRole('list', { name: 'Products' }).waitFor();
    await noHorizontalScroll(page);
    await screenshot(page, 'mobile-catalog');
    await signIn(page, user);
    await addToCart(page, product.id, 2);
    await page.goto('/#/cart');
    await page.getByTestId('cart-line').waitFor();
    await noHorizontalScroll(page);
    await screenshot(page, 'mobile-cart');
    await page.goto('/#/checkout');
    await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
    await noHorizontalScroll(page);
    await fillCheckout(page);
    await placeOrder(page);
    await waitForStatus(page, 'delivered');
    await noHorizontalScroll(page);
    await screenshot(page, 'mobile-order');
  });
});
