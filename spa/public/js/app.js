// Hash router and the shell (navigation, skip link, sign-out on 401).
import { h, render, errorBox, toast, enableFocusOnRender } from './ui.js';
import { session, cart, onChange } from './store.js';
import { setUnauthorizedHandler, freshToken, api, RENEW_BEFORE_MS } from './api.js';
import { catalogPage } from './pages/catalog.js';
import { productPage } from './pages/product.js';
import { loginPage, registerPage, verifyEmailPage, forgotPasswordPage, resetPasswordPage } from './pages/auth.js';
import { cartPage } from './pages/cart.js';
import { checkoutPage } from './pages/checkout.js';
import { ordersPage, orderDetailPage } from './pages/orders.js';
import { profilePage } from './pages/profile.js';
import { adminPage } from './pages/admin.js';

const routes = [
  { pattern: /^\/$/, page: catalogPage, nav: 'catalog' },
  { pattern: /^\/product\/([^/]+)$/, page: productPage, nav: 'catalog' },
  { pattern: /^\/login$/, page: loginPage, nav: 'login' },
  { pattern: /^\/register$/, page: registerPage, nav: 'register' },
  { pattern: /^\/verify-email$/, page: verifyEmailPage, nav: 'profile' },
  { pattern: /^\/forgot-password$/, page: forgotPasswordPage, nav: 'login' },
  { pattern: /^\/reset-password$/, page: resetPasswordPage, nav: 'login' },
  { pattern: /^\/cart$/, page: cartPage, nav: 'cart' },
  { pattern: /^\/checkout$/, page: checkoutPage, nav: 'cart', auth: true },
  { pattern: /^\/orders$/, page: ordersPage, nav: 'orders', auth: true },
  { pattern: /^\/orders\/([^/]+)$/, page: orderDetailPage, nav: 'orders', auth: true },
  { pattern: /^\/profile$/, page: profilePage, nav: 'profile', auth: true },
  { pattern: /^\/admin$/, page: adminPage, nav: 'admin', auth: true },
];

const main = document.getElementById('main');
let cleanup = null;
let currentNav = '';
let renderSeq = 0;

/** Current route: '#/orders/42?x=1' → {path: '/orders/42', query: URLSearchParams}. */
export function currentRoute() {
  let raw = location.hash.replace(/^#/, '');
  try { raw = decodeURI(raw); } catch { /* keep it as typed */ }
  raw = raw || '/';
  const [path, qs] = raw.split('?');
  return { path: path || '/', query: new URLSearchParams(qs || '') };
}

export function navigate(path, { replace = false } = {}) {
  if (location.hash === `#${path}`) route();
  else if (replace) location.replace(`#${path}`);
  else location.hash = path;
}

/** Sends an anonymous visitor to sign in, and back here afterwards. */
export function requireLogin(path) {
  // Replace: Back from the login page must not bounce into the guard again.
  navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true });
}

async function route() {
  if (cleanup) {
    try { cleanup(); } catch { /* ignore */ }
    cleanup = null;
  }
  const seq = ++renderSeq;
  const { path, query } = currentRoute();
  const match = routes.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  if (!match) {
    currentNav = '';
    renderNav();
    render(main, 'Page not found',
      h('h1', {}, 'Page not found'),
      h('p', {}, 'There is nothing at this address. ', h('a', { href: '#/' }, 'Back to the products')));
    return;
  }
  const { r, m } = match;
  currentNav = r.nav;
  renderNav();
  if (r.auth && !session.get()) {
    requireLogin(path);
    return;
  }
  const ctx = {
    main,
    params: m.slice(1).map((p) => { try { return decodeURIComponent(p); } catch { return p; } }),
    query,
    navigate,
    requireLogin,
    signOut,
    isCurrent: () => seq === renderSeq,
    onLeave: (fn) => { cleanup = fn; },
  };
  try {
    await r.page(ctx);
  } catch (e) {
    if (seq !== renderSeq) return;
    render(main, 'Something went wrong', h('h1', {}, 'Something went wrong'), errorBox(e.message || String(e)));
  }
}

function navLink(key, href, label, extra) {
  const attrs = { href };
  if (currentNav === key) attrs['aria-current'] = 'page';
  return h('li', {}, h('a', { ...attrs, dataset: { nav: key } }, label, extra || null));
}

function renderNav() {
  const nav = document.getElementById('nav');
  const s = session.get();
  const count = cart.count();
  const items = [
    navLink('catalog', '#/', 'Products'),
    navLink('cart', '#/cart', 'Cart',
      h('span', { class: 'cart-count', 'aria-label': `${count} item${count === 1 ? '' : 's'}`, dataset: { testid: 'cart-count' } }, String(count))),
  ];
  if (s) {
    items.push(navLink('orders', '#/orders', 'Orders'));
    if (s.role === 'admin') items.push(navLink('admin', '#/admin', 'Admin'));
    items.push(navLink('profile', '#/profile', s.user && s.user.name ? `Profile (${s.user.name})` : 'Profile'));
    items.push(h('li', {}, h('button', { type: 'button', onclick: signOut, dataset: { nav: 'signout' } }, 'Sign out')));
  } else {
    items.push(navLink('login', '#/login', 'Sign in'));
    items.push(navLink('register', '#/register', 'Register'));
  }
  nav.replaceChildren(...items);
}

export function signOut() {
  // Ends the session at the store too (its refresh token dies); the page does
  // not wait for that answer.
  api.logout().catch(() => {});
  session.clear();
  toast('You are signed out.');
  navigate('/');
}

// Renews the access token a minute before it expires, so a page left open
// stays signed in; freshToken() does the renewal (once, across tabs).
let renewTimer = null;
function scheduleRenewal() {
  clearTimeout(renewTimer);
  const s = session.get();
  if (!s || !s.refreshToken) return;
  const wait = Math.max(1000, s.expiresAt - RENEW_BEFORE_MS - Date.now());
  renewTimer = setTimeout(() => { freshToken().then(scheduleRenewal, scheduleRenewal); }, wait);
}

setUnauthorizedHandler(() => {
  // The token expired or was revoked: forget it and ask to sign in again.
  if (!session.get()) return;
  session.clear();
  toast('Your session has expired. Please sign in again.');
  requireLogin(currentRoute().path);
});

document.querySelector('[data-skip]').addEventListener('click', (e) => {
  e.preventDefault(); // the hash is the router's
  main.focus();
});

onChange(renderNav);
onChange(scheduleRenewal);
scheduleRenewal();
window.addEventListener('hashchange', () => {
  enableFocusOnRender();
  route();
});
route();
