// CORS as a browser on another origin needs it: the preflight (OPTIONS) of
// every route the storefront calls with Authorization / Idempotency-Key, and
// Access-Control-Allow-Origin on answers, errors included. (Every browser test
// also goes through CORS for real: the storefront is on its own port.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_URL, apiCall } from './helpers.mjs';

const ORIGIN = 'http://127.0.0.1:8080';

async function preflight(path, method, headers) {
  const res = await fetch(API_URL + path, {
    method: 'OPTIONS',
    headers: {
      Origin: ORIGIN,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': headers,
    },
  });
  return {
    status: res.status,
    origin: res.headers.get('access-control-allow-origin'),
    methods: (res.headers.get('access-control-allow-methods') || '').toLowerCase(),
    headers: (res.headers.get('access-control-allow-headers') || '').toLowerCase(),
  };
}

const ROUTES = [
  ['/api/orders', 'POST', 'authorization,content-type,idempotency-key'],
  ['/api/orders', 'GET', 'authorization'],
  ['/api/orders/some-id', 'GET', 'authorization'],
  ['/api/orders/some-id/cancel', 'POST', 'authorization'],
  ['/api/auth/profile', 'PUT', 'authorization,content-type'],
  ['/api/auth/login', 'POST', 'content-type'],
  ['/api/products/prod-001/stock', 'POST', 'authorization,content-type'],
  ['/api/admin/orders', 'GET', 'authorization'],
];

describe('CORS', () => {
  for (const [path, method, headers] of ROUTES) {
    test(`preflight ${method} ${path} allows ${headers}`, async () => {
      const p = await preflight(path, method, headers);
      assert.ok(p.status >= 200 && p.status < 300, `preflight status ${p.status}`);
      assert.ok(p.origin === '*' || p.origin === ORIGIN, `Access-Control-Allow-Origin: ${p.origin}`);
      assert.ok(p.methods.includes(method.toLowerCase()), `Access-Control-Allow-Methods: ${p.methods}`);
      for (const h of headers.split(',')) {
        assert.ok(p.headers.split(/\s*,\s*/).includes(h), `Access-Control-Allow-Headers lacks ${h}: ${p.headers}`);
      }
    });
  }

  test('answers and errors carry Access-Control-Allow-Origin', async () => {
    for (const [method, path, status] of [['GET', '/api/products', 200], ['GET', '/api/orders', 401], ['GET', '/api/products/nope', 404]]) {
      const res = await apiCall(method, path, { headers: { Origin: ORIGIN } });
      assert.equal(res.status, status, `${method} ${path}`);
      assert.ok(res.headers.get('access-control-allow-origin'), `${method} ${path} has no Access-Control-Allow-Origin`);
    }
  });
});
