// CORS as a browser on another origin needs it, for exactly the storefront's
// origin: the preflight (OPTIONS) of every route the storefront calls with
// Authorization / Idempotency-Key, and Access-Control-Allow-Origin on answers
// and errors. Another origin is never named, and never '*'. (Every browser
// test also goes through CORS for real: the storefront is on its own port,
// the origin the stack allows.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_URL, SPA_URL, apiCall } from './helpers.mjs';

const ORIGIN = new URL(SPA_URL).origin;
const FOREIGN = 'https://attacker.example';

async function preflight(path, method, headers, origin = ORIGIN) {
  const res = await fetch(API_URL + path, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
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

// Answers of the functions: a success and their errors. (API Gateway's own
// 403 for an unknown path carries the DEFAULT_4XX headers on AWS only:
// LocalStack leaves gateway responses out.)
const ANSWERS = [
  ['GET', '/api/products', 200],
  ['GET', '/api/orders', 401],
  ['GET', '/api/products/nope', 404],
];

describe('CORS', () => {
  test('the storefront is served from a real origin, not a wildcard', () => {
    assert.match(ORIGIN, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  for (const [path, method, headers] of ROUTES) {
    test(`preflight ${method} ${path} allows ${headers} for the storefront's origin`, async () => {
      const p = await preflight(path, method, headers);
      assert.ok(p.status >= 200 && p.status < 300, `preflight status ${p.status}`);
      assert.equal(p.origin, ORIGIN, 'Access-Control-Allow-Origin');
      assert.ok(p.methods.includes(method.toLowerCase()), `Access-Control-Allow-Methods: ${p.methods}`);
      for (const h of headers.split(',')) {
        assert.ok(p.headers.split(/\s*,\s*/).includes(h), `Access-Control-Allow-Headers lacks ${h}: ${p.headers}`);
      }
    });
  }

  test('a preflight from another origin is not allowed', async () => {
    const p = await preflight('/api/orders', 'POST', 'authorization,content-type', FOREIGN);
    assert.notEqual(p.origin, FOREIGN);
    assert.notEqual(p.origin, '*');
  });

  test('answers and errors carry exactly the storefront origin', async () => {
    for (const [method, path, status] of ANSWERS) {
      const res = await apiCall(method, path, { headers: { Origin: ORIGIN } });
      assert.equal(res.status, status, `${method} ${path}`);
      assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN, `${method} ${path}`);
    }
  });

  test('answers never name another origin or a wildcard', async () => {
    for (const [method, path, status] of ANSWERS) {
      const res = await apiCall(method, path, { headers: { Origin: FOREIGN } });
      assert.equal(res.status, status, `${method} ${path}`);
      const allowed = res.headers.get('access-control-allow-origin');
      assert.notEqual(allowed, FOREIGN, `${method} ${path}`);
      assert.notEqual(allowed, '*', `${method} ${path}`);
    }
  });
});
