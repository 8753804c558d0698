// #/orders — the caller's orders with status badges.
// #/orders/{id} — the processing timeline, live while the order is not final:
// the order-stream function's events say when it changed and the page reads
// the order then; without the stream (or when it ends first) the page polls
// the API every second. Error states, processing details, and Cancel while
// the order can still be cancelled.
import { h, render, money, errorBox, formatDate, statusBadge, toast, STATUS_LABELS } from '../ui.js';
import { api, freshToken } from '../api.js';
import { followOrder, STREAM_BASE } from '../stream.js';

export const FINAL = new Set(['delivered', 'cancelled', 'failed']);
export const CANCELLABLE = new Set(['new', 'validating', 'validated']);
const POLL_MS = 1000;

/** The seed's eight stages; `statuses` are the order statuses that belong to each. */
export const STAGES = [
  { key: 'created', label: 'Created', statuses: ['new'], milestone: true },
  { key: 'checking', label: 'Checking Inventory', statuses: ['validating'] },
  { key: 'inventory', label: 'Inventory OK', statuses: ['validated'], milestone: true },
  { key: 'payment', label: 'Processing Payment', statuses: ['paying', 'payment_failed'] },
  { key: 'paid', label: 'Payment OK', statuses: ['paid'], milestone: true },
  { key: 'shipping', label: 'Shipping', statuses: ['shipping', 'ship_failed'] },
  { key: 'shipped', label: 'Shipped', statuses: ['shipped'], milestone: true },
  { key: 'delivered', label: 'Delivered', statuses: ['delivered'], milestone: true },
];
const stageOf = (status) => STAGES.findIndex((s) => s.statuses.includes(status));

function shortId(id) {
  return id.length > 12 ? id.slice(-8) : id;
}

/** What went wrong, from the status, the timeline and failureReason. */
export function problemOf(order) {
  const status = order.state;
  const timeline = order.data.timeline || [];
  const seen = new Set(timeline.map((t) => t.status));
  // The pipeline's own words: the last transition's reason is the most
  // specific ("shipping gave up after 3 attempt(s): …; payment hold released");
  // failureReason is the short form.
  const last = timeline.length ? timeline[timeline.length - 1] : null;
  const reason = (last && last.status === status && last.reason) || order.data.failureReason || '';
  const all = `${reason} ${order.data.failureReason || ''}`;
  if (status === 'cancelled') {
    return { kind: 'cancelled', title: 'Order cancelled', text: reason || 'This order was cancelled.', tone: 'info' };
  }
  if (status === 'payment_failed') {
    return { kind: 'payment', title: 'Payment declined', text: `${reason}. Retrying…`, tone: 'warn' };
  }
  if (status === 'ship_failed') {
    return { kind: 'shipping', title: 'Shipping failed', text: `${reason}. Retrying…`, tone: 'warn' };
  }
  if (status !== 'failed') return null;
  if (/out of stock/i.test(all)) {
    return { kind: 'out_of_stock', title: 'Out of stock', text: reason, tone: 'error' };
  }
  if (seen.has('ship_failed') || /shipping/i.test(all)) {
    return { kind: 'shipping', title: 'Shipping failed', text: reason, tone: 'error' };
  }
  if (seen.has('payment_failed') || /payment/i.test(all)) {
    return { kind: 'payment', title: 'Payment declined', text: reason, tone: 'error' };
  }
  return { kind: 'failed', title: 'Order failed', text: reason || 'The order could not be processed.', tone: 'error' };
}

/**
 * Each stage's state: done | current | retrying | error | skipped | pending,
 * with a note (the step's own words from the timeline).
 */
export function stageStates(order) {
  const status = order.state;
  const timeline = order.data.timeline || [];
  const reached = timeline.map((t) => stageOf(t.status)).filter((i) => i >= 0);
  const furthest = reached.length ? Math.max(...reached) : 0;
  const noteFor = (stage) => {
    const entry = [...timeline].reverse().find((t) => stage.statuses.includes(t.status));
    return entry ? entry.reason : '';
  };
  const states = STAGES.map((stage) => ({ ...stage, state: 'pending', note: '' }));
  const fill = (upTo) => {
    for (let i = 0; i <= upTo && i < states.length; i += 1) {
      states[i].state = 'done';
      states[i].note = noteFor(STAGES[i]);
    }
  };
  if (status === 'delivered') {
    fill(STAGES.length - 1);
    return states;
  }
  if (status === 'failed' || status === 'cancelled') {
    // The stage where it stopped: a failed step itself, or the step after
    // the last milestone reached.
    let stopped;
    if (status === 'failed') {
      stopped = STAGES[furthest].milestone ? furthest + 1 : furthest;
    } else {
      let m = furthest;
      while (m > 0 && !STAGES[m].milestone) m -= 1;
      stopped = m + 1;
    }
    stopped = Math.min(Math.max(stopped, 1), STAGES.length - 1);
    fill(stopped - 1);
    states[stopped].state = 'error';
    states[stopped].note = status === 'failed'
      ? problemOf(order).text || noteFor(STAGES[stopped]) || 'failed'
      : 'Cancelled';
    for (let i = stopped + 1; i < states.length; i += 1) states[i].state = 'skipped';
    return states;
  }
  const at = stageOf(status);
  if (status === 'payment_failed' || status === 'ship_failed') {
    fill(at - 1);
    states[at].state = 'retrying';
    states[at].note = noteFor(STAGES[at]);
    return states;
  }
  if (STAGES[at].milestone) {
    fill(at);
    if (at + 1 < states.length) {
      states[at + 1].state = 'current';
      states[at + 1].note = status === 'shipped' ? 'In transit' : 'Starting…';
    }
  } else {
    fill(at - 1);
    states[at].state = 'current';
    states[at].note = noteFor(STAGES[at]);
  }
  return states;
}

const ICONS = { done: '✓', current: '●', retrying: '!', error: '✕', skipped: '–', pending: '' };
const SPOKEN = {
  done: 'completed', current: 'in progress', retrying: 'problem, retrying', error: 'failed', skipped: 'not reached', pending: 'pending',
};

function timelineList(order) {
  return h('ol', { class: 'timeline', 'aria-label': 'Processing stages', dataset: { testid: 'timeline' } },
    stageStates(order).map((s, i) => h('li', {
      class: s.state,
      dataset: { stage: s.key, state: s.state },
      'aria-current': s.state === 'current' || s.state === 'retrying' ? 'step' : null,
    },
    h('span', { class: 'stage-icon', 'aria-hidden': 'true' }, ICONS[s.state] || String(i + 1)),
    h('span', { class: 'stage-text' },
      h('span', { class: 'stage-label' }, s.label),
      h('span', { class: 'visually-hidden' }, `: ${SPOKEN[s.state]}`),
      s.note ? h('span', { class: 'stage-note' }, s.note) : null))));
}

/** Where the money stands (the payment ledger's state, on one-order reads). */
export const PAYMENT_STATES = {
  authorized: 'Authorised: held on the card, taken when the order ships',
  charged: 'Captured',
  voided: 'Voided: the hold was released, nothing was taken',
  refunded: 'Refunded',
};

function detailsList(order) {
  const p = order.data.payment;
  const s = order.data.shipment;
  const rows = [];
  if (p) {
    rows.push(['Transaction ID', p.transactionId, 'transaction-id']);
    rows.push(['Card ending', p.last4, 'card-last4']);
  }
  const held = PAYMENT_STATES[order.data.paymentState];
  if (held) rows.push(['Payment', held, 'payment-state']);
  if (s) {
    rows.push(['Carrier', s.carrier, 'carrier']);
    rows.push(['Tracking number', s.trackingNumber, 'tracking-number']);
    rows.push(['Estimated delivery', formatDay(s.estimatedDelivery), 'eta']);
  }
  if (!rows.length) return h('p', { class: 'hint' }, 'Payment and shipping details appear here as the order is processed.');
  return h('dl', { class: 'details', dataset: { testid: 'processing-details' } },
    rows.map(([k, v, id]) => [h('dt', {}, k), h('dd', { class: 'mono', dataset: { testid: id } }, v)]));
}

function formatDay(value) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value || '')) {
    const [y, m, d] = value.split('-').map(Number);
    return new Date(y, m - 1, d).toLocaleDateString('en-US', { dateStyle: 'medium' });
  }
  return value ? formatDate(value) : '';
}

function itemsTable(order) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'stack' },
      h('caption', { class: 'visually-hidden' }, 'Items in this order'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col', class: 'num' }, 'Qty'),
        h('th', { scope: 'col', class: 'num' }, 'Price'), h('th', { scope: 'col', class: 'num' }, 'Subtotal'))),
      h('tbody', {}, order.data.items.map((i) => h('tr', {},
        h('td', { 'data-label': 'Product' }, i.name),
        h('td', { class: 'num', 'data-label': 'Qty' }, String(i.quantity)),
        h('td', { class: 'num', 'data-label': 'Price' }, money(i.price, order.data.currency)),
        h('td', { class: 'num', 'data-label': 'Subtotal' }, money(i.lineTotal, order.data.currency))))),
      h('tfoot', {}, h('tr', {},
        h('td', { colspan: 3 }, 'Total'),
        h('td', { class: 'num', dataset: { testid: 'order-total' } }, money(order.data.total, order.data.currency))))));
}

export async function ordersPage(ctx) {
  const { main } = ctx;
  render(main, 'Your orders', h('h1', {}, 'Your orders'), h('p', { class: 'loading' }, 'Loading your orders…'));
  let orders;
  try {
    orders = await api.orders();
  } catch (e) {
    if (!ctx.isCurrent()) return;
    render(main, 'Your orders', h('h1', {}, 'Your orders'), errorBox(e.message));
    return;
  }
  if (!ctx.isCurrent()) return;
  if (!orders.length) {
    render(main, 'Your orders', h('h1', {}, 'Your orders'),
      h('div', { class: 'empty', dataset: { testid: 'no-orders' } },
        h('p', {}, 'You have not placed any orders yet.'),
        h('a', { class: 'btn', href: '#/' }, 'Start shopping')));
    return;
  }
  render(main, 'Your orders', h('h1', {}, 'Your orders'), ordersTable(orders, false));
}

export function ordersTable(orders, showUser) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'stack', dataset: { testid: 'orders-table' } },
      h('caption', { class: 'visually-hidden' }, 'Orders, newest first'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Order'),
        h('th', { scope: 'col' }, 'Placed'),
        showUser ? h('th', { scope: 'col' }, 'Customer') : null,
        h('th', { scope: 'col' }, 'Items'),
        h('th', { scope: 'col', class: 'num' }, 'Total'),
        h('th', { scope: 'col' }, 'Status'))),
      h('tbody', {}, orders.map((o) => h('tr', { dataset: { testid: 'order-row', orderId: o.id, status: o.state } },
        h('td', { 'data-label': 'Order' }, h('a', { href: `#/orders/${encodeURIComponent(o.id)}`, class: 'mono' }, `#${shortId(o.id)}`)),
        h('td', { 'data-label': 'Placed' }, formatDate(o.data.createdAt)),
        showUser ? h('td', { 'data-label': 'Customer', class: 'mono' }, shortId(o.data.userId)) : null,
        h('td', { 'data-label': 'Items' }, o.data.items.map((i) => `${i.quantity} × ${i.name}`).join(', ')),
        h('td', { class: 'num', 'data-label': 'Total' }, money(o.data.total, o.data.currency)),
        h('td', { 'data-label': 'Status' }, statusBadge(o.state)))))));
}

export async function orderDetailPage(ctx) {
  const { main } = ctx;
  const [id] = ctx.params;
  const back = h('p', { class: 'breadcrumb' }, h('a', { href: '#/orders' }, '← All orders'));
  render(main, 'Order', back, h('p', { class: 'loading' }, 'Loading the order…'));

  let timer = null;
  let controller = null;
  // The live stream's, while the page follows it.
  const streamController = new AbortController();
  let stopped = false;
  let lastStatus = null;
  let lastProblem = null;
  let failures = 0;
  // 'live' while the stream is followed, 'polling' otherwise.
  let mode = STREAM_BASE ? 'live' : 'polling';
  let lastIndex = null;
  ctx.onLeave(() => {
    stopped = true;
    clearTimeout(timer);
    if (controller) controller.abort();
    streamController.abort();
  });

  // Stable regions, updated in place so focus and screen readers are not disturbed.
  const heading = h('h1', {}, `Order #${shortId(id)}`);
  const badgeSlot = h('span', { dataset: { testid: 'order-status' } });
  const live = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', dataset: { testid: 'live' } });
  const problemSlot = h('div', { dataset: { testid: 'problem' } });
  const actionSlot = h('div', { class: 'form-actions', dataset: { testid: 'actions' } });
  const pollNote = h('p', { class: 'hint live-note', dataset: { testid: 'poll-note' } });
  const timelineSlot = h('div');
  const detailsSlot = h('div');
  const itemsSlot = h('div');
  const addressSlot = h('div');
  const historySlot = h('div');
  const cancelError = h('div');
  let cancelling = false;

  const cancelButton = h('button', { class: 'btn btn-danger', type: 'button', dataset: { testid: 'cancel-order' } }, 'Cancel order');
  cancelButton.addEventListener('click', async () => {
    cancelling = true;
    cancelButton.disabled = true;
    cancelButton.textContent = 'Cancelling…';
    cancelError.replaceChildren();
    try {
      const order = await api.cancelOrder(id);
      cancelling = false;
      toast('Your order was cancelled.');
      update(order);
    } catch (e) {
      cancelError.replaceChildren(errorBox(`Could not cancel: ${e.message}`));
      cancelButton.textContent = 'Cancel order';
      cancelButton.disabled = false;
    } finally {
      cancelling = false;
    }
  });

  function update(order) {
    const status = order.state;
    badgeSlot.replaceChildren(statusBadge(status));
    if (status !== lastStatus) {
      live.textContent = `Order status: ${STATUS_LABELS[status] || status}`;
      lastStatus = status;
    }
    const problem = problemOf(order);
    // Only when it changes: a live region re-rendered every second would be
    // announced every second.
    const problemKey = problem ? `${problem.kind}|${problem.text}|${order.data.needsAttention}` : '';
    if (problemKey !== lastProblem) {
      lastProblem = problemKey;
      problemSlot.replaceChildren(...(problem ? [h('div', {
        class: `alert alert-${problem.tone}`,
        role: problem.tone === 'error' ? 'alert' : 'status',
        dataset: { testid: 'order-problem', kind: problem.kind },
      }, h('h2', {}, problem.title), h('p', {}, problem.text),
      order.data.needsAttention ? h('p', {}, 'Our team has been notified and will sort this out.') : null)] : []));
    }
    if (CANCELLABLE.has(status)) {
      if (!cancelButton.isConnected) actionSlot.replaceChildren(cancelButton, cancelError);
    } else if (!cancelling) {
      actionSlot.replaceChildren(...(cancelError.childNodes.length ? [cancelError] : []));
    }
    pollNote.dataset.mode = FINAL.has(status) ? 'final' : mode;
    pollNote.textContent = FINAL.has(status) ? ''
      : mode === 'live' ? 'Live: this page changes as your order is processed.'
        : 'This page updates by itself while your order is processed.';
    lastIndex = (order.data.timeline || []).length - 1;
    timelineSlot.replaceChildren(timelineList(order));
    detailsSlot.replaceChildren(detailsList(order));
    itemsSlot.replaceChildren(itemsTable(order));
    const a = order.data.shipping;
    addressSlot.replaceChildren(h('address', { dataset: { testid: 'shipping-address' } },
      a.address, h('br'), `${a.city}, ${a.state} ${a.zip}`));
    historySlot.replaceChildren(h('ol', { class: 'history', dataset: { testid: 'history' } },
      (order.data.timeline || []).map((t) => h('li', {},
        h('time', { datetime: t.at }, formatDate(t.at)),
        h('strong', {}, STATUS_LABELS[t.status] || t.status), t.reason ? ` — ${t.reason}` : ''))));
  }

  async function poll(first) {
    if (stopped) return;
    controller = new AbortController();
    let order;
    try {
      order = await api.order(id, controller.signal);
      failures = 0;
    } catch (e) {
      if (stopped || e.name === 'AbortError') return;
      if (first) {
        const title = e.status === 404 ? 'Order not found' : 'Could not load the order';
        render(main, title, back, h('h1', {}, title), errorBox(e.message));
        return;
      }
      failures += 1;
      pollNote.textContent = `Could not refresh (${e.message}). Trying again…`;
      timer = setTimeout(() => poll(false), Math.min(10000, POLL_MS * 2 ** failures));
      return;
    }
    if (stopped) return;
    if (first) {
      render(main, `Order #${shortId(id)}`,
        back,
        h('div', { class: 'order-head' }, heading, badgeSlot),
        h('p', { class: 'hint' }, `Placed ${formatDate(order.data.createdAt)} · Order ID `, h('span', { class: 'mono', dataset: { testid: 'order-id' } }, order.id)),
        live, problemSlot, actionSlot,
        h('div', { class: 'order-grid' },
          h('div', {},
            h('section', { class: 'panel', 'aria-labelledby': 'tl-title' }, h('h2', { id: 'tl-title' }, 'Processing'), pollNote, timelineSlot),
            h('section', { class: 'panel', 'aria-labelledby': 'items-title' }, h('h2', { id: 'items-title' }, 'Items'), itemsSlot)),
          h('div', {},
            h('section', { class: 'panel', 'aria-labelledby': 'det-title' }, h('h2', { id: 'det-title' }, 'Processing details'), detailsSlot),
            h('section', { class: 'panel', 'aria-labelledby': 'ship-title' }, h('h2', { id: 'ship-title' }, 'Shipping to'), addressSlot),
            h('section', { class: 'panel', 'aria-labelledby': 'hist-title' }, h('h2', { id: 'hist-title' }, 'History'), historySlot))));
    }
    update(order);
    if (FINAL.has(order.state)) return;
    if (first && mode === 'live') follow();
    else timer = setTimeout(() => poll(false), POLL_MS);
  }

  // One read of the order at a time; a change seen meanwhile reads it again.
  let reading = null;
  let readAgain = false;
  function readOrder() {
    if (reading) {
      readAgain = true;
      return reading;
    }
    controller = new AbortController();
    reading = api.order(id, controller.signal)
      .then((order) => { if (!stopped) update(order); })
      .catch(() => { /* the stream or the polling after it tries again */ })
      .finally(() => {
        reading = null;
        if (readAgain && !stopped) {
          readAgain = false;
          readOrder();
        }
      });
    return reading;
  }

  async function follow() {
    try {
      await followOrder(id, {
        token: await freshToken(),
        lastEventId: lastIndex,
        signal: streamController.signal,
        // The event says the order changed; the read shows it, badge and
        // timeline together, so the page is never in two states at once.
        onStatus: () => {
          if (!stopped) readOrder();
        },
      });
    } catch {
      // Unavailable: the page polls instead.
    }
    while (reading) await reading;
    if (stopped || FINAL.has(lastStatus)) return;
    mode = 'polling';
    pollNote.dataset.mode = mode;
    pollNote.textContent = 'This page updates by itself while your order is processed.';
    timer = setTimeout(() => poll(false), POLL_MS);
  }

  await poll(true);
}
