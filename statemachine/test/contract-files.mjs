// What the infrastructure checks read besides the ASL: the template (with
// CloudFormation's short tags), and the tables the Rust code writes out
// (statemachine/transitions.json, infra/routes.json: `BLESS=1 cargo test`
// rewrites them, and a Rust test fails while they are out of date), and the
// OpenAPI contract written by hand beside them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const TEMPLATE_PATH = process.env.TEMPLATE_PATH ?? join(ROOT, 'infra', 'template.yaml');

function cfnTags() {
  const names = ['Ref', 'Sub', 'GetAtt', 'If', 'Equals', 'Not', 'And', 'Or', 'Join', 'Select', 'Split', 'FindInMap', 'ImportValue', 'Condition', 'GetAZs', 'Base64', 'Cidr'];
  return names.flatMap((n) => [
    { tag: `!${n}`, resolve: (v) => ({ [`Fn::${n}`]: v }) },
    { tag: `!${n}`, collection: 'seq', resolve: (v) => ({ [`Fn::${n}`]: v.toJSON() }) },
    { tag: `!${n}`, collection: 'map', resolve: (v) => ({ [`Fn::${n}`]: v.toJSON() }) },
  ]);
}

export function loadTemplate() {
  return YAML.parse(readFileSync(TEMPLATE_PATH, 'utf8'), { logLevel: 'silent', customTags: cfnTags() });
}

const readJson = (...path) => JSON.parse(readFileSync(join(ROOT, ...path), 'utf8'));

/** The order's legal transitions, as shared/src/domain/order.rs has them. */
export const TRANSITIONS = readJson('statemachine', 'transitions.json');

/** Every HTTP function's routes, as their route tables have them. */
export const loadRoutes = () => readJson('infra', 'routes.json');

/** The API's contract, infra/openapi.yaml (what scripts/fuzz-api.sh fuzzes against). */
export const loadOpenApi = () => YAML.parse(readFileSync(join(ROOT, 'infra', 'openapi.yaml'), 'utf8'));
