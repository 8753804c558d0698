// #/checkout — shipping form, order summary, test payment method, Place Order.
// Sends only product ids and quantities: the API prices the order.
import { h, render, field, setFieldError, errorBox, money, centsToMoney, toCents, toast, newIdempotencyKey } from '../ui.js';
import { api } from '../api.js';
import { cart, session } from '../store.js';
import { estimateCents, stockWarnings } from './cart.js';

/** The simulated gateway's test tokens (README, "Test triggers"). */
export const SIMULATED_METHODS = [
  { token: 'tok_visa', label: 'Visa ending 4242', note: 'Approved' },
  { token: 'tok_mastercard', label: 'Mastercard ending 4444', note: 'Approved' },
  { token: 'tok_chargeDeclined', label: 'Card ending 0002', note: 'Declined' },
  { token: 'tok_chargeDeclinedInsufficientFunds', label: 'Card ending 9995', note: 'Declined: insufficient funds' },
  { token: 'tok_processingError', label: 'Card ending 0119', note: 'Processing error on the first try, then approved' },
];

/** Stripe's test payment methods, when the store pays with Stripe in test mode. */
export const STRIPE_METHODS = [
  { token: 'pm_card_visa', label: 'Visa ending 4242', note: 'Approved' },
  { token: 'pm_card_visa_chargeDeclined', label: 'Visa ending 0002', note: 'Declined (card_declined)' },
  { token: 'pm_card_chargeCustomerFail', label: 'Card ending 0341', note: 'Declined when charged' },
];

const PROVIDER = (window.STORE_CONFIG || {}).paymentProvider === 'stripe' ? 'stripe' : 'simulated';
export const PAYMENT_METHODS = PROVIDER === 'stripe' ? STRIPE_METHODS : SIMULATED_METHODS;

const ADDRESS_KEY = 'store.lastShipping';

export async function checkoutPage(ctx) {
  const { main } = ctx;
  const items = cart.items();
  if (!items.length) {
    render(main, 'Checkout',
      h('h1', {}, 'Checkout'),
      h('div', { class: 'empty' },
        h('p', {}, 'Your cart is empty: there is nothing to check out.'),
        h('a', { class: 'btn', href: '#/' }, 'Continue shopping')));
    return;
  }
  try {
    const products = await api.products();
    if (!ctx.isCurrent()) return;
    cart.refresh(products);
  } catch { /* estimate only */ }
  if (!ctx.isCurrent()) return;
  const lines = cart.items();

  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(ADDRESS_KEY) || '{}') || {}; } catch { saved = {}; }
  const address = field({ id: 'address', label: 'Street address', autocomplete: 'street-address', value: saved.address || '', required: true });
  const city = field({ id: 'city', label: 'City', autocomplete: 'address-level2', value: saved.city || '', required: true });
  const state = field({ id: 'state', label: 'State', autocomplete: 'address-level1', value: saved.state || '', required: true });
  const zip = field({
    id: 'zip', label: 'ZIP code', autocomplete: 'postal-code', value: saved.zip || '', required: true,
    hint: 'Test: ZIP 00000 makes the shipment fail.', attrs: { inputmode: 'numeric' },
  });
  const fields = [address, city, state, zip];
  const labels = { address: 'Street address', city: 'City', state: 'State', zip: 'ZIP code' };

  const payment = h('fieldset', { class: 'field' },
    h('legend', {}, 'Payment method (test cards)'),
    h('p', { class: 'hint' }, PROVIDER === 'stripe'
      ? 'No real card is charged: each choice is a Stripe test payment method. The card is held when the order is paid and charged when it ships.'
      : 'No real card is charged: each choice is a test token of the simulated gateway.'),
    PAYMENT_METHODS.map((m, i) => h('label', { class: 'radio' },
      h('input', { type: 'radio', name: 'payment', value: m.token, checked: i === 0 || null, dataset: { testid: `pay-${m.token}` } }),
      h('span', {}, m.label, h('small', {}, m.note)))));

  const alert = h('div', { dataset: { testid: 'checkout-error' } });
  const place = h('button', { class: 'btn', type: 'submit', dataset: { testid: 'place-order' } }, 'Place Order');
  const form = h('form', { class: 'form form-wide', novalidate: true, 'aria-label': 'Checkout' },
    alert,
    h('fieldset', {},
      h('legend', {}, 'Shipping address'),
      address.wrap,
      h('div', { class: 'grid-2' }, city.wrap, state.wrap),
      zip.wrap),
    payment,
    h('div', { class: 'form-actions' }, place, h('a', { href: '#/cart' }, 'Back to cart')));

  const warnings = stockWarnings(lines);
  const summary = h('section', { class: 'summary', 'aria-labelledby': 'summary-title', dataset: { testid: 'order-summary' } },
    h('h2', { id: 'summary-title' }, 'Order summary'),
    h('ul', {}, lines.map((i) => h('li', {},
      h('span', {}, `${i.quantity} × ${i.name}`),
      h('span', {}, centsToMoney(toCents(i.price) * i.quantity))))),
    h('p', { class: 'total' }, h('span', {}, 'Estimated total'), h('span', { dataset: { testid: 'estimate' } }, centsToMoney(estimateCents(lines)))),
    h('p', { class: 'hint' }, 'The store prices your order from the catalog when you place it; the confirmed total is on the order page.'),
    warnings.length ? h('div', { class: 'alert alert-warn', role: 'status' }, warnings.map((w) => h('p', {}, w))) : null);

  // One Idempotency-Key per distinct request: a retry of the same order
  // (double click, network error) cannot create a second one.
  let lastBody = null;
  let key = null;

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    alert.replaceChildren();
    let firstInvalid = null;
    for (const f of fields) {
      const problem = f.input.value.trim() ? null : `${labels[f.input.id]} is required.`;
      setFieldError(f, problem);
      if (problem && !firstInvalid) firstInvalid = f.input;
    }
    if (firstInvalid) {
      firstInvalid.focus();
      return;
    }
    const shipping = Object.fromEntries(fields.map((f) => [f.input.id, f.input.value.trim()]));
    const body = {
      items: cart.items().map((i) => ({ productId: i.productId, quantity: i.quantity })),
      shipping,
      paymentToken: form.querySelector('input[name="payment"]:checked').value,
    };
    const text = JSON.stringify(body);
    if (text !== lastBody) {
      lastBody = text;
      key = newIdempotencyKey();
    }
    place.disabled = true;
    place.textContent = 'Placing order…';
    try {
      const order = await api.placeOrder(body, key);
      localStorage.setItem(ADDRESS_KEY, JSON.stringify(shipping));
      cart.clear();
      toast(`Order placed. Total ${money(order.data.total, order.data.currency)}.`);
      ctx.navigate(`/orders/${encodeURIComponent(order.id)}`);
    } catch (err) {
      if (!ctx.isCurrent()) return;
      alert.replaceChildren(errorBox(`Your order was not placed: ${err.message}`));
      alert.querySelector('[role="alert"]').setAttribute('tabindex', '-1');
      alert.querySelector('[role="alert"]').focus();
      place.disabled = false;
      place.textContent = 'Place Order';
    }
  });

  const s = session.get();
  render(main, 'Checkout',
    h('h1', {}, 'Checkout'),
    h('p', { class: 'hint' }, `Signed in as ${s.user.email || s.user.name || 'you'}.`),
    h('div', { class: 'checkout-layout' }, form, summary));
}
