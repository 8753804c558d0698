// The tables written once in Rust, checked against where the deployment and
// the docs repeat them: the template's API events and CORS, the
// `cargo lambda watch` router in Cargo.toml, infra/openapi.yaml's paths and
// CONTRACT.md's transitions.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TRANSITIONS, loadTemplate, loadRoutes, loadOpenApi } from './contract-files.mjs';

const ROUTES = loadRoutes();
const key = (r) => `${r.method} ${r.path}`;

/** The API events of every function in the template, by binary name. */
function templateRoutes() {
  const byBinary = {};
  for (const [name, resource] of Object.entries(loadTemplate().Resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const binary = resource.Metadata?.BuildProperties?.Binary;
    for (const event of Object.values(resource.Properties.Events ?? {})) {
      if (event.Type !== 'Api') continue;
      assert.ok(binary, `${name} serves API events but names no binary`);
      assert.deepEqual(event.Properties.RestApiId, { 'Fn::Ref': 'Api' }, `${name}: an event on another API`);
      (byBinary[binary] ??= []).push({ method: event.Properties.Method.toUpperCase(), path: event.Properties.Path });
    }
  }
  return byBinary;
}

/** `[workspace.metadata.lambda.watch.router]` of Cargo.toml: pattern -> function. */
function watchRouter() {
  const text = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8');
  const section = text.split('[workspace.metadata.lambda.watch.router]')[1];
  assert.ok(section, 'Cargo.toml has a watch router');
  const routes = [];
  for (const line of section.split('\n')) {
    if (line.startsWith('[')) break;
    const m = /^"([^"]+)"\s*=\s*"([^"]+)"/.exec(line.trim());
    if (m) routes.push({ pattern: m[1], fn: m[2] });
  }
  return routes;
}

// A path as a request would have it, parameters filled in.
const sample = (path) => path.replace(/\{\w+\}/g, 'x-1');
// matchit's syntax: {name} is one segment, {*name} the rest.
const matcher = (pattern) => new RegExp(`^${pattern.replace(/\{\*\w+\}/g, '.+').replace(/\{\w+\}/g, '[^/]+')}$`);
const staticLength = (pattern) => pattern.split('{')[0].length;

describe('routes', () => {
  test('the template deploys exactly the routes each function serves', () => {
    const deployed = templateRoutes();
    assert.deepEqual(Object.keys(deployed).sort(), Object.keys(ROUTES.functions).sort(), 'the same functions');
    for (const [fn, routes] of Object.entries(ROUTES.functions)) {
      assert.deepEqual(deployed[fn].map(key).sort(), routes.map(key).sort(), `${fn}: template events = route table`);
    }
  });

  test('cargo lambda watch sends every route to the function that serves it, and nothing else', () => {
    const router = watchRouter();
    const used = new Set();
    for (const [fn, routes] of Object.entries(ROUTES.functions)) {
      for (const route of routes) {
        const path = sample(route.path);
        // The most specific pattern wins, as in the router.
        const match = router.filter((r) => matcher(r.pattern).test(path)).sort((a, b) => staticLength(b.pattern) - staticLength(a.pattern))[0];
        assert.ok(match, `${key(route)}: no watch route`);
        assert.equal(match.fn, fn, `${key(route)}: watch sends it to ${match.fn}`);
        used.add(match.pattern);
      }
    }
    assert.deepEqual(router.map((r) => r.pattern).filter((p) => !used.has(p)), [], 'watch routes that serve nothing');
  });

  test('API Gateway answers preflights with the headers and methods the functions allow', () => {
    const api = Object.values(loadTemplate().Resources).find((r) => r.Type === 'AWS::Serverless::Api');
    assert.equal(api.Properties.Cors.AllowHeaders, `'${ROUTES.cors.allowHeaders}'`);
    assert.equal(api.Properties.Cors.AllowMethods, `'${ROUTES.cors.allowMethods}'`);
  });
});

describe('infra/openapi.yaml', () => {
  const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
  const spec = loadOpenApi();
  const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, operation: item[m] })),
  );

  test('documents exactly the routes the functions serve', () => {
    assert.equal(spec.openapi, '3.1.0');
    const served = Object.values(ROUTES.functions).flat().map(key).sort();
    assert.deepEqual(operations.map(key).sort(), served);
  });

  // A client must be told to retry on 503 wherever a dependency can be down.
  test('every operation documents 503', () => {
    const missing = operations.filter((o) => !o.operation.responses?.['503']).map(key);
    assert.deepEqual(missing, []);
  });
});

describe('CONTRACT.md', () => {
  test('its table of legal transitions is the domain one', () => {
    const text = readFileSync(join(ROOT, 'statemachine', 'CONTRACT.md'), 'utf8');
    const block = text.split('Legal transitions')[1].split('```')[1];
    const documented = {};
    for (const line of block.trim().split('\n')) {
      const final = /^([\w, ]+): final$/.exec(line);
      if (final) {
        for (const s of final[1].split(',')) documented[s.trim()] = [];
        continue;
      }
      const m = /^(\w+)\s+->\s+([^(]+)/.exec(line);
      assert.ok(m, `unreadable line: ${line}`);
      documented[m[1]] = m[2].split(',').map((s) => s.trim());
    }
    const sorted = (table) => Object.fromEntries(Object.entries(table).map(([k, v]) => [k, [...v].sort()]).sort());
    assert.deepEqual(sorted(documented), sorted(TRANSITIONS.transitions));
    assert.deepEqual(Object.keys(documented).filter((s) => documented[s].length === 0).sort(), [...TRANSITIONS.final].sort());
  });
});
