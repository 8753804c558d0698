// Structural and behavioural tests of order-processing.asl.json.
// Run: node --test statemachine/test/   (scripts/check-infra.sh does).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { TRANSITIONS, loadTemplate } from './contract-files.mjs';
import { runExecution, splitArgs } from './simulator.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ASL_PATH = process.env.ASL_PATH ?? join(here, '..', 'order-processing.asl.json');
const RAW = readFileSync(ASL_PATH, 'utf8');
const ASL = JSON.parse(RAW);
// What the template substitutes and the simulator cannot leave as a placeholder.
const SIMULATION = JSON.parse(RAW.replaceAll('${DeliveryTimeoutSeconds}', '604800'));

const ALL_STATUSES = TRANSITIONS.statuses;
const SET_BY_API = ['new', 'cancelled'];
// The forward functions write these themselves (reserve-inventory: validated;
// charge-payment: paying, paid; create-shipment: shipping, shipped; the
// carrier's webhook: delivered), each conditional on the status it expects,
// and publish their milestone's event; the machine writes the rest and
// publishes the rest.
const SET_BY_FUNCTIONS = ['validated', 'paying', 'paid', 'shipping', 'shipped', 'delivered'];
const SET_BY_MACHINE = ['validating', 'payment_failed', 'ship_failed', 'failed'];
// The domain's table (shared/src/domain/order.rs, written out by its test).
const LEGAL = TRANSITIONS.transitions;
// Sandbox.Timedout: the function ran out of time (every forward step is
// idempotent, so a retry finishes what the timed-out call began).
const TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'Sandbox.Timedout', 'Transient'];
const FORWARD_FUNCTIONS = ['${ReserveInventoryFunctionArn}', '${ChargePaymentFunctionArn}', '${CreateShipmentFunctionArn}', '${AwaitDeliveryFunctionArn}'];
const COMPENSATION_FUNCTIONS = ['${ReleaseInventoryFunctionArn}', '${RefundPaymentFunctionArn}'];
const FUNCTION_EVENTS = ['order.validated', 'order.paid', 'order.shipped', 'order.delivered'];
const MACHINE_EVENTS = ['order.failed', 'order.payment_refunded', 'order.payment_voided', 'order.inventory_released', 'order.needs_attention'];
// The forward tasks that write their milestone and publish its event: the
// eventId they get (made once in MarkValidating) and the attempt counter.
const MILESTONE_TASKS = {
  '${ReserveInventoryFunctionArn}': { milestone: 'validated', attempt: null },
  '${ChargePaymentFunctionArn}': { milestone: 'paid', attempt: 'payment' },
  '${CreateShipmentFunctionArn}': { milestone: 'shipped', attempt: 'shipping' },
};
// order.delivered is written and published by the carrier's webhook
// (shipping-webhook) with the eventId await-delivery registers.
const EVENT_ID_OWNERS = {
  ...Object.fromEntries(Object.entries(MILESTONE_TASKS).map(([arn, { milestone }]) => [milestone, arn])),
  delivered: '${AwaitDeliveryFunctionArn}',
};
const DETAIL_KEYS = ['correlationId', 'eventId', 'occurredAt', 'orderId', 'status', 'userId', 'version'];

const states = Object.entries(ASL.States);
const tasks = states.filter(([, s]) => s.Type === 'Task');
const isLambda = (s) => typeof s.Resource === 'string' && s.Resource.startsWith('arn:aws:states:::lambda:invoke');
const fnOf = (s) => s.Parameters?.FunctionName;
const forwardTasks = tasks.filter(([, s]) => isLambda(s) && FORWARD_FUNCTIONS.includes(fnOf(s)));
const compensationTasks = tasks.filter(([, s]) => isLambda(s) && COMPENSATION_FUNCTIONS.includes(fnOf(s)));
const updates = tasks.filter(([, s]) => s.Resource === 'arn:aws:states:::dynamodb:updateItem');
const publishes = tasks.filter(([, s]) => s.Resource === 'arn:aws:states:::events:putEvents');

function successors(state) {
  const out = [];
  if (state.Next) out.push(state.Next);
  if (state.Default) out.push(state.Default);
  for (const c of state.Choices ?? []) out.push(c.Next);
  for (const c of state.Catch ?? []) out.push(c.Next);
  return out;
}
const isTerminal = (s) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true;

function walkStrings(value, visit, path = '$') {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, visit, `${path}[${i}]`));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      visit(k, `${path}.${k} (key)`);
      walkStrings(v, visit, `${path}.${k}`);
    }
  }
}

describe('query language', () => {
  test('JSONPath only: no QueryLanguage JSONata, no {% %} expressions, no JSONata-only fields', () => {
    walkStrings(ASL, (s, path) => {
      assert.ok(!s.includes('{%') && !s.includes('%}'), `JSONata expression at ${path}`);
    });
    assert.notEqual(ASL.QueryLanguage, 'JSONata');
    for (const [name, s] of states) {
      assert.notEqual(s.QueryLanguage, 'JSONata', `${name} uses JSONata`);
      for (const field of ['Arguments', 'Output', 'Assign']) assert.ok(!(field in s), `${name} has the JSONata/variables field ${field}`);
    }
  });
});

// Every "key.$" value is a path or a well-formed call of an intrinsic function
// (asl-validator checks neither the calls nor their arguments).
const INTRINSICS = { 'States.Format': [1, Infinity], 'States.UUID': [0, 0], 'States.MathAdd': [2, 2], 'States.StringToJson': [1, 1] };
function checkIntrinsic(expr, where) {
  const m = /^(States\.[A-Za-z]+)\((.*)\)$/s.exec(expr);
  assert.ok(m, `${where}: not a call: ${expr}`);
  assert.ok(m[1] in INTRINSICS, `${where}: unknown or unexpected intrinsic ${m[1]}`);
  const args = splitArgs(m[2]);
  const [min, max] = INTRINSICS[m[1]];
  assert.ok(args.length >= min && args.length <= max, `${where}: ${m[1]} takes ${min}..${max} arguments, got ${args.length}`);
  args.forEach((a, i) => {
    if (a.startsWith("'")) {
      // the template of States.Format may hold {} placeholders
      const literal = m[1] === 'States.Format' && i === 0 ? a.replaceAll('{}', '') : a;
      assert.match(literal, /^'(?:[^'{}\\]|\\['{}\\])*'$/s, `${where}: bad string literal ${a} (escape ' { } \\)`);
    } else if (a.startsWith('States.')) checkIntrinsic(a, where);
    else if (a.startsWith('$')) assert.match(a, /^\$\$?(\.[A-Za-z_][A-Za-z0-9_]*)+$/, `${where}: bad path ${a}`);
    else assert.match(a, /^-?\d+$/, `${where}: bad argument ${a}`);
  });
  if (m[1] === 'States.Format') {
    const template = args[0].slice(1, -1);
    const holes = template.split('{}').length - 1;
    assert.equal(holes, args.length - 1, `${where}: States.Format has ${holes} {} for ${args.length - 1} arguments`);
  }
}

describe('paths and intrinsic functions', () => {
  test('every "key.$" value is a JSONPath or a well-formed intrinsic call', () => {
    let count = 0;
    const visit = (value, where) => {
      if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${where}[${i}]`));
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (k.endsWith('.$')) {
            count += 1;
            assert.equal(typeof v, 'string', `${where}.${k}`);
            if (v.startsWith('States.')) checkIntrinsic(v, `${where}.${k}`);
            else assert.match(v, /^\$\$?(\.[A-Za-z_][A-Za-z0-9_]*)*$/, `${where}.${k}: not a plain path: ${v}`);
          } else visit(v, `${where}.${k}`);
        }
      }
    };
    // the substituted definition is what runs
    visit(SIMULATION.States, 'States');
    assert.ok(count > 50);
  });
});

describe('graph', () => {
  test('every transition names an existing state and every state is reachable', () => {
    assert.ok(ASL.States[ASL.StartAt], 'StartAt names a state');
    const seen = new Set([ASL.StartAt]);
    const queue = [ASL.StartAt];
    while (queue.length) {
      const name = queue.shift();
      for (const next of successors(ASL.States[name])) {
        assert.ok(ASL.States[next], `${name} -> ${next}: no such state`);
        if (!seen.has(next)) { seen.add(next); queue.push(next); }
      }
    }
    const unreachable = states.map(([n]) => n).filter((n) => !seen.has(n));
    assert.deepEqual(unreachable, [], 'unreachable states');
  });

  test('every non-terminal state has a way on, every terminal state none', () => {
    for (const [name, s] of states) {
      if (s.Type === 'Succeed' || s.Type === 'Fail') continue;
      if (s.Type === 'Choice') assert.ok(s.Default, `${name}: a Choice needs a Default`);
      else assert.ok(Boolean(s.Next) !== Boolean(s.End), `${name}: exactly one of Next / End`);
    }
  });
});

describe('forward tasks', () => {
  test('reserve, charge, create-shipment and await-delivery are all invoked', () => {
    const invoked = new Set(forwardTasks.map(([, s]) => fnOf(s)));
    assert.deepEqual([...invoked].sort(), [...FORWARD_FUNCTIONS].sort());
  });

  for (const [name, s] of forwardTasks) {
    test(`${name} retries exactly the transient errors, with backoff and full jitter`, () => {
      assert.ok(Array.isArray(s.Retry) && s.Retry.length > 0, 'has Retry');
      const retried = s.Retry.flatMap((r) => r.ErrorEquals);
      assert.deepEqual([...retried].sort(), [...TRANSIENT].sort(), 'retries exactly the transient errors, nothing else');
      for (const r of s.Retry) {
        assert.equal(r.JitterStrategy, 'FULL');
        assert.ok(typeof r.BackoffRate === 'number' && r.BackoffRate > 1, 'BackoffRate > 1');
        assert.ok(Number.isInteger(r.MaxDelaySeconds) && r.MaxDelaySeconds > 0, 'MaxDelaySeconds');
        assert.ok(Number.isInteger(r.IntervalSeconds) && r.IntervalSeconds > 0, 'IntervalSeconds');
        assert.ok(Number.isInteger(r.MaxAttempts) && r.MaxAttempts > 0, 'MaxAttempts');
      }
    });
    test(`${name} has a Catch that ends in States.ALL and passes the order id on`, () => {
      assert.ok(Array.isArray(s.Catch) && s.Catch.length > 0, 'has Catch');
      assert.deepEqual(s.Catch.at(-1).ErrorEquals, ['States.ALL'], 'the last catcher takes everything else');
      for (const c of s.Catch) assert.ok(c.ResultPath && c.ResultPath.startsWith('$.'), `${name}: Catch keeps the input (ResultPath)`);
      assert.equal(s.Parameters.Payload['orderId.$'], '$.orderId');
      assert.equal(s.Parameters.Payload['correlationId.$'], '$.correlationId');
      assert.notEqual(s.ResultPath, undefined, 'ResultPath set so the input (order id) survives');
      assert.notEqual(s.ResultPath, '$', 'ResultPath must not replace the input');
    });
  }

  test('reserve, charge and create-shipment get their milestone eventId and attempt, and catch OrderMoved into CheckCancelled', () => {
    const made = ASL.States[ASL.StartAt].ResultSelector?.eventIds ?? {};
    const attempts = ASL.States[ASL.StartAt].ResultSelector?.attempts ?? {};
    for (const [arn, { milestone, attempt }] of Object.entries(MILESTONE_TASKS)) {
      const found = forwardTasks.filter(([, s]) => fnOf(s) === arn);
      assert.ok(found.length > 0, `${arn} is invoked`);
      for (const [name, s] of found) {
        const payload = s.Parameters.Payload;
        assert.equal(payload['eventId.$'], `$.order.eventIds.${milestone}`, `${name}: eventId`);
        assert.equal(made[`${milestone}.$`], 'States.UUID()', `${name}: $.order.eventIds.${milestone} is made once, in ${ASL.StartAt}`);
        if (attempt) {
          assert.equal(payload['attempt.$'], `$.order.attempts.${attempt}`, `${name}: attempt`);
          assert.equal(attempts[attempt], 1, `${name}: the ${attempt} attempts start at 1 in ${ASL.StartAt}`);
        } else assert.ok(!('attempt.$' in payload) && !('attempt' in payload), `${name}: no attempt`);
        const i = s.Catch.findIndex((c) => c.ErrorEquals.includes('OrderMoved'));
        assert.ok(i >= 0, `${name}: catches OrderMoved`);
        assert.equal(s.Catch[i].Next, 'CheckCancelled', `${name}: OrderMoved -> CheckCancelled`);
        assert.equal(s.Catch[i].ResultPath, '$.error', `${name}: OrderMoved keeps the error for the needs-attention reason`);
        assert.ok(!s.Retry.some((r) => r.ErrorEquals.includes('OrderMoved')), `${name}: OrderMoved is never retried`);
      }
    }
    // those event ids belong to the functions: no other state uses them
    for (const [name, s] of states) {
      walkStrings(s.Parameters ?? {}, (v, path) => {
        const m = /^\$\.order\.eventIds\.(\w+)$/.exec(v);
        if (m && m[1] in EVENT_ID_OWNERS) assert.equal(isLambda(s) ? fnOf(s) : name, EVENT_ID_OWNERS[m[1]], `${name} uses ${v} at ${path}`);
      });
    }
  });

  test('await-delivery waits for the task token with a timeout and no heartbeat', () => {
    const [[, s]] = forwardTasks.filter(([, t]) => fnOf(t) === '${AwaitDeliveryFunctionArn}');
    assert.equal(s.Resource, 'arn:aws:states:::lambda:invoke.waitForTaskToken');
    assert.equal(s.Parameters.Payload['taskToken.$'], '$$.Task.Token');
    assert.equal(s.Parameters.Payload['trackingNumber.$'], '$.shipment.trackingNumber');
    assert.ok(s.TimeoutSeconds || s.TimeoutSecondsPath, 'has a timeout');
    assert.ok(!('HeartbeatSeconds' in s) && !('HeartbeatSecondsPath' in s), 'no heartbeat');
    assert.ok(s.Catch.some((c) => c.ErrorEquals.includes('States.Timeout')), 'catches States.Timeout');
    // the webhook writes delivered and publishes order.delivered with this id
    assert.equal(s.Parameters.Payload['eventId.$'], '$.order.eventIds.delivered');
    assert.equal(ASL.States[ASL.StartAt].ResultSelector?.eventIds?.['delivered.$'], 'States.UUID()', 'made once, at the start');
    assert.equal(s.End, true, 'the delivery ends the happy path: no state writes or publishes after it');
  });
});

describe('compensation', () => {
  const forwardMax = Math.max(...forwardTasks.flatMap(([, s]) => s.Retry.map((r) => r.MaxAttempts)));

  test('release-inventory and refund-payment are used as compensations', () => {
    assert.deepEqual([...new Set(compensationTasks.map(([, s]) => fnOf(s)))].sort(), [...COMPENSATION_FUNCTIONS].sort());
  });

  for (const [name, s] of compensationTasks) {
    test(`${name} retries harder than any forward task, on every error`, () => {
      assert.ok(Array.isArray(s.Retry) && s.Retry.length > 0, 'has Retry');
      const all = s.Retry.find((r) => r.ErrorEquals.includes('States.ALL'));
      assert.ok(all, 'retries States.ALL (compensations are idempotent)');
      for (const r of s.Retry) {
        assert.ok(r.MaxAttempts > forwardMax, `MaxAttempts ${r.MaxAttempts} > forward ${forwardMax}`);
        assert.equal(r.JitterStrategy, 'FULL');
        assert.ok(r.BackoffRate > 1 && r.MaxDelaySeconds > 0);
      }
      assert.ok(s.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')), 'a compensation that still fails is caught');
    });
  }

  test('every path from a compensation reaches Succeed/Fail/End without looping or going forward again', () => {
    for (const [start] of compensationTasks) {
      // depth-first search with colours: a grey node seen again is a cycle
      const colour = new Map();
      const visit = (name, path) => {
        const s = ASL.States[name];
        assert.ok(s, `${path.join(' -> ')} -> ${name}: no such state`);
        if (colour.get(name) === 'grey') assert.fail(`cycle after compensation: ${[...path, name].join(' -> ')}`);
        if (colour.get(name) === 'black') return;
        colour.set(name, 'grey');
        assert.ok(!(isLambda(s) && FORWARD_FUNCTIONS.includes(fnOf(s))), `compensation ${start} leads back to forward task ${name}`);
        const next = successors(s);
        if (next.length === 0) assert.ok(isTerminal(s), `${[...path, name].join(' -> ')} stops at a non-terminal state`);
        if (s.Type !== 'Choice' && !isTerminal(s)) assert.ok(s.Next, `${name} has no Next`);
        for (const n of next) visit(n, [...path, name]);
        colour.set(name, 'black');
      };
      visit(start, []);
    }
  });
});

describe('order status updates', () => {
  const statusOf = ([, s]) => {
    const v = s.Parameters.ExpressionAttributeValues ?? {};
    return { from: v[':expected']?.S, to: v[':to']?.S };
  };
  const changesStatus = ([, s]) => /SET #status = :to\b/.test(s.Parameters.UpdateExpression);

  test('no update reads back more of the order than ids and statuses (the execution history keeps what a state returns)', () => {
    // The order's address, payment token and task tokens must never reach a state's output.
    const RETURNABLE = ['status', 'updatedAt', 'timeline', 'userId', 'needsAttention', 'failureReason'];
    for (const [name, s] of updates) {
      const p = s.Parameters;
      if (p.ReturnValues === undefined || p.ReturnValues === 'NONE') continue;
      assert.equal(p.ReturnValues, 'UPDATED_NEW', `${name}: ALL_NEW would return the whole order`);
      for (const assignment of p.UpdateExpression.replace(/^SET /, '').split(/,(?![^(]*\))/)) {
        const lhs = assignment.split('=')[0].trim();
        const attr = lhs.startsWith('#') ? p.ExpressionAttributeNames[lhs] : lhs;
        assert.ok(RETURNABLE.includes(attr), `${name} returns ${attr}`);
      }
    }
    for (const [name, s] of states) {
      assert.notEqual(s.Parameters?.ReturnValues, 'ALL_NEW', `${name}`);
      assert.notEqual(s.Parameters?.ReturnValues, 'ALL_OLD', `${name}`);
    }
  });

  test('every DynamoDB update has a ConditionExpression on #status = status', () => {
    assert.ok(updates.length > 0);
    for (const [name, s] of updates) {
      assert.match(s.Parameters.ConditionExpression ?? '', /#status\b/, `${name}: ConditionExpression on #status`);
      assert.equal(s.Parameters.ExpressionAttributeNames?.['#status'], 'status', `${name}: #status means status`);
      assert.equal(s.Parameters.TableName, '${OrdersTableName}', `${name}: the orders table`);
      assert.deepEqual(s.Parameters.Key, { id: { 'S.$': '$.orderId' } }, `${name}: keyed by the order id`);
      assert.ok(s.Retry?.length > 0, `${name}: retries throttling`);
      for (const r of s.Retry) assert.ok(!r.ErrorEquals.some((e) => e.includes('ConditionalCheckFailed') || e === 'States.ALL' || e === 'States.TaskFailed'), `${name}: never retries a failed condition`);
    }
  });

  test('status changes follow CONTRACT.md exactly and only take legal transitions', () => {
    for (const entry of updates.filter(changesStatus)) {
      const [name, s] = entry;
      const p = s.Parameters;
      const { from, to } = statusOf(entry);
      assert.equal(p.ConditionExpression, '#status = :expected', `${name}`);
      assert.ok(p.UpdateExpression.startsWith('SET #status = :to, updatedAt = :now, timeline = list_append(timeline, :entry)'), `${name}: ${p.UpdateExpression}`);
      assert.ok(ALL_STATUSES.includes(from) && ALL_STATUSES.includes(to), `${name}: ${from} -> ${to}`);
      assert.ok(LEGAL[from].includes(to), `${name}: ${from} -> ${to} is not a legal transition`);
      assert.deepEqual(p.ExpressionAttributeValues[':now'], { 'S.$': '$$.State.EnteredTime' }, `${name}: :now`);
      const entryValue = p.ExpressionAttributeValues[':entry'];
      assert.equal(entryValue.L.length, 1, `${name}: one timeline entry`);
      const m = entryValue.L[0].M;
      assert.deepEqual(Object.keys(m).sort(), ['at', 'reason', 'status'], `${name}: entry {status, at, reason}`);
      assert.deepEqual(m.status, { S: to }, `${name}: the entry names the new status`);
      assert.deepEqual(m.at, { 'S.$': '$$.State.EnteredTime' }, `${name}: entry at`);
      assert.ok(m.reason.S || m.reason['S.$'], `${name}: a reason`);
    }
  });

  test('the API, the forward functions and the machine set the 10 statuses between them, each its own share', () => {
    const shares = [...SET_BY_API, ...SET_BY_FUNCTIONS, ...SET_BY_MACHINE];
    assert.deepEqual([...shares].sort(), [...ALL_STATUSES].sort(), 'every status has exactly one writer');
    assert.equal(new Set(shares).size, shares.length, 'no status has two writers');
    const set = new Set(updates.filter(changesStatus).map((e) => statusOf(e).to));
    assert.deepEqual([...set].sort(), [...SET_BY_MACHINE].sort(), 'the machine sets exactly its share');
    for (const s of [...SET_BY_API, ...SET_BY_FUNCTIONS]) assert.ok(!set.has(s), `the machine must not set ${s}`);
  });

  test('the machine stores neither the payment nor the shipment (the functions store them with paid / shipped)', () => {
    for (const [name, s] of updates) {
      const p = s.Parameters;
      assert.doesNotMatch(p.UpdateExpression, /payment|shipment/i, `${name}: ${p.UpdateExpression}`);
      assert.ok(!(':payment' in (p.ExpressionAttributeValues ?? {})) && !(':shipment' in (p.ExpressionAttributeValues ?? {})), name);
    }
  });
});

describe('events', () => {
  test('the machine publishes exactly its share of the lifecycle events, with the contract detail and no personal data', () => {
    const published = new Set();
    for (const [name, s] of publishes) {
      for (const e of s.Parameters.Entries) {
        assert.equal(e.Source, 'store.order-pipeline', name);
        assert.equal(e.EventBusName, '${EventBusName}', name);
        assert.ok(!FUNCTION_EVENTS.includes(e.DetailType), `${name}: ${e.DetailType} is published by its function`);
        assert.ok(MACHINE_EVENTS.includes(e.DetailType), `${name}: ${e.DetailType}`);
        published.add(e.DetailType);
        const keys = Object.keys(e.Detail).map((k) => k.replace(/\.\$$/, '')).sort();
        assert.deepEqual(keys, DETAIL_KEYS, `${name}: detail keys`);
        assert.equal(e.Detail.version, 1);
        assert.equal(e.Detail['occurredAt.$'], '$$.State.EnteredTime');
        assert.equal(e.Detail['orderId.$'], '$.orderId');
        assert.equal(e.Detail['correlationId.$'], '$.correlationId');
      }
      assert.ok(s.Retry?.length > 0, `${name}: retries`);
      assert.equal(s.ResultPath, null, `${name}: keeps its input`);
    }
    assert.deepEqual([...published].sort(), [...MACHINE_EVENTS].sort());
  });
});

describe('template', () => {
  test('every ${placeholder} of the definition is substituted by infra/template.yaml, and nothing more', () => {
    const used = new Set([...RAW.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    const doc = loadTemplate();
    const machines = Object.values(doc.Resources).filter((r) => r.Type === 'AWS::Serverless::StateMachine');
    assert.equal(machines.length, 1);
    const provided = new Set(Object.keys(machines[0].Properties.DefinitionSubstitutions));
    assert.deepEqual([...used].sort(), [...provided].sort());
    assert.equal(machines[0].Properties.Type, 'STANDARD');
    assert.equal(machines[0].Properties.DefinitionUri, '../statemachine/order-processing.asl.json');
  });
});


// --------------------------------------------------------------- behaviour
const fn = (name) => `\${${name}Arn}`;
const always = (error) => () => error;
const eventTypes = (r) => r.world.events.map((e) => e.DetailType);
const called = (r, name) => r.world.calls.filter((c) => c.fn === fn(name)).length;

const MILESTONE_OF = { 'order.validated': 'validated', 'order.paid': 'paid', 'order.shipped': 'shipped' };

function assertSagaInvariant(r) {
  // events, whoever published them: the contract's detail, for this order
  const firstById = new Map();
  for (const e of r.world.events) {
    assert.equal(e.Source, 'store.order-pipeline', e.DetailType);
    assert.deepEqual(Object.keys(e.Detail).sort(), DETAIL_KEYS, `${e.DetailType}: detail keys`);
    assert.equal(e.Detail.version, 1);
    assert.ok(e.Detail.eventId && e.Detail.userId === 'user-1' && e.Detail.orderId === 'order-1' && e.Detail.correlationId === 'corr-1', JSON.stringify(e.Detail));
    // an eventId names one event: it repeats only when a retry re-publishes that same
    // event (consumers de-duplicate on it); only the time of the publish may differ
    const first = firstById.get(e.Detail.eventId);
    const sameEvent = (x) => ({ ...x, Detail: { ...x.Detail, occurredAt: undefined } });
    if (first) assert.deepEqual(sameEvent(e), sameEvent(first), `event id ${e.Detail.eventId} reused for a different event`);
    else firstById.set(e.Detail.eventId, e);
    // the functions' events carry the status they wrote and the id the machine made for that milestone
    const milestone = MILESTONE_OF[e.DetailType];
    if (milestone) {
      assert.equal(e.Detail.status, milestone, e.DetailType);
      assert.equal(e.Detail.eventId, r.output.order.eventIds[milestone], `${e.DetailType}: the eventId of $.order.eventIds.${milestone}`);
    }
  }
  const o = r.world.order;
  if (!o || o.needsAttention) return;
  if (['failed', 'cancelled'].includes(o.status)) {
    assert.equal(r.world.stock.reserved, false, 'a failed or cancelled order holds no stock');
    if (r.world.payment.charged) assert.equal(r.world.payment.refunded, true, 'a failed order is refunded');
    else if (r.world.payment.authorised) assert.equal(r.world.payment.voided, true, 'a failed order holds nothing on the card');
  }
}

// Expected state transitions per path; statemachine/README.md quotes them.
const SCENARIOS = [
  {
    name: 'happy path',
    scenario: {},
    outcome: 'SUCCEEDED', transitions: 5,
    statuses: ['validating', 'validated', 'paying', 'paid', 'shipping', 'shipped', 'delivered'],
    events: ['order.validated', 'order.paid', 'order.shipped', 'order.delivered'],
    check: (r) => {
      assert.deepEqual(r.world.order.timeline.slice(1).map((t) => t.reason), [
        'order received; reserving inventory',
        'inventory reserved',
        'charging payment (attempt 1)',
        'payment authorised (txn_1)',
        'buying a shipping label (attempt 1)',
        'shipped with UPS, tracking number 1ZTEST; payment captured (txn_1)',
        'the carrier confirmed delivery',
      ]);
      assert.deepEqual(r.world.order.payment, { transactionId: 'txn_1', last4: '4242' }, 'paid stores the payment');
      assert.deepEqual(r.world.order.shipment, { carrier: 'UPS', trackingNumber: '1ZTEST', estimatedDelivery: '2026-01-04' }, 'shipped stores the shipment');
      assert.equal(r.output.delivery.deliveredAt, '2026-01-03T10:00:00Z');
      for (const c of r.world.calls) assert.equal(c.payload.orderId, 'order-1');
    },
  },
  {
    name: 'out of stock',
    scenario: { outcomes: { [fn('ReserveInventoryFunction')]: ['OutOfStock'] } },
    outcome: 'SUCCEEDED', transitions: 4,
    statuses: ['validating', 'failed'],
    events: ['order.failed'],
    check: (r) => assert.equal(called(r, 'ReleaseInventoryFunction'), 0, 'nothing reserved, nothing released'),
  },
  {
    name: 'payment declined 3 times',
    scenario: { outcomes: { [fn('ChargePaymentFunction')]: always('PaymentDeclined') } },
    outcome: 'SUCCEEDED', transitions: 17,
    statuses: ['validating', 'validated', 'paying', 'payment_failed', 'paying', 'payment_failed', 'paying', 'payment_failed', 'failed'],
    events: ['order.validated', 'order.inventory_released', 'order.failed'],
    check: (r) => {
      assert.equal(called(r, 'ChargePaymentFunction'), 3);
      assert.equal(called(r, 'RefundPaymentFunction'), 0);
      assert.match(r.world.order.failureReason, /PaymentDeclined/);
      assert.deepEqual(r.world.calls.filter((c) => c.fn === fn('ChargePaymentFunction')).map((c) => c.payload.attempt), [1, 2, 3]);
      assert.equal(r.world.payment.charged, false);
    },
  },
  {
    name: 'payment declined twice, then approved',
    scenario: { outcomes: { [fn('ChargePaymentFunction')]: ['PaymentDeclined', 'PaymentDeclined'] } },
    outcome: 'SUCCEEDED', transitions: 13,
    statuses: ['validating', 'validated', 'paying', 'payment_failed', 'paying', 'payment_failed', 'paying', 'paid', 'shipping', 'shipped', 'delivered'],
    events: ['order.validated', 'order.paid', 'order.shipped', 'order.delivered'],
    check: (r) => {
      const reasons = (status) => r.world.order.timeline.filter((t) => t.status === status).map((t) => t.reason);
      assert.deepEqual(reasons('paying'), ['charging payment (attempt 1)', 'charging payment (attempt 2)', 'charging payment (attempt 3)']);
      assert.deepEqual(reasons('payment_failed'), ['payment attempt 1 failed: PaymentDeclined', 'payment attempt 2 failed: PaymentDeclined']);
    },
  },
  {
    name: 'transient payment error retried once (tok_processingError)',
    scenario: { outcomes: { [fn('ChargePaymentFunction')]: ['Transient'] } },
    outcome: 'SUCCEEDED', transitions: 6,
    statuses: ['validating', 'validated', 'paying', 'paid', 'shipping', 'shipped', 'delivered'],
    events: ['order.validated', 'order.paid', 'order.shipped', 'order.delivered'],
  },
  {
    name: 'transient payment errors exhaust the retries',
    scenario: { outcomes: { [fn('ChargePaymentFunction')]: always('Lambda.ServiceException') } },
    outcome: 'SUCCEEDED', transitions: 13,
    statuses: ['validating', 'validated', 'paying', 'payment_failed', 'failed'],
    events: ['order.validated', 'order.inventory_released', 'order.failed'],
    check: (r) => {
      assert.equal(called(r, 'ChargePaymentFunction'), 4, '1 call + 3 retries');
      assert.equal(called(r, 'RefundPaymentFunction'), 1, 'refunded in case something was captured');
      assert.equal(r.world.payment.charged, false);
    },
  },
  {
    name: 'the payment was authorised, then the step gave up (its paid write kept failing)',
    scenario: { outcomes: { [fn('ChargePaymentFunction')]: (i, world) => { world.payment.authorised = true; return 'Transient'; } } },
    outcome: 'SUCCEEDED', transitions: 13,
    statuses: ['validating', 'validated', 'paying', 'payment_failed', 'failed'],
    events: ['order.validated', 'order.payment_voided', 'order.inventory_released', 'order.failed'],
    check: (r) => {
      assert.equal(r.world.payment.voided, true, 'the hold is cancelled');
      assert.equal(r.world.payment.charged, false);
      assert.equal(called(r, 'RefundPaymentFunction'), 1);
      for (const e of r.world.events.slice(1)) assert.equal(e.Detail.status, 'failed');
    },
  },
  {
    name: 'shipping failed 3 times',
    scenario: { outcomes: { [fn('CreateShipmentFunction')]: always('ShippingFailed') } },
    outcome: 'SUCCEEDED', transitions: 19,
    statuses: ['validating', 'validated', 'paying', 'paid', 'shipping', 'ship_failed', 'shipping', 'ship_failed', 'shipping', 'ship_failed', 'failed'],
    events: ['order.validated', 'order.paid', 'order.payment_voided', 'order.inventory_released', 'order.failed'],
    check: (r) => {
      assert.deepEqual(r.world.payment, { authorised: true, charged: false, refunded: false, voided: true }, 'no label, no capture: the hold is voided');
      assert.equal(called(r, 'CreateShipmentFunction'), 3);
      assert.equal(called(r, 'RefundPaymentFunction'), 1);
      assert.equal(called(r, 'ReleaseInventoryFunction'), 1);
      const reasons = r.world.order.timeline.filter((t) => t.status === 'shipping').map((t) => t.reason);
      assert.deepEqual(reasons, [1, 2, 3].map((n) => `buying a shipping label (attempt ${n})`));
      assert.equal(r.world.order.shipment, undefined);
    },
  },
  {
    name: 'the payment was captured, then shipping gave up (its shipped write kept failing)',
    scenario: { outcomes: { [fn('CreateShipmentFunction')]: (i, world) => { world.payment.charged = true; return 'Transient'; } } },
    outcome: 'SUCCEEDED', transitions: 14,
    statuses: ['validating', 'validated', 'paying', 'paid', 'shipping', 'ship_failed', 'failed'],
    events: ['order.validated', 'order.paid', 'order.payment_refunded', 'order.inventory_released', 'order.failed'],
    check: (r) => {
      assert.equal(r.world.payment.refunded, true, 'the captured charge is given back');
      assert.equal(called(r, 'RefundPaymentFunction'), 1);
    },
  },
  {
    name: 'reservation keeps failing transiently',
    scenario: { outcomes: { [fn('ReserveInventoryFunction')]: always('Transient') } },
    outcome: 'SUCCEEDED', transitions: 9,
    statuses: ['validating', 'failed'],
    events: ['order.failed'],
    check: (r) => assert.equal(called(r, 'ReleaseInventoryFunction'), 1, 'released just in case'),
  },
  {
    name: 'reservation written but its answer lost (transient errors to the end)',
    scenario: { outcomes: { [fn('ReserveInventoryFunction')]: (i, world) => { world.stock.reserved = true; return 'Lambda.ServiceException'; } } },
    outcome: 'SUCCEEDED', transitions: 9,
    statuses: ['validating', 'failed'],
    events: ['order.inventory_released', 'order.failed'],
  },
  {
    name: 'release fails after the reservation failed',
    scenario: { outcomes: { [fn('ReserveInventoryFunction')]: always('OrderNotFound'), [fn('ReleaseInventoryFunction')]: always('Transient') } },
    outcome: 'FAILED', transitions: 14,
    statuses: ['validating', 'failed'],
    events: ['order.needs_attention'],
    check: (r) => assert.equal(r.world.order.needsAttention, true),
  },
  {
    name: 'out of stock while the customer cancels',
    scenario: {
      outcomes: { [fn('ReserveInventoryFunction')]: ['OutOfStock'] },
      beforeState: { MarkFailedOutOfStock: (w) => { w.order.status = 'cancelled'; } },
    },
    outcome: 'SUCCEEDED', transitions: 8,
    statuses: ['validating'],
    events: [],
  },
  {
    name: 'cancelled before the machine started',
    scenario: { order: { status: 'cancelled' } },
    outcome: 'SUCCEEDED', transitions: 6,
    statuses: [],
    events: [],
    check: (r) => {
      assert.equal(r.world.order.status, 'cancelled');
      assert.equal(r.world.stock.tombstone, true, 'the release leaves a tombstone');
    },
  },
  {
    // the cancel lands after reserve-inventory checked the order and reserved,
    // before its validated write: the write finds the order cancelled (OrderMoved)
    name: 'cancelled while validating (during the reservation)',
    scenario: { outcomes: { [fn('ReserveInventoryFunction')]: (i, w) => { if (w.order.status === 'validating') w.order.status = 'cancelled'; } } },
    outcome: 'SUCCEEDED', transitions: 7,
    statuses: ['validating'],
    events: ['order.inventory_released'],
    check: (r) => {
      assert.equal(r.world.events[0].Detail.status, 'cancelled');
      assert.equal(r.output.error.Error, 'OrderMoved');
      assert.equal(r.world.order.status, 'cancelled');
      assert.equal(r.world.stock.reserved, false, 'what was reserved is released');
      assert.equal(called(r, 'ChargePaymentFunction'), 0);
    },
  },
  {
    // the cancel lands before reserve-inventory reads the order: nothing is reserved
    name: 'cancelled while validating (before the reservation)',
    scenario: { beforeState: { ReserveInventory: (w) => { if (w.order.status === 'validating') w.order.status = 'cancelled'; } } },
    outcome: 'SUCCEEDED', transitions: 7,
    statuses: ['validating'],
    events: [],
    check: (r) => {
      assert.equal(r.output.error.Error, 'OrderMoved');
      assert.equal(r.world.order.status, 'cancelled');
      assert.equal(r.world.stock.tombstone, true, 'released anyway (idempotent), nothing came back');
      assert.equal(r.trace.at(-1), 'CancelHandled');
    },
  },
  {
    // the cancel lands after the validated write, before charge-payment reads the order
    name: 'cancelled while validated',
    scenario: { beforeState: { ChargePayment: (w) => { if (w.order.status === 'validated') w.order.status = 'cancelled'; } } },
    outcome: 'SUCCEEDED', transitions: 8,
    statuses: ['validating', 'validated'],
    events: ['order.validated', 'order.inventory_released'],
    check: (r) => {
      assert.equal(r.world.order.status, 'cancelled', 'the machine does not touch the status again');
      assert.equal(r.output.error.Error, 'OrderMoved');
      assert.equal(r.world.payment.charged, false, 'charge-payment found the order cancelled and charged nothing');
      assert.equal(r.world.stock.reserved, false);
    },
  },
  {
    name: 'compensation fails: release keeps failing after the payment gave up',
    scenario: {
      outcomes: {
        [fn('ChargePaymentFunction')]: always('PaymentDeclined'),
        [fn('ReleaseInventoryFunction')]: always('Transient'),
      },
    },
    outcome: 'FAILED', transitions: 25,
    statuses: ['validating', 'validated', 'paying', 'payment_failed', 'paying', 'payment_failed', 'paying', 'payment_failed', 'failed'],
    events: ['order.validated', 'order.needs_attention'],
    check: (r) => {
      assert.equal(r.error, 'OrderNeedsAttention');
      assert.equal(r.world.order.needsAttention, true);
      assert.match(r.world.order.failureReason, /release-inventory failed/);
      assert.equal(called(r, 'ReleaseInventoryFunction'), 9, '1 call + 8 retries');
      assert.equal(r.world.events.at(-1).Detail.status, 'failed');
    },
  },
  {
    name: 'compensation fails: refund keeps failing after shipping gave up',
    scenario: {
      outcomes: {
        [fn('CreateShipmentFunction')]: always('ShippingFailed'),
        [fn('RefundPaymentFunction')]: always('Lambda.ServiceException'),
      },
    },
    outcome: 'FAILED', transitions: 26,
    statuses: ['validating', 'validated', 'paying', 'paid', 'shipping', 'ship_failed', 'shipping', 'ship_failed', 'shipping', 'ship_failed', 'failed'],
    events: ['order.validated', 'order.paid', 'order.needs_attention'],
    check: (r) => assert.equal(r.world.order.needsAttention, true),
  },
  {
    name: 'compensation fails after a cancel: the order stays cancelled, flagged',
    scenario: {
      beforeState: { ChargePayment: (w) => { if (w.order.status === 'validated') w.order.status = 'cancelled'; } },
      outcomes: { [fn('ReleaseInventoryFunction')]: always('Transient') },
    },
    outcome: 'FAILED', transitions: 17,
    statuses: ['validating', 'validated'],
    events: ['order.validated', 'order.needs_attention'],
    check: (r) => {
      assert.equal(r.world.order.status, 'cancelled');
      assert.equal(r.world.order.needsAttention, true);
      assert.equal(r.world.events.at(-1).Detail.status, 'cancelled');
    },
  },
  {
    name: 'delivery not confirmed before the timeout',
    scenario: { outcomes: { [fn('AwaitDeliveryFunction')]: ['States.Timeout'] } },
    outcome: 'FAILED', transitions: 8,
    statuses: ['validating', 'validated', 'paying', 'paid', 'shipping', 'shipped'],
    events: ['order.validated', 'order.paid', 'order.shipped', 'order.needs_attention'],
    check: (r) => {
      assert.equal(r.world.order.status, 'shipped', 'no invented status');
      assert.equal(r.world.order.needsAttention, true);
      assert.match(r.world.order.failureReason, /did not confirm delivery/);
    },
  },
  {
    // the order moves under charge-payment after its paying write: its paid write finds it elsewhere
    name: 'an unexpected status change (not a cancel) goes to needs attention',
    scenario: { outcomes: { [fn('ChargePaymentFunction')]: (i, w) => { w.order.status = 'shipping'; } } },
    outcome: 'FAILED', transitions: 8,
    statuses: ['validating', 'validated', 'paying'],
    events: ['order.validated', 'order.needs_attention'],
    check: (r) => {
      assert.equal(r.world.order.needsAttention, true);
      assert.match(r.world.order.failureReason, /OrderMoved/);
      assert.equal(r.world.order.status, 'shipping', 'the status is kept');
      assert.equal(r.world.order.payment, undefined);
    },
  },
  {
    name: 'an unexpected failed condition where a cancel is possible, but the order is not cancelled',
    // the order moves (not to cancelled) under reserve-inventory, before its validated write
    scenario: { outcomes: { [fn('ReserveInventoryFunction')]: (i, w) => { if (w.order.status === 'validating') w.order.status = 'paid'; } } },
    outcome: 'FAILED', transitions: 7,
    statuses: ['validating'],
    events: ['order.needs_attention'],
    check: (r) => {
      assert.equal(r.world.order.needsAttention, true);
      assert.match(r.world.order.failureReason, /OrderMoved/);
    },
  },
  {
    name: 'DynamoDB throttling on a status write is retried',
    scenario: { dynamoErrors: { MarkValidating: ['DynamoDB.ProvisionedThroughputExceededException'] } },
    outcome: 'SUCCEEDED', transitions: 6,
    statuses: ['validating', 'validated', 'paying', 'paid', 'shipping', 'shipped', 'delivered'],
    events: ['order.validated', 'order.paid', 'order.shipped', 'order.delivered'],
  },
  {
    // each function did its whole step (status, event) and the answer was lost:
    // its retry finds the order already moved, carries on and re-publishes the same event
    name: 'every forward function loses its answer once: the retries re-publish with the same eventId',
    scenario: {
      outcomes: {
        [fn('ReserveInventoryFunction')]: [{ errorAfter: 'Transient' }],
        [fn('ChargePaymentFunction')]: [{ errorAfter: 'Lambda.ServiceException' }],
        [fn('CreateShipmentFunction')]: [{ errorAfter: 'Transient' }],
      },
    },
    outcome: 'SUCCEEDED', transitions: 8,
    statuses: ['validating', 'validated', 'paying', 'paid', 'shipping', 'shipped', 'delivered'],
    events: ['order.validated', 'order.validated', 'order.paid', 'order.paid', 'order.shipped', 'order.shipped', 'order.delivered'],
    check: (r) => {
      for (const f of ['ReserveInventoryFunction', 'ChargePaymentFunction', 'CreateShipmentFunction']) assert.equal(called(r, f), 2, f);
      const ids = r.world.events.map((e) => e.Detail.eventId);
      assert.equal(new Set(ids).size, 4, 'the repeats carry the same eventId (consumers de-duplicate them)');
      assert.deepEqual(r.output.payment, { transactionId: 'txn_1', last4: '4242', amount: 14999 }, 'the retry answers with the stored payment');
      assert.equal(r.output.shipment.trackingNumber, '1ZTEST', 'the retry answers with the stored shipment');
    },
  },
  {
    name: 'the order does not exist',
    scenario: { order: null },
    outcome: 'FAILED', transitions: 5,
    statuses: [],
    events: [],
  },
];

describe('paths (simulated executions)', () => {
  for (const s of SCENARIOS) {
    test(`${s.name}: ${s.outcome} in ${s.transitions} state transitions`, () => {
      const r = runExecution(SIMULATION, s.scenario);
      const where = `\n  path: ${r.trace.join(' -> ')}`;
      assert.equal(r.outcome, s.outcome, `outcome ${r.error ?? ''}${where}`);
      assert.deepEqual(r.world.statuses, s.statuses, `statuses${where}`);
      assert.deepEqual(eventTypes(r), s.events, `events${where}`);
      assert.equal(r.transitions, s.transitions, `transitions${where}`);
      // every status the machine wrote was a legal step from the one before
      let previous = s.scenario.order?.status ?? 'new';
      for (const status of r.world.statuses) {
        assert.ok(LEGAL[previous].includes(status), `${previous} -> ${status}${where}`);
        previous = status;
      }
      if (r.world.order) {
        const timeline = r.world.order.timeline.slice(1).map((t) => t.status);
        assert.deepEqual(timeline, s.statuses, 'one timeline entry per status change');
        for (const t of r.world.order.timeline) {
          assert.deepEqual(Object.keys(t).sort(), ['at', 'reason', 'status'], `timeline entry ${JSON.stringify(t)}`);
          assert.ok(typeof t.reason === 'string' && t.reason && !Number.isNaN(Date.parse(t.at)), `timeline entry ${JSON.stringify(t)}`);
        }
      }
      assertSagaInvariant(r);
      s.check?.(r);
    });
  }

  test('the scenarios visit every state', () => {
    const visited = new Set();
    for (const s of SCENARIOS) for (const name of runExecution(SIMULATION, s.scenario).trace) visited.add(name.replace(/ \(retry\)$/, ''));
    const missed = Object.keys(ASL.States).filter((name) => !visited.has(name));
    assert.deepEqual(missed, [], 'states no scenario reaches');
  });
});
