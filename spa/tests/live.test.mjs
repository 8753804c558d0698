// The order page follows the order-stream function's events (fetch with the
// token, since EventSource cannot send one), says it is live, and polls the
// API instead when the stream cannot be opened or ends before a final status.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, newCustomer, newProduct, archiveProduct, signIn, apiCall, waitForStatus, SPA_URL, ORDER_DEADLINE_MS,
  CARDS, PAYS_WITH_STRIPE,
} from './helpers.mjs';

const STREAM = /\/orders\/[^/]+\/events(\?|$)/;

async function placeOrder(user, productId, paymentToken = CARDS.approved) {
  const res = await apiCall('POST', '/api/orders', {
    token: user.token,
    body: { items: [{ productId, quantity: 1 }], shipping: { address: '5 Live Ln', city: 'Denver', state: 'CO', zip: '80202' }, paymentToken },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

/** Every GET of the order's API resource, with when it was sent. */
function orderReads(page, id) {
  const reads = [];
  page.on('request', (r) => {
    if (r.method() === 'GET' && r.url().endsWith(`/api/orders/${id}`)) reads.push(Date.now());
  });
  return reads;
}

describe('live order status', () => {
  const b = useBrowser();
  let product;
  before(async () => { product = await newProduct({ stock: 50, price: 3, name: 'Live Widget' }); });
  after(async () => { if (product) await archiveProduct(product.id); });

  test('the page follows the stream and reads the order only when it changed', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    // An order that takes a while: on the simulated gateway a transient
    // payment error and its retry; on Stripe its calls take as long.
    const id = await placeOrder(user, product.id, PAYS_WITH_STRIPE ? CARDS.approved : 'tok_processingError');
    const reads = orderReads(page, id);
    const stream = page.waitForRequest((r) => STREAM.test(r.url()) && r.method() === 'GET');
    const answered = page.waitForResponse((r) => STREAM.test(r.url()) && r.request().method() === 'GET',
      { timeout: ORDER_DEADLINE_MS });
    await page.goto(`/#/orders/${id}`);
    const request = await stream;
    assert.match(request.headers().authorization || '', /^Bearer /, 'the stream is asked with the token');
    const note = page.getByTestId('poll-note');
    assert.equal(await note.getAttribute('data-mode'), 'live');
    assert.match(await note.innerText(), /^Live/);
    const response = await answered;
    const answeredAt = Date.now();
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^text\/event-stream/);
    await waitForStatus(page, 'delivered');
    // The last read after the stream shows the whole delivered order.
    await page.locator('[data-testid="poll-note"][data-mode="final"]').waitFor({ state: 'attached' });
    // Read once on load, then only when the stream said the order changed:
    // LocalStack delivers a stream whole when it ends, so no read comes
    // before its answer (a polling page reads every second).
    const whileOpen = reads.slice(1).filter((t) => t < answeredAt - 250);
    assert.equal(reads.length >= 2, true, 'the order was read again after the stream');
    assert.deepEqual(whileOpen, [], 'no read while the stream was open');
  });

  test('without the stream the page polls and still reaches Delivered', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await page.route(STREAM, (route) => route.abort('connectionrefused'));
    const id = await placeOrder(user, product.id);
    const reads = orderReads(page, id);
    await page.goto(`/#/orders/${id}`);
    await page.locator('[data-testid="poll-note"][data-mode="polling"]').waitFor();
    await waitForStatus(page, 'delivered');
    assert.ok(reads.length >= 2, 'the page polled the API');
  });

  test('a stream that ends before a final status hands over to polling', async () => {
    const { page } = b;
    const user = await newCustomer();
    await signIn(page, user);
    await page.route(STREAM, (route) => route.fulfill({
      status: 200,
      headers: { 'Content-Type': 'text/event-stream', 'Access-Control-Allow-Origin': SPA_URL },
      body: 'retry: 3000\n\nevent: end\ndata: {"reason":"cap"}\n\n',
    }));
    const id = await placeOrder(user, product.id);
    await page.goto(`/#/orders/${id}`);
    await page.locator('[data-testid="poll-note"][data-mode="polling"]').waitFor();
    await waitForStatus(page, 'delivered');
  });
});
