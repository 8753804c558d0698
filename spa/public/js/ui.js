// DOM helpers. Everything from the API goes in as text (never innerHTML).

/**
 * h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child, [more])
 * Attributes: `class`, `dataset`, `on*` handlers, booleans (true sets "", false/null skips).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** Formats a decimal amount the API sent (149.99). Display only. */
export function money(amount, currency = 'USD') {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return '—';
  if (currency === 'USD') return usd.format(amount);
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(amount);
}

/** Decimal price → integer cents, for the cart's estimate (no float sums). */
export function toCents(amount) {
  return Math.round(Number(amount) * 100);
}

export function centsToMoney(cents) {
  return money(cents / 100);
}

export function formatDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || '';
  return d.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium' });
}

let toastTimer = null;
/** A short message in the polite live region. */
export function toast(message, ms = 4000) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; el.textContent = ''; }, ms);
}

/** An error box with the API's message; role=alert so it is announced. */
export function errorBox(message, extra) {
  return h('div', { class: 'alert alert-error', role: 'alert' }, h('p', {}, message), extra || null);
}

let moveFocus = false;
/** From the first in-app navigation on, each page's h1 takes the focus. */
export function enableFocusOnRender() {
  moveFocus = true;
}

/**
 * Replaces the main region's content and sets the title. After an in-app
 * navigation, focus moves to the new h1 (so screen readers announce the
 * page); on the first load it stays at the top, where the skip link is.
 */
export function render(main, title, ...nodes) {
  main.replaceChildren(...nodes.flat().filter(Boolean));
  document.title = title ? `${title} · Serverless Store` : 'Serverless Store';
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    if (moveFocus) heading.focus({ preventScroll: false });
  }
}

/** A labelled form field; returns {wrap, input, error}. */
export function field({ id, label, type = 'text', value = '', hint, required, autocomplete, attrs = {} }) {
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const input = type === 'select'
    ? h('select', { id, name: id, ...attrs })
    : type === 'textarea'
      ? h('textarea', { id, name: id, ...attrs }, value)
      : h('input', { id, name: id, type, value, autocomplete, required: required || null, ...attrs });
  input.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const wrap = h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    input,
    error);
  return { wrap, input, error };
}

export function setFieldError(f, message) {
  if (message) {
    f.error.textContent = message;
    f.error.hidden = false;
    f.input.setAttribute('aria-invalid', 'true');
  } else {
    f.error.textContent = '';
    f.error.hidden = true;
    f.input.removeAttribute('aria-invalid');
  }
}

export const STATUS_LABELS = {
  new: 'Created',
  validating: 'Checking inventory',
  validated: 'Inventory OK',
  paying: 'Processing payment',
  paid: 'Payment OK',
  payment_failed: 'Payment declined',
  shipping: 'Shipping',
  shipped: 'Shipped',
  ship_failed: 'Shipping failed',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

export function statusBadge(status) {
  const kind = status === 'delivered' ? 'status-ok'
    : status === 'failed' || status === 'cancelled' ? (status === 'failed' ? 'status-error' : 'status-muted')
      : status === 'payment_failed' || status === 'ship_failed' ? 'status-warn'
        : 'status-progress';
  return h('span', { class: `badge status-badge ${kind}`, dataset: { status } }, STATUS_LABELS[status] || status);
}

/** Product images: the seed's "/images/x.svg" are served by this SPA, relative to it. */
export function productImage(product, className = 'product-image') {
  const raw = (product.data && product.data.image) || '';
  let src = 'images/placeholder.svg';
  if (/^\/?images\/[A-Za-z0-9._-]+$/.test(raw)) src = raw.replace(/^\//, '');
  else if (/^https:\/\//.test(raw)) src = raw;
  const img = h('img', { class: className, src, alt: '', loading: 'lazy', width: 320, height: 240 });
  img.addEventListener('error', () => {
    if (!img.src.endsWith('images/placeholder.svg')) img.src = 'images/placeholder.svg';
  }, { once: false });
  return img;
}

export function newIdempotencyKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
