#!/usr/bin/env node
// A small static server for the storefront (no dependencies).
//
//   node spa/server.mjs --api http://127.0.0.1:4566/_aws/execute-api/<id>/prod [--stream <OrderStreamUrl>] [--payments stripe|simulated] [--port 8080] [--host 127.0.0.1]
//
// The default port is SPA_PORT, else 8080 + (LS_PORT - 4566): 8080 beside
// the default LocalStack. scripts/up.sh allows CORS for exactly that origin
// (http://127.0.0.1:<port>), so serve there to use the local stack's API.
//
// Serves spa/public/ and answers /config.js with the API base URL and the
// live order stream's URL (optional: without it order pages poll), the same
// file spa/deploy.sh writes into the S3 bucket in AWS:
//   window.STORE_CONFIG = {"apiBaseUrl": "...", "orderStreamUrl": "..."};
// --port 0 picks a free port; the first line printed is "listening <url>"
// (and --port-file <path> receives the port), so scripts can find it.
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The storefront's local port, as scripts/up.sh computes it for AllowedOrigin. */
export function defaultPort(env = process.env) {
  if (env.SPA_PORT) return Number(env.SPA_PORT);
  return 8080 + Number(env.LS_PORT || 4566) - 4566;
}

function parseArgs(argv) {
  const args = { port: defaultPort(), host: '127.0.0.1', root: path.join(here, 'public'), api: process.env.API_BASE_URL || '', stream: process.env.ORDER_STREAM_URL || '', payments: process.env.PAYMENT_PROVIDER || '' };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--port') { args.port = Number(value); i += 1; }
    else if (flag === '--host') { args.host = value; i += 1; }
    else if (flag === '--root') { args.root = path.resolve(value); i += 1; }
    else if (flag === '--api') { args.api = value; i += 1; }
    else if (flag === '--stream') { args.stream = value; i += 1; }
    else if (flag === '--payments') { args.payments = value; i += 1; }
    else if (flag === '--port-file') { args.portFile = value; i += 1; }
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: node server.mjs --api <API base URL> [--stream <order stream URL>] [--payments stripe|simulated] [--port 8080|0] [--host 127.0.0.1] [--root dir] [--port-file f]');
      process.exit(0);
    } else {
      console.error(`unknown argument: ${flag}`);
      process.exit(2);
    }
  }
  return args;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** config.js: the only generated file. JSON-encoded, so no script injection. */
export function configScript(apiBaseUrl, orderStreamUrl = '', paymentProvider = '') {
  const config = { apiBaseUrl: String(apiBaseUrl).replace(/\/+$/, '') };
  if (orderStreamUrl) config.orderStreamUrl = String(orderStreamUrl);
  if (paymentProvider === 'stripe' || paymentProvider === 'simulated') config.paymentProvider = paymentProvider;
  return `window.STORE_CONFIG = Object.freeze(${JSON.stringify(config)});\n`;
}

function originOf(url) {
  try { return new URL(url).origin; } catch { return ''; }
}

function securityHeaders(apiBaseUrl, orderStreamUrl) {
  const origins = [...new Set([originOf(apiBaseUrl), originOf(orderStreamUrl)].filter(Boolean))];
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: https:",
      ["connect-src 'self'", ...origins].join(' '),
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-cache',
  };
}

export function createServer({ root, api, stream = '', payments = '' }) {
  const headers = securityHeaders(api, stream);
  const config = configScript(api, stream, payments);
  return http.createServer(async (req, res) => {
    const send = (status, type, body) => {
      res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      send(400, 'text/plain; charset=utf-8', 'bad request\n');
      return;
    }
    if (pathname === '/config.js') {
      send(200, TYPES['.js'], config);
      return;
    }
    if (pathname === '/healthz') {
      send(200, TYPES['.json'], '{"status":"healthy"}');
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const file = path.normalize(path.join(root, pathname));
    if (!file.startsWith(root + path.sep)) {
      send(404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    try {
      const body = await fs.readFile(file);
      send(200, TYPES[path.extname(file)] || 'application/octet-stream', body);
    } catch {
      // Hash routing needs no fallback, but a deep link without a file
      // extension still gets the app.
      if (!path.extname(pathname)) {
        send(200, TYPES['.html'], await fs.readFile(path.join(root, 'index.html')));
      } else {
        send(404, 'text/plain; charset=utf-8', 'not found\n');
      }
    }
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  if (!args.api) {
    console.error('the API base URL is required: --api <url> or API_BASE_URL');
    process.exit(2);
  }
  const server = createServer(args);
  server.listen(args.port, args.host, async () => {
    const { port } = server.address();
    if (args.portFile) await fs.writeFile(args.portFile, `${port}\n`);
    console.log(`listening http://${args.host}:${port}/`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
