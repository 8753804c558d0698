// The order's live status from the order-stream function: server-sent events
// read with fetch, since EventSource cannot send the Authorization header.
const config = window.STORE_CONFIG || {};
/** `<function URL>`, ending in '/'; empty when the deployment has no stream. */
export const STREAM_BASE = config.orderStreamUrl ? `${String(config.orderStreamUrl).replace(/\/+$/, '')}/` : '';

/** One SSE frame's fields: {event, id, data}; null for a comment or a retry hint. */
export function parseFrame(text) {
  const frame = { event: 'message', id: null, data: [] };
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'event') frame.event = value;
    else if (name === 'id') frame.id = value;
    else if (name === 'data') frame.data.push(value);
  }
  if (!frame.data.length) return null;
  try {
    return { event: frame.event, id: frame.id, data: JSON.parse(frame.data.join('\n')) };
  } catch {
    return null;
  }
}

/**
 * Follows order `id` from after timeline entry `lastEventId`: calls
 * onStatus(data) per `status` event, and resolves with the `end` event's
 * reason ('final', 'cap', ...) or null when the stream closed without one.
 * Rejects when the stream cannot be opened (not configured, network, 4xx/5xx).
 */
export async function followOrder(id, { token, lastEventId, signal, onStatus }) {
  if (!STREAM_BASE) throw new Error('no order stream is configured');
  const headers = { Accept: 'text/event-stream' };
  if (token) headers.Authorization = `Bearer ${token}`;
  // The resume point as the query's lastEventId, not a Last-Event-ID
  // header: one header fewer for a cross-origin preflight to allow.
  const resume = lastEventId !== null && lastEventId !== undefined && lastEventId >= 0
    ? `?lastEventId=${encodeURIComponent(lastEventId)}` : '';
  const response = await fetch(`${STREAM_BASE}orders/${encodeURIComponent(id)}/events${resume}`, { headers, signal, cache: 'no-store' });
  if (!response.ok || !response.body || !(response.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
    throw new Error(`the order stream answered ${response.status}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return null;
    buffer += value;
    const frames = buffer.split(/\r?\n\r?\n/);
    buffer = frames.pop();
    for (const text of frames) {
      const frame = parseFrame(text);
      if (!frame) continue;
      if (frame.event === 'status') onStatus(frame.data);
      else if (frame.event === 'end') {
        reader.cancel().catch(() => {});
        return frame.data.reason || null;
      }
    }
  }
}
