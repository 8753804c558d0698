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

/**
 * request('GET', '/api/products') → parsed JSON.
 * Errors throw ApiError with the API's own {"error": "..."} message.
 */
export async function request(method, path, { body, headers = {}, auth = true, signal } = {}) {
  if (!API_BASE) {
    throw new ApiError(0, 'The store is not configured: config.js has no apiBaseUrl.');
  }
  const h = { Accept: 'application/json', ...headers };
  const token = auth ? session.token() : null;
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
    if (response.status === 401 && token) onUnauthorized(message);
    throw new ApiError(response.status, message, data);
  }
  return data;
}

export const api = {
  products: (params = {}) => {
    const q = new URLSearchParams();
    if (params.category) q.set('category', params.category);
    if (params.q) q.set('q', params.q);
    const qs = q.toString();
    return request('GET', `/api/products${qs ? `?${qs}` : ''}`, { auth: false });
  },
  product: (id) => request('GET', `/api/products/${encodeURIComponent(id)}`, { auth: false }),
  register: (body) => request('POST', '/api/auth/register', { body, auth: false }),
  login: (body) => request('POST', '/api/auth/login', { body, auth: false }),
  profile: () => request('GET', '/api/auth/profile'),
  updateProfile: (body) => request('PUT', '/api/auth/profile', { body }),
  placeOrder: (body, idempotencyKey) => request('POST', '/api/orders', { body, headers: { 'Idempotency-Key': idempotencyKey } }),
  orders: () => request('GET', '/api/orders'),
  order: (id, signal) => request('GET', `/api/orders/${encodeURIComponent(id)}`, { signal }),
  cancelOrder: (id) => request('POST', `/api/orders/${encodeURIComponent(id)}/cancel`),
  adminOrders: (status) => request('GET', `/api/admin/orders${status ? `?status=${encodeURIComponent(status)}` : ''}`),
  adjustStock: (id, delta) => request('POST', `/api/products/${encodeURIComponent(id)}/stock`, { body: { delta } }),
};
