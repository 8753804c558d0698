// The order detail page against the real pipeline: the timeline reaching
// Delivered without a reload, processing details, declined payment, out of
// stock, failed shipping, a transient payment error, and cancel.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, screenshot, newCustomer, newProduct, archiveProduct, signIn, addToCart,
  fillCheckout, placeOrder, waitForStatus, getOrder, apiCall, adminToken, CARDS, SIMULATED_ONLY,
} from './helpers.mjs';

const STAGES = ['created', 'checking', 'inventory', 'payment', 'paid', 'shipping', 'shipped', 'delivered'];

async function stageStates(page) {
  return page.locator('[data-testid="timeline"] li').evaluateAll((els) => els.map((e) => [e.dataset.stage, e.dataset.state]));
}

/** Signs a new customer in and puts `qty` of the product in the cart, at checkout. */
async function atCheckout(page, product, qty = 1) {
  const user = await newCustomer();
  await signIn(page, user);
  await addToCart(page, product.id, qty);
  await page.goto('/#/checkout');
  await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
  return user;
}

describe('order pipeline in the browser', () => {
  const b = useBrowser();
  const made = [];
  let product;
  before(async () => {
    product = await newProduct({ stock: 200, price: 5, name: 'Pipeline Gadget' });
    made.push(product.id);
  });
  after(async () => { for (const id of made) await archiveProduct(id); });

  test('the timeline updates by itself up to Delivered, with the processing details', async () => {
    const { page } = b;
    const user = await atCheckout(page, product, 1);
    await fillCheckout(page, { token: CARDS.approved });
    const gets = [];
    page.on('request', (r) => {
      if (r.method() === 'GET' && /\/api\/orders\/[^/?]+$/.test(r.url())) gets.push(Date.now());
    });
    const id = await placeOrder(page);
    // Anything that reloads the document would drop this marker.
    await page.evaluate(() => {
      window.__sameDocument = true;
      window.__seen = [];
      const slot = document.querySelector('[data-testid="order-status"]');
      const record = () => {
        const s = slot.querySelector('[data-status]');
        if (s && window.__seen[window.__seen.length - 1] !== s.dataset.status) window.__seen.push(s.dataset.status);
      };
      record();
      new MutationObserver(record).observe(slot, { childList: true, subtree: true });
    });
    await waitForStatus(page, 'delivered');
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
    const seen = await page.evaluate(() => window.__seen);
    assert.equal(seen[seen.length - 1], 'delivered');
    assert.ok(gets.length >= 2, `the page polled the order (${gets.length} GETs)`);
    assert.deepEqual(await stageStates(page), STAGES.map((s) => [s, 'done']));
    const labels = await page.locator('[data-testid="timeline"] .stage-label').allInnerTexts();
    assert.deepEqual(labels, ['Created', 'Checking Inventory', 'Inventory OK', 'Processing Payment', 'Payment OK', 'Shipping', 'Shipped', 'Delivered']);

    const order = await getOrder(user.token, id);
    assert.equal(await page.getByTestId('transaction-id').innerText(), order.data.payment.transactionId);
    assert.equal(await page.getByTestId('card-last4').innerText(), '4242');
    assert.equal(await page.getByTestId('payment-state').innerText(), 'Captured');
    assert.equal(await page.getByTestId('carrier').innerText(), order.data.shipment.carrier);
    assert.equal(await page.getByTestId('tracking-number').innerText(), order.data.shipment.trackingNumber);
    assert.ok((await page.getByTestId('eta').innerText()).length > 0);
    assert.equal(await page.getByTestId('cancel-order').count(), 0, 'no Cancel once delivered');
    assert.equal(await page.getByTestId('order-problem').count(), 0);
    assert.doesNotMatch(await page.locator('main').innerText(), /\b(null|undefined|NaN)\b/);
    // Polling stops at a final status.
    const before = gets.length;
    await page.waitForTimeout(2500);
    assert.ok(gets.length - before <= 1, 'no polling after Delivered');
    await screenshot(page, 'order-delivered');
    console.log(`# statuses shown while the page was open: ${seen.join(' → ')}`);
  });

  test('a declined payment is shown clearly', async () => {
    const { page } = b;
    await atCheckout(page, product, 1);
    await fillCheckout(page, { token: CARDS.declined });
    await placeOrder(page);
    await waitForStatus(page, 'failed');
    const problem = page.getByTestId('order-problem');
    assert.equal(await problem.getAttribute('data-kind'), 'payment');
    assert.equal(await problem.getAttribute('role'), 'alert');
    assert.equal(await problem.getByRole('heading').innerText(), 'Payment declined');
    assert.match(await problem.innerText(), /PaymentDeclined/);
    const states = Object.fromEntries(await stageStates(page));
    assert.equal(states.payment, 'error');
    assert.equal(states.inventory, 'done');
    assert.equal(states.paid, 'skipped');
    assert.equal(await page.getByTestId('transaction-id').count(), 0, 'nothing was charged');
    await page.getByTestId('history').getByText('Payment declined').first().waitFor();
    await screenshot(page, 'order-payment-declined');
  });

  test('insufficient funds is a declined payment too (simulated gateway)', { skip: SIMULATED_ONLY }, async () => {
    const { page } = b;
    await atCheckout(page, product, 1);
    await fillCheckout(page, { token: 'tok_chargeDeclinedInsufficientFunds' });
    await placeOrder(page);
    await waitForStatus(page, 'failed');
    assert.equal(await page.getByTestId('order-problem').getAttribute('data-kind'), 'payment');
  });

  test('out of stock is shown clearly and nothing is charged', async () => {
    const { page } = b;
    const scarce = await newProduct({ stock: 2, price: 3, name: 'Scarce Thing' });
    made.push(scarce.id);
    const user = await newCustomer();
    await signIn(page, user);
    await addToCart(page, scarce.id, 2);
    // Someone else buys one meanwhile: the stock is now 1 and the cart wants 2.
    const admin = await adminToken();
    const adj = await apiCall('POST', `/api/products/${scarce.id}/stock`, { token: admin, body: { delta: -1 } });
    assert.equal(adj.status, 200);
    assert.equal(adj.body.data.stock, 1);
    await page.goto('/#/checkout');
    await page.getByText('Only 1 × Scarce Thing left in stock').waitFor();
    await fillCheckout(page);
    await placeOrder(page);
    await waitForStatus(page, 'failed');
    const problem = page.getByTestId('order-problem');
    assert.equal(await problem.getAttribute('data-kind'), 'out_of_stock');
    assert.equal(await problem.getByRole('heading').innerText(), 'Out of stock');
    const states = Object.fromEntries(await stageStates(page));
    assert.equal(states.checking, 'error');
    assert.equal(states.payment, 'skipped');
    assert.equal(await page.getByTestId('transaction-id').count(), 0);
    const p = await apiCall('GET', `/api/products/${scarce.id}`);
    assert.equal(p.body.data.stock, 1, 'nothing was reserved');
    await screenshot(page, 'order-out-of-stock');
  });

  test('a failed shipment is shown clearly, with the payment hold released', async () => {
    const { page } = b;
    await atCheckout(page, product, 1);
    await fillCheckout(page, { zip: '00000' });
    await placeOrder(page);
    await waitForStatus(page, 'failed');
    const problem = page.getByTestId('order-problem');
    assert.equal(await problem.getAttribute('data-kind'), 'shipping');
    assert.equal(await problem.getByRole('heading').innerText(), 'Shipping failed');
    assert.match(await problem.innerText(), /payment hold released/);
    const states = Object.fromEntries(await stageStates(page));
    assert.equal(states.paid, 'done');
    assert.equal(states.shipping, 'error');
    assert.equal(states.delivered, 'skipped');
    await page.getByTestId('transaction-id').waitFor();
    assert.match(await page.getByTestId('payment-state').innerText(), /^Voided/, 'nothing was taken');
    await screenshot(page, 'order-shipping-failed');
  });

  test('a transient payment error is retried and the order is delivered (simulated gateway)', { skip: SIMULATED_ONLY }, async () => {
    const { page } = b;
    await atCheckout(page, product, 1);
    await fillCheckout(page, { token: 'tok_processingError' });
    await placeOrder(page);
    await waitForStatus(page, 'delivered');
    assert.equal(await page.getByTestId('card-last4').innerText(), '0119');
    assert.equal(await page.getByTestId('order-problem').count(), 0);
  });

  test('Cancel cancels an order that has not been paid yet', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    // The local pipeline is fast: the button exists only while the order is
    // new, validating or validated. Try a few orders until one is caught in time.
    let cancelledId = null;
    const outcomes = [];
    for (let attempt = 1; attempt <= 4 && !cancelledId; attempt += 1) {
      await addToCart(page, product.id, 1);
      await page.goto('/#/checkout');
      await fillCheckout(page);
      const id = await placeOrder(page);
      const button = page.getByTestId('cancel-order');
      if (await button.count() === 0) {
        outcomes.push('too late before the first render');
        continue;
      }
      await button.click();
      const result = await Promise.race([
        page.locator('[data-testid="order-status"] [data-status="cancelled"]').waitFor({ timeout: 15_000 }).then(() => 'cancelled'),
        page.getByRole('alert').filter({ hasText: 'Could not cancel' }).waitFor({ timeout: 15_000 }).then(() => 'refused'),
      ]);
      outcomes.push(result);
      if (result === 'cancelled') cancelledId = id;
      else await page.getByRole('alert').filter({ hasText: 'order can no longer be cancelled' }).waitFor();
    }
    assert.ok(cancelledId, `no order could be cancelled in time: ${outcomes.join(', ')}`);
    const problem = page.getByTestId('order-problem');
    assert.equal(await problem.getAttribute('data-kind'), 'cancelled');
    assert.equal(await problem.getByRole('heading').innerText(), 'Order cancelled');
    await page.getByRole('status').filter({ hasText: 'Your order was cancelled.' }).waitFor();
    assert.equal(await page.getByTestId('cancel-order').count(), 0);
    // It stays cancelled: the pipeline gives back what it reserved and stops.
    await page.waitForTimeout(2000);
    assert.equal((await getOrder(user.token, cancelledId)).state, 'cancelled');
    assert.equal(await page.locator('[data-testid="order-status"] [data-status]').getAttribute('data-status'), 'cancelled');
    await screenshot(page, 'order-cancelled');
    console.log(`# cancel attempts: ${outcomes.join(', ')}`);
  });

  test('Cancel after payment shows the API refusal (422)', async () => {
    const { page } = b;
    const user = await newCustomer();
    const res = await apiCall('POST', '/api/orders', {
      token: user.token,
      body: { items: [{ productId: product.id, quantity: 1 }], shipping: { address: '1 A St', city: 'B', state: 'CA', zip: '94102' } },
    });
    assert.equal(res.status, 201);
    const id = res.body.id;
    const deadline = Date.now() + 90_000;
    while ((await getOrder(user.token, id)).state !== 'delivered') {
      assert.ok(Date.now() < deadline, 'order not delivered in time');
      await new Promise((r) => setTimeout(r, 300));
    }
    await signIn(page, user);
    // Show the page an out-of-date "validated" (twice), as if it had loaded a
    // moment earlier; the real API then refuses the cancel.
    let faked = 0;
    await page.route(`**/api/orders/${id}`, async (route) => {
      if (faked >= 2 || route.request().method() !== 'GET') return route.continue();
      faked += 1;
      const response = await route.fetch();
      const body = await response.json();
      body.state = 'validated';
      body.data.timeline = body.data.timeline.slice(0, 3);
      delete body.data.payment;
      delete body.data.shipment;
      return route.fulfill({ response, json: body });
    });
    await page.goto(`/#/orders/${id}`);
    await page.getByTestId('cancel-order').click();
    await page.getByRole('alert').filter({ hasText: 'Could not cancel: order can no longer be cancelled: it is delivered' }).waitFor();
    // The page keeps following the order and catches up with the truth.
    await waitForStatus(page, 'delivered', 10_000);
    await page.unrouteAll({ behavior: 'ignoreErrors' });
  });
});
