import type { ResourcePolicy, EntryKind } from './policy.js';

/**
 * List filtering: tools/list, prompts/list, resources/list and resources/templates/list responses show only
 * the entries the token may use. Only responses to list requests made in this POST are touched (matched by
 * JSON-RPC id); pagination cursors and every other message pass through unchanged.
 */
const LISTS: Record<string, { field: string; key: string; kind: EntryKind }> = {
  'tools/list': { field: 'tools', key: 'name', kind: 'tool' },
  'prompts/list': { field: 'prompts', key: 'name', kind: 'prompt' },
  'resources/list': { field: 'resources', key: 'uri', kind: 'resource' },
  'resources/templates/list': { field: 'resourceTemplates', key: 'uriTemplate', kind: 'resource' },
};

/** JSON-RPC id → list method, for the list requests in a POST body */
export function listRequests(messages: readonly Record<string, unknown>[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of messages) {
    if (typeof m.method === 'string' && Object.hasOwn(LISTS, m.method) && (typeof m.id === 'string' || typeof m.id === 'number')) {
      out.set(JSON.stringify(m.id), m.method);
    }
  }
  return out;
}

export type MessageFilter = (msg: unknown) => { changed: boolean; value: unknown };

export function createListFilter(lists: Map<string, string>, policy: ResourcePolicy, granted: readonly string[]): MessageFilter {
  const one = (msg: unknown): { changed: boolean; value: unknown } => {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { changed: false, value: msg };
    const m = msg as Record<string, unknown>;
    const method = lists.get(JSON.stringify(m.id ?? null));
    const result = m.result;
    if (!method || typeof result !== 'object' || result === null) return { changed: false, value: msg };
    const spec = LISTS[method]!;
    const entries = (result as Record<string, unknown>)[spec.field];
    if (!Array.isArray(entries)) return { changed: false, value: msg };
    const kept = entries.filter((e) => {
      const name = typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[spec.key] : undefined;
      return typeof name === 'string' && policy.permits(spec.kind, name, granted);
    });
    if (kept.length === entries.length) return { changed: false, value: msg };
    return { changed: true, value: { ...m, result: { ...(result as object), [spec.field]: kept } } };
  };
  return (msg) => {
    if (!Array.isArray(msg)) return one(msg);
    const parts = msg.map(one);
    return parts.some((p) => p.changed) ? { changed: true, value: parts.map((p) => p.value) } : { changed: false, value: msg };
  };
}

/** Filter a whole JSON response body (application/json). Unparseable bodies pass unchanged. */
export function filterJson(bytes: Uint8Array, filter: MessageFilter): Uint8Array {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return bytes;
  }
  const r = filter(value);
  return r.changed ? Buffer.from(JSON.stringify(r.value), 'utf8') : bytes;
}

/**
 * Filter an SSE stream event by event (text/event-stream): each complete event is emitted as soon as it has
 * arrived, so streaming is preserved; only `data` of list responses is rewritten.
 */
export function filterSse(filter: MessageFilter): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = '';
  const emit = (event: string, controller: TransformStreamDefaultController<Uint8Array>) => controller.enqueue(encoder.encode(rewriteEvent(event, filter)));
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      for (;;) {
        const m = /\r\n\r\n|\n\n|\r\r/.exec(buffer);
        if (!m) break;
        const end = m.index + m[0].length;
        emit(buffer.slice(0, end), controller);
        buffer = buffer.slice(end);
      }
    },
    flush(controller) {
      buffer += decoder.decode();
      if (buffer) emit(buffer, controller);
    },
  });
}

function rewriteEvent(event: string, filter: MessageFilter): string {
  const lines = event.split(/\r\n|\n|\r/);
  const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
  if (data.length === 0) return event;
  let value: unknown;
  try {
    value = JSON.parse(data.join('\n'));
  } catch {
    return event;
  }
  const r = filter(value);
  if (!r.changed) return event;
  const others = lines.filter((l) => l !== '' && !l.startsWith('data:'));
  return `${[...others, `data: ${JSON.stringify(r.value)}`].join('\n')}\n\n`;
}
