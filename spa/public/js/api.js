// The store's HTTP API (../shared/DESIGN.md). Base URL from config.js,
// written at serve/deploy time: window.STORE_CONFIG = {apiBaseUrl: "..."}.
import { session } from './store.js';

const config = window.STORE_CONFIG || {};
export const API_BASE = String(config.apiBaseUrl || '').replace(/\/+$/, '');

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Called when a signed-in request comes back 401 (expired or revoked token). */
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** One HTTP call; errors throw ApiError with the API's own {"error": "..."} message. */
async function send(method, path, { body, headers = {}, token, signal } = {}) {
  if (!API_BASE) {
    throw new ApiError(0, 'The store is not configured: config.js has no apiBaseUrl.');
  }
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      headers: h,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Cannot reach the store right now. Check your connection and try again.');
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = (data && typeof data.error === 'string' && data.error)
      || (data && typeof data.message === 'string' && data.message)
      || `The store answered ${response.status} ${response.statusText || ''}`.trim();
    const error = new ApiError(response.status, message, data);
    const retryAfter = Number(response.headers.get('Retry-After') || (data && data.retryAfter));
    if (Number.isFinite(retryAfter) && retryAfter > 0) error.retryAfter = retryAfter;
    throw error;
  }
  return data;
}

/** How long before its expiry an access token is renewed. */
export const RENEW_BEFORE_MS = 60_000;
let renewing = null;

/**
 * The access token to send: renewed first when it expires within a minute.
 * A refresh token is good once (a reused one ends the session), so one
 * renewal runs at a time, across this origin's tabs too (Web Locks), and a
 * tab that waited takes the token another tab just got.
 */
export async function freshToken() {
  const s = session.get();
  if (!s) return null;
  if (!s.refreshToken || s.expiresAt - Date.now() > RENEW_BEFORE_MS) return s.token;
  if (!renewing) renewing = renewOnce().finally(() => { renewing = null; });
  return renewing;
}

async function renewOnce() {
  const exclusive = (fn) => (navigator.locks ? navigator.locks.request('store.session.renew', fn) : fn());
  return exclusive(async () => {
    const s = session.get();
    if (!s) return null;
    if (!s.refreshToken || s.expiresAt - Date.now() > RENEW_BEFORE_MS) return s.token;
    try {
      const renewed = await send('POST', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } });
      session.set(renewed);
      return renewed.token;
    } catch (e) {
      if (e.status === 401) {
        onUnauthorized(e.message);
        session.clear();
        return null;
      }
      // The store is unreachable: keep the session and try again next time.
      return s.token;
    }
  });
}

/**
 * request('GET', '/api/products') → parsed JSON, signed in when there is a
 * session (`auth: false` never sends the token).
 */
export async function request(method, path, { auth = true, ...options } = {}) {
  const token = auth ? await freshToken() : null;
  try {
    return await send(method, path, { ...options, token });
  } catch (e) {
    if (e.status === 401 && token) onUnauthorized(e.message);
    throw e;
  }
}

/** Products per page, the API's maximum; and how many pages a list reads at most. */
const PRODUCT_PAGE = 100;
const MAX_PRODUCT_PAGES = 20;

export const api = {
  /**
   * Every active product (matching `category` / `q`), page by page: the API
   * answers at most 100 a page and a cursor to the next.
   */
  products: async (params = {}) => {
    const all = [];
    let cursor = null;
    for (let page = 0; page < MAX_PRODUCT_PAGES; page += 1) {
      const q = new URLSearchParams({ limit: String(PRODUCT_PAGE) });
      if (params.category) q.set('category', params.category);
      if (params.q) q.set('q', params.q);
      if (cursor) q.set('cursor', cursor);
      const { items, nextCursor } = await request('GET', `/api/products?${q}`, { auth: false });
      all.push(...items);
      if (!nextCursor) break;
      cursor = nextCursor;
    }
    return all;
  },
  product: (id) => request('GET', `/api/products/${encodeURIComponent(id)}`, { auth: false }),
  register: (body) => request('POST', '/api/auth/register', { body, auth: false }),
  login: (body) => request('POST', '/api/auth/login', { body, auth: false }),
  verifyEmail: (body) => request('POST', '/api/auth/verify-email', { body, auth: false }),
  resendVerification: () => request('POST', '/api/auth/verify-email/resend', { body: {} }),
  forgotPassword: (body) => request('POST', '/api/auth/forgot-password', { body, auth: false }),
  resetPassword: (body) => request('POST', '/api/auth/reset-password', { body, auth: false }),
  changePassword: (body) => request('POST', '/api/auth/password', { body }),
  /** Ends this session (its refresh token), or with `everywhere` every one. */
  logout: ({ everywhere = false } = {}) => {
    const s = session.get();
    const body = everywhere ? { everywhere: true } : { refreshToken: s && s.refreshToken ? s.refreshToken : undefined };
    return request('POST', '/api/auth/logout', { body, auth: everywhere });
  },
  totpSetup: () => request('POST', '/api/auth/totp/setup', { body: {} }),
  totpConfirm: (code) => request('POST', '/api/auth/totp/confirm', { body: { code } }),
  totpDisable: (password) => request('POST', '/api/auth/totp/disable', { body: { password } }),
  profile: () => request('GET', '/api/auth/profile'),
  updateProfile: (body) => request('PUT', '/api/auth/profile', { body }),
  placeOrder: (body, idempotencyKey) => request('POST', '/api/orders', { body, headers: { 'Idempotency-Key': idempotencyKey } }),
  orders: () => request('GET', '/api/orders'),
  order: (id, signal) => request('GET', `/api/orders/${encodeURIComponent(id)}`, { signal }),
  cancelOrder: (id) => request('POST', `/api/orders/${encodeURIComponent(id)}/cancel`),
  adminOrders: (status) => request('GET', `/api/admin/orders${status ? `?status=${encodeURIComponent(status)}` : ''}`),
  adjustStock: (id, delta) => request('POST', `/api/products/${encodeURIComponent(id)}/stock`, { body: { delta } }),
};
