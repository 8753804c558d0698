// Shared set-up for the browser tests: Debian's Chromium through
// playwright-core, the deployed API (for fixtures: users, admin, products)
// and screenshots into target/screenshots/ (ignored; SCREENSHOT_DIR elsewhere:
// scripts/screenshots.sh points it at docs/screenshots/).
import { chromium } from 'playwright-core';
import { after, before, afterEach, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { unusedTotp } from './totp.mjs';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SPA_URL = (process.env.SPA_URL || '').replace(/\/+$/, '');
export const API_URL = (process.env.STORE_API_URL || '').replace(/\/+$/, '');
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || path.resolve(here, '../../target/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const PASSWORD = 'customer-password';
/** LocalStack's own endpoint (its SES mailbox is at /_aws/ses). */
export const LOCALSTACK_URL = API_URL ? new URL(API_URL).origin : '';
/**
 * The stack's admin, made by scripts/local-admin.py ({email, password,
 * totpSecret (hex)}), and the session spa/test.sh signed it in with once
 * ({token, refreshToken, user}): a TOTP code is good once, so the files
 * share one sign-in instead of each making its own.
 */
export const ADMIN = process.env.ADMIN_FILE ? JSON.parse(fs.readFileSync(process.env.ADMIN_FILE, 'utf8')) : null;
const ADMIN_SESSION = process.env.ADMIN_SESSION_FILE ? JSON.parse(fs.readFileSync(process.env.ADMIN_SESSION_FILE, 'utf8')) : null;
/** Who takes the stack's payments (spa/test.sh reads the stack output). */
export const PAYS_WITH_STRIPE = process.env.PAYMENT_PROVIDER === 'stripe';
/** The checkout's test cards for that provider: approved (two), declined, how many it offers. */
export const CARDS = PAYS_WITH_STRIPE
  ? { approved: 'pm_card_visa', other: { token: 'pm_card_visa', last4: '4242' }, declined: 'pm_card_chargeCustomerFail', offered: 3 }
  : { approved: 'tok_visa', other: { token: 'tok_mastercard', last4: '4444' }, declined: 'tok_chargeDeclined', offered: 5 };
/** Why a test of a simulated gateway's trigger does not run on Stripe.
 * Such tests end their names with "(simulated gateway)": scripts/test.sh
 * runs them on their own once the tests' stack is simulated. */
export const SIMULATED_ONLY = PAYS_WITH_STRIPE && 'a trigger of the simulated gateway; Stripe test cards have no equivalent';
/** How long an order may take to reach a final status on the local stack. */
export const ORDER_DEADLINE_MS = Number(process.env.ORDER_DEADLINE_MS || 90_000);

if (!SPA_URL || !API_URL || !ADMIN || !ADMIN_SESSION) {
  throw new Error('SPA_URL, STORE_API_URL, ADMIN_FILE and ADMIN_SESSION_FILE must be set: run spa/test.sh');
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * One browser per test file, one fresh context (own localStorage) per test.
 * Playwright gives the browser a fresh temporary --user-data-dir of its own
 * and deletes it on close.
 */
export function useBrowser({ viewport = { width: 1280, height: 900 } } = {}) {
  const state = { browser: null, context: null, page: null, errors: [] };
  before(async () => {
    state.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
  });
  after(async () => {
    if (state.browser) await state.browser.close();
  });
  beforeEach(async () => {
    state.context = await state.browser.newContext({ viewport, baseURL: SPA_URL });
    state.context.setDefaultTimeout(15_000);
    state.page = await state.context.newPage();
    state.errors = [];
    state.page.on('pageerror', (e) => state.errors.push(`pageerror: ${e.message}`));
    state.page.on('console', (m) => {
      if (m.type() === 'error') state.errors.push(`console: ${m.text()}`);
    });
  });
  afterEach(async () => {
    const errors = state.errors;
    if (state.context) await state.context.close();
    state.context = null;
    // Uncaught script errors fail the test; failed requests the test provoked
    // on purpose (4xx answers) show up as console errors and are allowed.
    const uncaught = errors.filter((e) => e.startsWith('pageerror'));
    assert.deepEqual(uncaught, [], 'the page threw');
  });
  return state;
}

/** Any API call from the test itself (fixtures), returns {status, body}. */
export async function apiCall(method, urlPath, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(API_URL + urlPath, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

export function uniqueEmail(prefix = 'spa') {
  return `${prefix}-${randomUUID()}@store.test`;
}

/** A fresh customer registered through the API: {email, password, name, token, id}. */
export async function newCustomer(name = 'Browser Tester') {
  const email = uniqueEmail();
  const res = await apiCall('POST', '/api/auth/register', { body: { email, password: PASSWORD, name } });
  assert.equal(res.status, 201, `register: ${JSON.stringify(res.body)}`);
  return { email, password: PASSWORD, name, token: res.body.token, refreshToken: res.body.refreshToken, id: res.body.user.id };
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** The admin's access token (spa/test.sh's sign-in). */
export async function adminToken() {
  return ADMIN_SESSION.token;
}

/** Starts `page`'s browser context signed in with an API session, no sign-in form. */
export async function useSession(page, signedIn) {
  await page.context().addInitScript((value) => {
    if (!localStorage.getItem('store.session')) localStorage.setItem('store.session', value);
  }, JSON.stringify({ token: signedIn.token, refreshToken: signedIn.refreshToken, user: signedIn.user }));
}

/** The admin, signed in through the form with its authenticator code. */
export async function signInAdmin(page) {
  await page.goto('/#/login');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Authentication code').fill(await unusedTotp(ADMIN.totpSecret, 'admin', { after: ADMIN.lastStep ?? -1 }));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** The admin session spa/test.sh made, for a browser context. */
export function adminSession() {
  return ADMIN_SESSION;
}

/** The text of the newest mail LocalStack's SES holds for `to`. */
export async function mailTo(to, { containing = /\b\d{6}\b/, after = 0, timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const res = await fetch(`${LOCALSTACK_URL}/_aws/ses`);
    const { messages = [] } = await res.json();
    const mine = messages.filter((m) => (m.Destination?.ToAddresses || []).includes(to)
      && Date.parse(m.Timestamp || 0) >= after);
    for (const m of mine.reverse()) {
      const text = m.Body?.text_part || '';
      if (containing.test(text)) return text;
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${containing}`);
    await sleep(300);
  }
}

/** The 6-digit code of the newest mail to `to`. */
export async function mailedCode(to, options) {
  return (await mailTo(to, options)).match(/\b(\d{6})\b/)[1];
}

/** A product of our own with a known stock, so tests never share stock. */
export async function newProduct({ stock = 20, price = 12.5, name } = {}) {
  const token = await adminToken();
  const id = `spa-${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const res = await apiCall('POST', '/api/products', {
    token,
    body: { id, name: name || `Test item ${id.slice(-6)}`, price, category: 'Test', stock, description: 'Made by the browser tests.' },
  });
  assert.equal(res.status, 201, `create product: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Archives a product the tests made (it stays referenced by its orders). */
export async function archiveProduct(id) {
  const token = await adminToken();
  await apiCall('DELETE', `/api/products/${id}`, { token });
}

export async function getOrder(token, id) {
  const res = await apiCall('GET', `/api/orders/${id}`, { token });
  assert.equal(res.status, 200, `get order: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Signs in through the UI and waits for the signed-in navigation. */
export async function signIn(page, user, { next } = {}) {
  await page.goto(next ? `/#/login?next=${encodeURIComponent(next)}` : '/#/login');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Puts `quantity` of a product in the cart through its detail page. */
export async function addToCart(page, productId, quantity = 1) {
  await page.goto(`/#/product/${productId}`);
  await page.locator(`[data-testid="product-detail"][data-product-id="${productId}"]`).waitFor();
  await page.getByLabel('Quantity', { exact: true }).fill(String(quantity));
  await page.getByRole('button', { name: 'Add to Cart' }).click();
  await page.getByRole('status').filter({ hasText: 'Added' }).waitFor();
}

/** Fills the checkout form; `token` is one of the test payment tokens. */
export async function fillCheckout(page, { zip = '94102', token = CARDS.approved } = {}) {
  await page.getByLabel('Street address').fill('1 Market St');
  await page.getByLabel('City').fill('San Francisco');
  await page.getByLabel('State').fill('CA');
  await page.getByLabel('ZIP code').fill(zip);
  await page.locator(`input[name="payment"][value="${token}"]`).check();
}

/** Places the order and waits for its detail page; returns the order id. */
export async function placeOrder(page) {
  await page.getByRole('button', { name: 'Place Order' }).click();
  await page.waitForURL(/#\/orders\/[^/]+$/);
  await page.getByTestId('timeline').waitFor();
  return decodeURIComponent(page.url().split('#/orders/')[1]);
}

/** Waits until the order page shows a status, by its data-status. */
export async function waitForStatus(page, status, timeout = ORDER_DEADLINE_MS) {
  await page.locator(`[data-testid="order-status"] [data-status="${status}"]`).waitFor({ timeout });
}

/** SCREENSHOT_DIR/<name>.png, full page; the toast is hidden unless asked for. */
export async function screenshot(page, name, { toast = false } = {}) {
  if (process.env.SCREENSHOTS === '0') return;
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  if (!toast) await page.evaluate(() => { const t = document.getElementById('toast'); if (t) t.hidden = true; });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, animations: 'disabled' });
}

export function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'spa-test-'));
}
