// A small interpreter for the subset of Amazon States Language (JSONPath) that
// order-processing.asl.json uses, with in-memory fakes of the order table, the
// event bus and the processing functions. It lets the tests walk every path of
// the workflow offline (no Step Functions, no LocalStack) and count the state
// transitions each path costs. It is deliberately strict: a path that does not
// resolve where Step Functions would raise States.Runtime (which no Catch can
// handle) throws here too.

import { randomUUID } from 'node:crypto';

export class RuntimeError extends Error {}

// ----------------------------------------------------------------- JSONPath
export function getPath(data, context, path) {
  let root;
  let rest;
  if (path.startsWith('$$')) {
    root = context;
    rest = path.slice(2);
  } else if (path.startsWith('$')) {
    root = data;
    rest = path.slice(1);
  } else {
    throw new RuntimeError(`not a path: ${path}`);
  }
  if (rest === '') return root;
  if (!rest.startsWith('.')) throw new RuntimeError(`unsupported path: ${path}`);
  let value = root;
  for (const key of rest.slice(1).split('.')) {
    if (value === null || typeof value !== 'object' || !(key in value)) return undefined;
    value = value[key];
  }
  return value;
}

function mustGet(data, context, path) {
  const value = getPath(data, context, path);
  if (value === undefined) throw new RuntimeError(`path ${path} not found`);
  return value;
}

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function applyResultPath(input, resultPath, result) {
  if (resultPath === null) return input;
  if (resultPath === undefined || resultPath === '$') return result;
  if (!resultPath.startsWith('$.')) throw new RuntimeError(`unsupported ResultPath ${resultPath}`);
  const output = clone(input);
  const keys = resultPath.slice(2).split('.');
  let target = output;
  for (const key of keys.slice(0, -1)) {
    if (target[key] === undefined) target[key] = {};
    if (typeof target[key] !== 'object' || target[key] === null) throw new RuntimeError(`ResultPath ${resultPath} crosses a non-object`);
    target = target[key];
  }
  target[keys.at(-1)] = result;
  return output;
}

// -------------------------------------------------------- intrinsic functions
function splitArgs(text) {
  const args = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      current += c;
      if (c === '\\') { current += text[i + 1]; i += 1; } else if (c === "'") quoted = false;
    } else if (c === "'") { quoted = true; current += c; } else if (c === '(') { depth += 1; current += c; } else if (c === ')') { depth -= 1; current += c; } else if (c === ',' && depth === 0) { args.push(current.trim()); current = ''; } else current += c;
  }
  if (current.trim() !== '') args.push(current.trim());
  return args;
}

function evalArg(arg, data, context) {
  if (arg.startsWith("'")) return arg.slice(1, -1).replace(/\\(.)/g, '$1');
  if (arg.startsWith('$')) return mustGet(data, context, arg);
  if (arg.startsWith('States.')) return evalIntrinsic(arg, data, context);
  if (/^-?\d+(\.\d+)?$/.test(arg)) return Number(arg);
  throw new RuntimeError(`unsupported intrinsic argument ${arg}`);
}

export { splitArgs };

export function evalIntrinsic(expr, data, context) {
  const m = /^(States\.[A-Za-z]+)\((.*)\)$/s.exec(expr);
  if (!m) throw new RuntimeError(`not an intrinsic: ${expr}`);
  const args = splitArgs(m[2]).map((a) => evalArg(a, data, context));
  switch (m[1]) {
    case 'States.UUID':
      return randomUUID();
    case 'States.MathAdd':
      if (!Number.isInteger(args[0]) || !Number.isInteger(args[1])) throw new RuntimeError('MathAdd needs integers');
      return args[0] + args[1];
    case 'States.StringToJson':
      return JSON.parse(args[0]);
    case 'States.Format': {
      const [template, ...values] = args;
      let i = 0;
      const out = template.replace(/\{\}/g, () => {
        if (i >= values.length) throw new RuntimeError('States.Format: too few arguments');
        const v = values[i++];
        return typeof v === 'string' ? v : JSON.stringify(v);
      });
      if (i !== values.length) throw new RuntimeError('States.Format: too many arguments');
      return out;
    }
    default:
      throw new RuntimeError(`intrinsic ${m[1]} not supported by the simulator`);
  }
}

export function resolveTemplate(template, data, context) {
  if (Array.isArray(template)) return template.map((t) => resolveTemplate(t, data, context));
  if (template === null || typeof template !== 'object') return template;
  const out = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      out[key.slice(0, -2)] = value.startsWith('States.') ? evalIntrinsic(value, data, context) : clone(mustGet(data, context, value));
    } else {
      out[key] = resolveTemplate(value, data, context);
    }
  }
  return out;
}

// ----------------------------------------------------------- Choice rules
function evalRule(rule, data, context) {
  if (rule.And) return rule.And.every((r) => evalRule(r, data, context));
  if (rule.Or) return rule.Or.some((r) => evalRule(r, data, context));
  if (rule.Not) return !evalRule(rule.Not, data, context);
  const value = getPath(data, context, rule.Variable);
  if ('IsPresent' in rule) return (value !== undefined) === rule.IsPresent;
  if (value === undefined) throw new RuntimeError(`Choice variable ${rule.Variable} not found`);
  if ('StringEquals' in rule) return typeof value === 'string' && value === rule.StringEquals;
  if ('BooleanEquals' in rule) return typeof value === 'boolean' && value === rule.BooleanEquals;
  if ('NumericLessThan' in rule) return typeof value === 'number' && value < rule.NumericLessThan;
  if ('NumericEquals' in rule) return typeof value === 'number' && value === rule.NumericEquals;
  throw new RuntimeError(`Choice operator not supported: ${JSON.stringify(rule)}`);
}

// ------------------------------------------------------ DynamoDB attribute values
export function unmarshal(av) {
  if ('S' in av) return av.S;
  if ('N' in av) return Number(av.N);
  if ('BOOL' in av) return av.BOOL;
  if ('NULL' in av) return null;
  if ('L' in av) return av.L.map(unmarshal);
  if ('M' in av) return Object.fromEntries(Object.entries(av.M).map(([k, v]) => [k, unmarshal(v)]));
  throw new RuntimeError(`attribute value not supported: ${JSON.stringify(av)}`);
}

export function marshal(value) {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map(marshal) };
  return { M: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, marshal(v)])) };
}

class TaskError extends Error {
  constructor(name, cause = '') {
    super(name);
    this.errorName = name;
    this.errorCause = cause;
  }
}

function splitTopLevel(text) {
  const parts = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth += 1;
    if (c === ')') depth -= 1;
    if (c === ',' && depth === 0) { parts.push(current.trim()); current = ''; } else current += c;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function checkCondition(item, condition, names, values) {
  const resolveName = (n) => (n.startsWith('#') ? names[n] : n);
  let m = /^attribute_exists\((#?\w+)\)$/.exec(condition);
  if (m) return item !== undefined && item[resolveName(m[1])] !== undefined;
  m = /^(#?\w+) = (:\w+)$/.exec(condition);
  if (m) return item !== undefined && item[resolveName(m[1])] === unmarshal(values[m[2]]);
  throw new RuntimeError(`condition not supported by the simulator: ${condition}`);
}

function applyUpdate(item, expression, names, values) {
  if (!expression.startsWith('SET ')) throw new RuntimeError(`update not supported: ${expression}`);
  for (const assignment of splitTopLevel(expression.slice(4))) {
    const [lhs, rhs] = assignment.split(/\s*=\s*(.*)/s);
    const attr = lhs.startsWith('#') ? names[lhs] : lhs;
    if (attr === undefined) throw new RuntimeError(`unknown attribute name ${lhs}`);
    const append = /^list_append\((#?\w+), (:\w+)\)$/.exec(rhs);
    if (append) {
      const source = append[1].startsWith('#') ? names[append[1]] : append[1];
      if (!Array.isArray(item[source])) throw new TaskError('DynamoDB.AmazonDynamoDBException', `list_append on a missing list ${source}`);
      item[attr] = [...item[source], ...unmarshal(values[append[2]])];
    } else if (/^:\w+$/.test(rhs)) {
      if (!(rhs in values)) throw new RuntimeError(`unknown value ${rhs}`);
      item[attr] = unmarshal(values[rhs]);
    } else if (/^#?\w+$/.test(rhs)) {
      // An attribute set to itself: returned by UPDATED_NEW, unchanged.
      const source = rhs.startsWith('#') ? names[rhs] : rhs;
      if (source !== attr) throw new RuntimeError(`only identity copies are faked: ${assignment}`);
      if (item[source] === undefined) throw new TaskError('DynamoDB.AmazonDynamoDBException', `${source} is missing`);
    } else {
      throw new RuntimeError(`update value not supported: ${rhs}`);
    }
  }
}

// ------------------------------------------------------------ the fake world
const DEFAULT_ORDER = {
  id: 'order-1',
  userId: 'user-1',
  status: 'new',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  correlationId: 'corr-1',
  timeline: [{ status: 'new', at: '2026-01-01T00:00:00Z', reason: 'order placed' }],
};

/**
 * Runs one execution.
 * scenario.outcomes: { [FunctionNamePlaceholder]: Array|Function } — per call,
 *   undefined = the default behaviour, a string = that error name, {ok: payload}
 *   = that payload, {error, cause} = that error, {errorAfter, cause} = the
 *   function does all its work (writes, events) and then the machine gets that
 *   error (an answer lost on the way back). A function gets (callIndex, world)
 *   and may change the world (e.g. the customer cancels) and return any of these.
 *   For reserve-inventory, charge-payment and create-shipment the outcome is
 *   taken at the point inside the function where a fault can happen: after it
 *   checked the order and wrote its "enter" status (paying, shipping; reserve
 *   has none, MarkValidating wrote validating) and before the work, the
 *   milestone write and the event. For the other functions it replaces the call.
 * scenario.beforeState: { [stateName]: (world) => void } — runs each time the
 *   state is entered, before its work (e.g. the customer cancels).
 * scenario.dynamoErrors: { [stateName]: Array of error names, one per attempt }
 * Every state and function a scenario names must exist (a stale name would
 * silently inject nothing).
 */
export function runExecution(definition, scenario = {}, { maxTransitions = 500 } = {}) {
  const world = {
    order: scenario.order === null ? undefined : { ...clone(DEFAULT_ORDER), ...(scenario.order ?? {}) },
    stock: { reserved: false, tombstone: false },
    // authorised by charge-payment, captured (charged) by create-shipment
    payment: { authorised: false, charged: false, refunded: false, voided: false },
    events: [],
    calls: [],
    statuses: [],
  };
  const input = { orderId: world.order?.id ?? 'order-1', correlationId: 'corr-1' };
  const counts = {};
  const nextOutcome = (key, index) => {
    const spec = scenario.outcomes?.[key];
    if (!spec) return undefined;
    return typeof spec === 'function' ? spec(index, world) : spec[index];
  };

  for (const key of [...Object.keys(scenario.beforeState ?? {}), ...Object.keys(scenario.dynamoErrors ?? {})]) {
    if (!definition.States[key]) throw new RuntimeError(`the scenario names a state that does not exist: ${key}`);
  }

  // ------------------------------------------- what the functions do to the order
  // reserve-inventory, charge-payment and create-shipment write the order's
  // status themselves (conditional on the status they expect, as the machine's
  // writes are; a mismatch is the error OrderMoved) and publish their lifecycle
  // event with the eventId the machine passes.
  const readOrder = (fn) => {
    if (!world.order) throw new TaskError('OrderNotFound', `${fn}: no order ${input.orderId}`);
    return world.order;
  };
  const need = (fn, payload, key, type) => {
    if (typeof payload[key] !== type) throw new RuntimeError(`${fn} needs ${key} (${type}) in its payload, got ${JSON.stringify(payload[key])}`);
    return payload[key];
  };
  // #status = :expected (any of them), SET #status, updatedAt, timeline += entry, and extra attributes
  const writeStatus = (fn, expected, to, reason, now, extra = {}) => {
    const order = readOrder(fn);
    if (!expected.includes(order.status)) throw new TaskError('OrderMoved', `${fn}: the order is ${order.status}, expected ${expected.join(' or ')}`);
    order.status = to;
    order.updatedAt = now;
    order.timeline = [...order.timeline, { status: to, at: now, reason }];
    Object.assign(order, clone(extra));
    world.statuses.push(to);
  };
  // the same entry the machine's putEvents would send; a retry that finds the
  // order at its milestone publishes again with the same eventId (occurredAt is
  // the time of the publish, as in the functions)
  const publish = (fn, detailType, status, eventId, correlationId, now) => {
    const order = readOrder(fn);
    if (order.status !== status) throw new RuntimeError(`${fn} publishes ${detailType} for an order that is ${order.status}`);
    world.events.push({
      EventBusName: '${EventBusName}',
      Source: 'store.order-pipeline',
      DetailType: detailType,
      Detail: { version: 1, eventId, orderId: order.id, userId: order.userId, status, occurredAt: now, correlationId },
    });
  };
  const plain = (behaviour) => (payload, call) => {
    const injected = call.inject();
    return injected?.ok ?? behaviour(payload);
  };

  const lambdaDefault = {
    '${ReserveInventoryFunctionArn}': (payload, call) => {
      const fn = 'reserve-inventory';
      const eventId = need(fn, payload, 'eventId', 'string');
      const order = readOrder(fn);
      const lines = [{ productId: 'prod-001', quantity: 1 }];
      if (order.status === 'validated') {
        // a retry after the answer was lost: already reserved and written
        const injected = call.inject();
        publish(fn, 'order.validated', 'validated', eventId, payload.correlationId, call.now());
        return injected?.ok ?? { orderId: order.id, lines };
      }
      if (order.status !== 'validating') throw new TaskError('OrderMoved', `${fn}: the order is ${order.status}, expected validating`);
      const injected = call.inject();
      if (world.stock.tombstone) throw new TaskError('ReservationReleased', 'released before reserve');
      world.stock.reserved = true;
      const result = injected?.ok ?? { orderId: order.id, lines };
      writeStatus(fn, ['validating'], 'validated', 'inventory reserved', call.now());
      publish(fn, 'order.validated', 'validated', eventId, payload.correlationId, call.now());
      return result;
    },
    '${ReleaseInventoryFunctionArn}': plain(() => {
      const released = world.stock.reserved;
      world.stock.reserved = false;
      world.stock.tombstone = true;
      return { orderId: input.orderId, released };
    }),
    '${ChargePaymentFunctionArn}': (payload, call) => {
      const fn = 'charge-payment';
      const attempt = need(fn, payload, 'attempt', 'number');
      const eventId = need(fn, payload, 'eventId', 'string');
      const order = readOrder(fn);
      if (order.status === 'paid') {
        // a retry after the answer was lost: already charged and written
        const injected = call.inject();
        publish(fn, 'order.paid', 'paid', eventId, payload.correlationId, call.now());
        return injected?.ok ?? { orderId: order.id, ...order.payment, amount: 14999 };
      }
      if (order.status !== 'paying') writeStatus(fn, ['validated', 'payment_failed'], 'paying', `charging payment (attempt ${attempt})`, call.now());
      const injected = call.inject();
      world.payment.authorised = true;
      const result = injected?.ok ?? { orderId: order.id, transactionId: 'txn_1', last4: '4242', amount: 14999 };
      writeStatus(fn, ['paying'], 'paid', `payment authorised (${result.transactionId})`, call.now(), {
        payment: { transactionId: result.transactionId, last4: result.last4 },
      });
      publish(fn, 'order.paid', 'paid', eventId, payload.correlationId, call.now());
      return result;
    },
    '${RefundPaymentFunctionArn}': plain(() => {
      // a capture is refunded, a hold voided (refund-payment's `released`)
      const p = world.payment;
      if (p.charged) {
        p.refunded = true;
        return { orderId: input.orderId, released: 'refunded', refunded: true, refundId: 're_1' };
      }
      if (p.authorised) {
        p.voided = true;
        return { orderId: input.orderId, released: 'voided', refunded: false, refundId: null };
      }
      return { orderId: input.orderId, released: 'none', refunded: false, refundId: null };
    }),
    '${CreateShipmentFunctionArn}': (payload, call) => {
      const fn = 'create-shipment';
      const attempt = need(fn, payload, 'attempt', 'number');
      const eventId = need(fn, payload, 'eventId', 'string');
      const order = readOrder(fn);
      if (order.status === 'shipped') {
        // a retry after the answer was lost: the label is bought and written
        const injected = call.inject();
        publish(fn, 'order.shipped', 'shipped', eventId, payload.correlationId, call.now());
        return injected?.ok ?? { orderId: order.id, ...order.shipment };
      }
      if (order.status !== 'shipping') writeStatus(fn, ['paid', 'ship_failed'], 'shipping', `buying a shipping label (attempt ${attempt})`, call.now());
      const injected = call.inject();
      const result = injected?.ok ?? { orderId: order.id, carrier: 'UPS', trackingNumber: '1ZTEST', estimatedDelivery: '2026-01-04' };
      world.payment.charged = true; // the label is bought: the hold is captured
      writeStatus(fn, ['shipping'], 'shipped', `shipped with ${result.carrier}, tracking number ${result.trackingNumber}; payment captured (${order.payment?.transactionId})`, call.now(), {
        shipment: { carrier: result.carrier, trackingNumber: result.trackingNumber, estimatedDelivery: result.estimatedDelivery },
      });
      publish(fn, 'order.shipped', 'shipped', eventId, payload.correlationId, call.now());
      return result;
    },
    // await-delivery registers the token and the event id; the carrier's
    // webhook (shipping-webhook) then writes shipped -> delivered, publishes
    // order.delivered with that id and completes the task with this output
    '${AwaitDeliveryFunctionArn}': (payload, call) => {
      const fn = 'await-delivery + shipping-webhook';
      const eventId = need(fn, payload, 'eventId', 'string');
      need(fn, payload, 'trackingNumber', 'string');
      const injected = call.inject();
      writeStatus(fn, ['shipped'], 'delivered', 'the carrier confirmed delivery', call.now());
      publish(fn, 'order.delivered', 'delivered', eventId, payload.correlationId, call.now());
      return injected?.ok ?? { orderId: input.orderId, deliveredAt: '2026-01-03T10:00:00Z' };
    },
  };
  for (const key of Object.keys(scenario.outcomes ?? {})) {
    if (!(key in lambdaDefault)) throw new RuntimeError(`the scenario names a function that has no fake: ${key}`);
  }

  function invokeLambda(fn, payload, waitForToken, now) {
    world.calls.push({ fn, payload });
    const index = (counts[fn] = (counts[fn] ?? 0) + 1) - 1;
    const behaviour = lambdaDefault[fn];
    if (!behaviour) throw new RuntimeError(`no fake for ${fn}`);
    let taken = false;
    let outcome;
    const call = {
      now: () => now,
      // the scenario's outcome for this call, taken once, where the fault happens
      inject: () => {
        if (taken) throw new RuntimeError(`${fn}: outcome taken twice`);
        taken = true;
        outcome = nextOutcome(fn, index);
        if (typeof outcome === 'string') throw new TaskError(outcome, `${fn} failed`);
        if (outcome && outcome.error) throw new TaskError(outcome.error, outcome.cause ?? '');
        return outcome && outcome.ok ? outcome : undefined;
      },
    };
    const result = behaviour(clone(payload), call);
    if (!taken) throw new RuntimeError(`${fn}: the fake never took the scenario's outcome`);
    if (outcome && outcome.errorAfter) throw new TaskError(outcome.errorAfter, outcome.cause ?? 'the answer was lost');
    return waitForToken ? result : { Payload: result, StatusCode: 200 };
  }

  function dynamo(stateName, action, params) {
    const errors = scenario.dynamoErrors?.[stateName];
    if (errors) {
      const key = `ddb:${stateName}`;
      const index = (counts[key] = (counts[key] ?? 0) + 1) - 1;
      if (errors[index]) throw new TaskError(errors[index], 'injected');
    }
    if (params.Key.id.S !== input.orderId) throw new RuntimeError('wrong key');
    if (action === 'getItem') {
      if (!world.order) return {};
      const projected = {};
      for (const attr of params.ProjectionExpression.split(',').map((s) => s.trim())) {
        const name = attr.startsWith('#') ? params.ExpressionAttributeNames[attr] : attr;
        if (world.order[name] !== undefined) projected[name] = marshal(world.order[name]);
      }
      return { Item: projected };
    }
    if (action === 'updateItem') {
      const names = params.ExpressionAttributeNames ?? {};
      const values = params.ExpressionAttributeValues ?? {};
      if (!checkCondition(world.order, params.ConditionExpression, names, values)) {
        throw new TaskError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
      }
      const before = world.order.status;
      applyUpdate(world.order, params.UpdateExpression, names, values);
      if (world.order.status !== before) world.statuses.push(world.order.status);
      if (params.ReturnValues === 'ALL_NEW') return { Attributes: marshal(world.order).M };
      if (params.ReturnValues === 'UPDATED_NEW') {
        const updated = {};
        for (const assignment of splitTopLevel(params.UpdateExpression.slice(4))) {
          const lhs = assignment.split('=')[0].trim();
          const attr = lhs.startsWith('#') ? names[lhs] : lhs;
          updated[attr] = marshal(world.order[attr]);
        }
        return { Attributes: updated };
      }
      return {};
    }
    throw new RuntimeError(`dynamodb:${action} not faked`);
  }

  function runTask(stateName, state, data, context) {
    const params = resolveTemplate(state.Parameters ?? {}, data, context);
    switch (state.Resource) {
      case 'arn:aws:states:::lambda:invoke':
        return invokeLambda(params.FunctionName, params.Payload, false, clock());
      case 'arn:aws:states:::lambda:invoke.waitForTaskToken': {
        if (params.Payload.taskToken !== context.Task.Token) throw new RuntimeError('the task token is not passed on');
        const timeout = state.TimeoutSecondsPath ? mustGet(data, context, state.TimeoutSecondsPath) : state.TimeoutSeconds;
        if (!Number.isInteger(timeout) || timeout <= 0) throw new RuntimeError(`bad timeout ${timeout}`);
        return invokeLambda(params.FunctionName, params.Payload, true, clock());
      }
      case 'arn:aws:states:::dynamodb:updateItem':
        return dynamo(stateName, 'updateItem', params);
      case 'arn:aws:states:::dynamodb:getItem':
        return dynamo(stateName, 'getItem', params);
      case 'arn:aws:states:::events:putEvents':
        for (const e of params.Entries) world.events.push(e);
        return { Entries: params.Entries.map(() => ({ EventId: randomUUID() })), FailedEntryCount: 0 };
      default:
        throw new RuntimeError(`resource not faked: ${state.Resource}`);
    }
  }

  const trace = [];
  let transitions = 0;
  let name = definition.StartAt;
  let data = clone(input);
  const clock = () => new Date(Date.UTC(2026, 0, 1, 0, 0, transitions)).toISOString();

  for (;;) {
    const state = definition.States[name];
    if (!state) throw new RuntimeError(`no state ${name}`);
    transitions += 1;
    if (transitions > maxTransitions) throw new RuntimeError('too many transitions: a loop?');
    trace.push(name);
    scenario.beforeState?.[name]?.(world);
    const context = { State: { Name: name, EnteredTime: clock() }, Task: { Token: `token-${transitions}` }, Execution: { Input: input, Name: input.orderId } };

    if (state.Type === 'Succeed') return { outcome: 'SUCCEEDED', output: data, trace, transitions, world };
    if (state.Type === 'Fail') return { outcome: 'FAILED', error: state.Error, cause: state.Cause, output: data, trace, transitions, world };
    if (state.Type === 'Pass') {
      const result = state.Parameters ? resolveTemplate(state.Parameters, data, context) : (state.Result ?? data);
      data = applyResultPath(data, state.ResultPath, result);
    } else if (state.Type === 'Choice') {
      const match = state.Choices.find((c) => evalRule(c, data, context));
      if (!match && !state.Default) throw new RuntimeError(`States.NoChoiceMatched in ${name}`);
      name = match ? match.Next : state.Default;
      continue;
    } else if (state.Type === 'Task') {
      let attempts = {};
      let result;
      let error;
      for (;;) {
        try {
          const raw = runTask(name, state, data, context);
          result = state.ResultSelector ? resolveTemplate(state.ResultSelector, raw, context) : raw;
          error = undefined;
          break;
        } catch (e) {
          if (!(e instanceof TaskError)) throw e;
          error = e;
          const matches = (list) => list.includes(e.errorName) || (list.includes('States.ALL') && e.errorName !== 'States.Runtime');
          const retrierIndex = (state.Retry ?? []).findIndex((r) => matches(r.ErrorEquals));
          if (retrierIndex < 0) break;
          const retrier = state.Retry[retrierIndex];
          attempts[retrierIndex] = (attempts[retrierIndex] ?? 0) + 1;
          if (attempts[retrierIndex] > (retrier.MaxAttempts ?? 3)) break;
          transitions += 1; // a retry is billed as a state transition
          trace.push(`${name} (retry)`);
        }
      }
      if (error) {
        const matches = (list) => list.includes(error.errorName) || (list.includes('States.ALL') && error.errorName !== 'States.Runtime');
        const catcher = (state.Catch ?? []).find((c) => matches(c.ErrorEquals));
        if (!catcher) return { outcome: 'FAILED', error: error.errorName, cause: error.errorCause, output: data, trace, transitions, world };
        data = applyResultPath(data, catcher.ResultPath ?? '$', { Error: error.errorName, Cause: error.errorCause });
        name = catcher.Next;
        continue;
      }
      data = applyResultPath(data, state.ResultPath, result);
    } else {
      throw new RuntimeError(`state type not supported: ${state.Type}`);
    }
    if (state.End) return { outcome: 'SUCCEEDED', output: data, trace, transitions, world };
    name = state.Next;
  }
}
