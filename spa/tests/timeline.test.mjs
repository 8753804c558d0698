// The order page's mapping of statuses onto the seed's eight stages and its
// error states, as plain functions (no browser, no API).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

globalThis.window = { STORE_CONFIG: {}, addEventListener() {} };
globalThis.localStorage = { getItem: () => null, setItem() {}, removeItem() {} };
const { stageStates, problemOf } = await import('../public/js/pages/orders.js');

const order = (state, statuses, extra = {}) => ({
  state,
  data: { timeline: statuses.map((status) => ({ status, reason: `${status} reason`, at: '2026-01-01T00:00:00Z' })), ...extra },
});
const states = (o) => stageStates(o).map((s) => s.state).join(' ');
const HAPPY = ['new', 'validating', 'validated', 'paying', 'paid', 'shipping', 'shipped', 'delivered'];

describe('timeline stages', () => {
  test('each running status shows what is done and what is in progress', () => {
    assert.equal(states(order('new', ['new'])), 'done current pending pending pending pending pending pending');
    assert.equal(states(order('validating', HAPPY.slice(0, 2))), 'done current pending pending pending pending pending pending');
    assert.equal(states(order('validated', HAPPY.slice(0, 3))), 'done done done current pending pending pending pending');
    assert.equal(states(order('paying', HAPPY.slice(0, 4))), 'done done done current pending pending pending pending');
    assert.equal(states(order('paid', HAPPY.slice(0, 5))), 'done done done done done current pending pending');
    assert.equal(states(order('shipped', HAPPY.slice(0, 7))), 'done done done done done done done current');
    assert.equal(states(order('delivered', HAPPY)), 'done done done done done done done done');
  });

  test('retries and failures are marked on the stage they belong to', () => {
    assert.equal(states(order('payment_failed', [...HAPPY.slice(0, 4), 'payment_failed'])), 'done done done retrying pending pending pending pending');
    assert.equal(states(order('ship_failed', [...HAPPY.slice(0, 6), 'ship_failed'])), 'done done done done done retrying pending pending');
    const oos = order('failed', ['new', 'validating', 'failed'], { failureReason: 'out of stock: nothing was reserved or charged' });
    assert.equal(states(oos), 'done error skipped skipped skipped skipped skipped skipped');
    assert.equal(problemOf(oos).kind, 'out_of_stock');
    const declined = order('failed', [...HAPPY.slice(0, 4), 'payment_failed', 'paying', 'payment_failed', 'failed'], { failureReason: 'payment gave up after 3 attempt(s): PaymentDeclined; inventory released' });
    assert.equal(states(declined), 'done done done error skipped skipped skipped skipped');
    assert.equal(problemOf(declined).kind, 'payment');
    const shipping = order('failed', [...HAPPY.slice(0, 6), 'ship_failed', 'failed'], { failureReason: 'shipping gave up after 3 attempt(s): ShippingFailed; payment hold released, inventory released' });
    assert.equal(states(shipping), 'done done done done done error skipped skipped');
    assert.equal(problemOf(shipping).kind, 'shipping');
    const cancelled = order('cancelled', ['new', 'validating', 'validated', 'cancelled']);
    assert.equal(states(cancelled), 'done done done error skipped skipped skipped skipped');
    assert.equal(problemOf(cancelled).kind, 'cancelled');
    assert.equal(problemOf(order('delivered', HAPPY)), null);
  });
});
