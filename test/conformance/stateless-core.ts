/**
 * The conformance fixture's stateless 2026-07-28 server (SEP-2575 lifecycle, per-request `_meta`, server/discover,
 * subscriptions/listen, SEP-2322 multi-round `input_required` results, SEP-2549 caching hints), independent of its
 * transport. Two bindings call it: the HTTP fixture (fixture-server.ts `handleStateless`, which adds what only
 * HTTP has: the MCP-Protocol-Version header vs `_meta`, SEP-2243 Mcp-Method/Mcp-Name vs body, status codes) and the
 * stdio fixture (stdio-modern-fixture.ts: newline-delimited JSON-RPC on stdin/stdout, MCP 2026-07-28 [stdio]).
 * The carry-forward methods are dispatched to a fresh McpServer through an in-memory client, as the suite's
 * reference fixture does.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LoggingMessageNotificationSchema, ProgressNotificationSchema, ResultSchema } from '@modelcontextprotocol/sdk/types.js';

export const STATELESS_VERSION = '2026-07-28';
export const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';
const CAPABILITIES_META = 'io.modelcontextprotocol/clientCapabilities';
const SUBSCRIPTION_ID_META = 'io.modelcontextprotocol/subscriptionId';

export type Json = Record<string, unknown>;
export interface RpcMessage {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  params?: Json & { _meta?: Json };
}
export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

/** How one request's answer leaves, per binding (HTTP: JSON or an SSE stream; stdio: one line per message). */
export interface StatelessOut {
  /** a message for this request's stream before its response: progress, a log, or a subscription's notification */
  notify(msg: Json): void;
  /** the final response: a result, or an error of the method itself (HTTP 200) */
  respond(msg: Json): void;
  /** a protocol-level refusal (malformed `_meta`, unsupported version, undeclared capability, unknown method):
   *  HTTP answers it 400, or 404 for -32601 ([HTTP] "Protocol Version Header", [basic] "_meta") */
  reject(error: RpcError): void;
  /** `fn` runs when the request is cancelled: the HTTP stream closed, or a stdio `notifications/cancelled` */
  onCancel(fn: () => void): void;
}

export interface StatelessCore {
  handle(msg: RpcMessage, out: StatelessOut): Promise<void>;
  /** end the open subscriptions gracefully ([subscriptions] "Graceful Closure") */
  close(): void;
}

/** One fresh McpServer behind an in-memory client, for one stateless request (notifications buffered). */
async function statelessDispatch<T>(buildServer: () => McpServer, fn: (client: Client, notes: Json[]) => Promise<T>): Promise<T> {
  const [clientT, serverT] = InMemoryTransport.createLinkedPair();
  const server = buildServer();
  await server.connect(serverT);
  const client = new Client({ name: 'stateless-dispatch', version: '1.0.0' }, { capabilities: {} });
  await client.connect(clientT);
  const notes: Json[] = [];
  const collect = async (n: unknown) => void notes.push({ jsonrpc: '2.0', ...(n as object) });
  client.setNotificationHandler(ProgressNotificationSchema, collect);
  client.setNotificationHandler(LoggingMessageNotificationSchema, collect);
  client.fallbackNotificationHandler = collect;
  try {
    return await fn(client, notes);
  } finally {
    await client.close();
    await server.close();
  }
}

const CACHEABLE = new Set(['server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);

// ===== stateless-only fixtures: SEP-2322 multi-round tool results (src/scenarios/server/input-required-result.ts)
// and the SEP-2575 diagnostics of src/scenarios/server/stateless.ts =====

type Inputs = Record<string, Record<string, unknown> | undefined>;
const MRTR_SECRET = `fixture-mrtr-${randomUUID()}`;
const sign = (payload: Json): string => {
  const data = JSON.stringify(payload);
  return JSON.stringify({ data, hmac: createHmac('sha256', MRTR_SECRET).update(data).digest('hex') });
};
function verify(raw: string | undefined): Json | null {
  try {
    const { data, hmac } = JSON.parse(raw ?? '') as { data: string; hmac: string };
    return hmac === createHmac('sha256', MRTR_SECRET).update(data).digest('hex') ? (JSON.parse(data) as Json) : null;
  } catch {
    return null;
  }
}
const parseState = (raw: string | undefined): Json => {
  try {
    return (JSON.parse(raw ?? '{}') as Json) ?? {};
  } catch {
    return {};
  }
};
const field = (response: Json | undefined, name: string): string => {
  const v = (response?.content as Json | undefined)?.[name];
  return typeof v === 'string' ? v : 'unknown';
};
const elicitInput = (message: string, props: Record<string, string>): Json => ({
  method: 'elicitation/create',
  params: {
    message,
    requestedSchema: { type: 'object', properties: Object.fromEntries(Object.entries(props).map(([k, t]) => [k, { type: t }])), required: Object.keys(props) },
  },
});
const sampleInput = (t: string, maxTokens: number): Json => ({
  method: 'sampling/createMessage',
  params: { messages: [{ role: 'user', content: { type: 'text', text: t } }], maxTokens },
});
const rootsInput: Json = { method: 'roots/list', params: {} };
const inputRequired = (inputRequests: Json, requestState?: string): Json => ({
  resultType: 'input_required',
  inputRequests,
  ...(requestState === undefined ? {} : { requestState }),
});
const textResult = (t: string): Json => ({ content: [{ type: 'text', text: t }] });
const rootsCount = (r: Json | undefined): number => (Array.isArray(r?.roots) ? r.roots.length : 0);

/** tools/call handlers by name: (inputResponses, requestState, client capabilities) → result */
const MRTR_TOOLS: Record<string, (inputs: Inputs | undefined, state: string | undefined, caps: Json | undefined) => Json> = {
  test_input_required_result_elicitation: (i) =>
    i?.user_name ? textResult(`Hello, ${field(i.user_name, 'name')}!`) : inputRequired({ user_name: elicitInput('What is your name?', { name: 'string' }) }),
  test_input_required_result_sampling: (i) => {
    if (!i?.sample_request) return inputRequired({ sample_request: sampleInput('What is the capital of France?', 100) });
    const c = i.sample_request.content as Json | undefined;
    return textResult(`Sampling result: ${typeof c?.text === 'string' ? c.text : 'no response'}`);
  },
  test_input_required_result_list_roots: (i) =>
    i?.roots_request ? textResult(`Found ${rootsCount(i.roots_request)} root(s)`) : inputRequired({ roots_request: rootsInput }),
  test_input_required_result_request_state: (i, state) => {
    if (state && i?.confirm && parseState(state).kind === 'request-state' && (i.confirm.content as Json | undefined)?.ok === true) {
      return textResult('state-ok: requestState validated');
    }
    return inputRequired({ confirm: elicitInput('Please confirm', { ok: 'boolean' }) }, JSON.stringify({ kind: 'request-state', nonce: randomUUID() }));
  },
  test_input_required_result_multiple_inputs: (i, state) => {
    if (state && i?.user_name && i.greeting && i.client_roots && parseState(state).kind === 'multiple-inputs') {
      const g = (i.greeting.content as Json | undefined)?.text;
      return textResult(`Name: ${field(i.user_name, 'name')}; Greeting: ${typeof g === 'string' ? g : 'Hello there!'}; Roots: ${rootsCount(i.client_roots)}`);
    }
    return inputRequired(
      { user_name: elicitInput('What is your name?', { name: 'string' }), greeting: sampleInput('Generate a greeting', 50), client_roots: rootsInput },
      JSON.stringify({ kind: 'multiple-inputs', nonce: randomUUID() }),
    );
  },
  test_input_required_result_multi_round: (i, state) => {
    const s = parseState(state);
    if (state && s.round === 1 && i?.step1) {
      return inputRequired(
        { step2: elicitInput('Step 2: What is your favorite color?', { color: 'string' }) },
        JSON.stringify({ round: 2, name: field(i.step1, 'name'), nonce: randomUUID() }),
      );
    }
    if (state && s.round === 2 && i?.step2) {
      return textResult(`Multi-round complete for ${typeof s.name === 'string' ? s.name : 'friend'} who likes ${field(i.step2, 'color')}`);
    }
    return inputRequired({ step1: elicitInput('Step 1: What is your name?', { name: 'string' }) }, JSON.stringify({ round: 1, nonce: randomUUID() }));
  },
  test_input_required_result_tampered_state: (i, state) => {
    if (state) {
      const v = verify(state);
      if (!v) throw Object.assign(new Error('requestState integrity check failed'), { code: -32602 });
      if (v.kind === 'tamper-test' && i?.confirm) return textResult('integrity-ok: state verified');
    }
    return inputRequired({ confirm: elicitInput('Please confirm', { ok: 'boolean' }) }, sign({ kind: 'tamper-test', nonce: randomUUID() }));
  },
  test_input_required_result_capabilities: (i, _state, caps) => {
    if (i && Object.keys(i).length > 0) return textResult(`capabilities-ok: received ${Object.keys(i).join(',')}`);
    const requests: Json = {};
    if (caps?.elicitation) requests.elicit_input = elicitInput('Elicitation input', { value: 'string' });
    if (caps?.sampling) requests.sample_input = sampleInput('Sample request', 50);
    if (Object.keys(requests).length === 0) return textResult('No supported capabilities declared');
    return inputRequired(requests, sign({ kind: 'capabilities-test', nonce: randomUUID() }));
  },
};
const STATELESS_ONLY_TOOLS = [
  ...Object.keys(MRTR_TOOLS),
  'test_missing_capability',
  'test_streaming_elicitation',
  'test_logging_tool',
  'test_trigger_tool_change',
  'test_trigger_prompt_change',
].map((name) => ({ name, description: `stateless diagnostic ${name}`, inputSchema: { type: 'object', properties: {} } }));
const MRTR_PROMPT = 'test_input_required_result_prompt';

/** an open `subscriptions/listen` (SEP-2575): it gets the list_changed notifications it asked for */
interface ListenStream {
  out: StatelessOut;
  subscriptionId: string | number;
  wants: Set<'tools' | 'prompts'>;
}

export function createStatelessCore(buildServer: () => McpServer): StatelessCore {
  const listeners = new Set<ListenStream>();
  const tagged = (l: ListenStream): Json => ({ _meta: { [SUBSCRIPTION_ID_META]: l.subscriptionId } });
  const notify = (kind: 'tools' | 'prompts') => {
    for (const l of listeners) if (l.wants.has(kind)) l.out.notify({ jsonrpc: '2.0', method: `notifications/${kind}/list_changed`, params: tagged(l) });
  };

  async function handle(msg: RpcMessage, out: StatelessOut): Promise<void> {
    const id = msg.id ?? null;
    const method = msg.method ?? '';
    const params = msg.params ?? {};
    const meta = params._meta;
    // [basic] "Per-request protocol fields": protocolVersion and clientCapabilities are required (-32602)
    if (!meta || !meta[PROTOCOL_VERSION_META] || !meta[CAPABILITIES_META]) return out.reject({ code: -32602, message: 'Invalid params: missing _meta or required fields' });
    const version = meta[PROTOCOL_VERSION_META];
    if (version !== STATELESS_VERSION) {
      return out.reject({ code: -32022, message: 'UnsupportedProtocolVersionError', data: { supported: [STATELESS_VERSION], requested: String(version) } });
    }
    const caps = meta[CAPABILITIES_META] as Json | undefined;
    const complete = (result: Json): Json => {
      const r: Json = { resultType: 'complete', ...result };
      if (CACHEABLE.has(method)) {
        r.ttlMs ??= 0;
        r.cacheScope ??= 'private';
      }
      return r;
    };
    const reply = (result: Json) => out.respond({ jsonrpc: '2.0', id, result: complete(result) });
    const replyError = (e: unknown, data?: unknown) => {
      const err = e as { code?: number; message: string; data?: unknown };
      const d = err.data ?? data;
      out.respond({ jsonrpc: '2.0', id, error: { code: err.code ?? -32603, message: err.message, ...(d === undefined ? {} : { data: d }) } });
    };
    // the SDK request params, without the per-request _meta (a progress token survives)
    const { _meta: _perRequest, ...rest } = params;
    const forwardParams: Json = meta.progressToken === undefined ? rest : { ...rest, _meta: { progressToken: meta.progressToken } };
    const inputs = params.inputResponses as Inputs | undefined;
    const state = params.requestState as string | undefined;

    if (method === 'prompts/get' && params.name === MRTR_PROMPT) {
      if (inputs?.user_context) {
        return reply({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with context: ${field(inputs.user_context, 'context')}` } }] });
      }
      return reply(inputRequired({ user_context: elicitInput('What context should the prompt use?', { context: 'string' }) }));
    }
    switch (method) {
      case 'server/discover':
        return reply({
          supportedVersions: [STATELESS_VERSION],
          capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: {}, completions: {} },
          _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'portcullis-conformance-fixture', version: '1.0.0' } },
        });
      case 'subscriptions/listen': {
        const wanted = (params.notifications ?? {}) as Json;
        // [subscriptions] "Receiving Notifications": the subscription id is the listen request's JSON-RPC id
        const stream: ListenStream = { out, subscriptionId: id ?? 'listen', wants: new Set() };
        if (wanted.toolsListChanged === true) stream.wants.add('tools');
        if (wanted.promptsListChanged === true) stream.wants.add('prompts');
        out.notify({
          jsonrpc: '2.0',
          method: 'notifications/subscriptions/acknowledged',
          params: {
            ...tagged(stream),
            notifications: { ...(stream.wants.has('tools') ? { toolsListChanged: true } : {}), ...(stream.wants.has('prompts') ? { promptsListChanged: true } : {}) },
          },
        });
        listeners.add(stream);
        out.onCancel(() => listeners.delete(stream));
        return;
      }
      case 'tools/call': {
        const name = String(params.name ?? '');
        const mrtr = MRTR_TOOLS[name];
        if (mrtr) {
          try {
            return reply(mrtr(inputs, state, caps));
          } catch (e) {
            return replyError(e);
          }
        }
        if (name === 'test_missing_capability') {
          if (!caps?.sampling) return out.reject({ code: -32021, message: 'MissingRequiredClientCapabilityError', data: { requiredCapabilities: { sampling: {} } } });
          return reply(textResult('Success'));
        }
        if (name === 'test_streaming_elicitation') {
          out.notify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'token-abc', total: 100, value: 50 } });
          return reply(textResult('Streaming complete'));
        }
        if (name === 'test_logging_tool') {
          // [logging] "Per-request log level": logs only when the request set one
          if (meta['io.modelcontextprotocol/logLevel']) out.notify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', text: 'Diagnostic trace logging activated' } });
          return reply(textResult('Logging evaluated'));
        }
        if (name === 'test_trigger_tool_change' || name === 'test_trigger_prompt_change') {
          notify(name === 'test_trigger_tool_change' ? 'tools' : 'prompts');
          return reply(textResult('Mutation triggered'));
        }
        // progress and log notifications reach the client before the result
        return statelessDispatch(buildServer, async (client, notes) => {
          try {
            const result = await client.request({ method, params: forwardParams } as never, ResultSchema);
            for (const n of notes.splice(0)) out.notify(n);
            reply(result);
          } catch (e) {
            for (const n of notes.splice(0)) out.notify(n);
            const err = e as { code?: number; message: string; data?: unknown };
            out.respond({ jsonrpc: '2.0', id, error: { code: err.code ?? -32603, message: err.message, data: err.data } });
          }
        });
      }
      case 'prompts/get':
      case 'tools/list':
      case 'prompts/list':
      case 'resources/list':
      case 'resources/read':
      case 'resources/templates/list':
      case 'completion/complete':
        return statelessDispatch(buildServer, async (client) => {
          try {
            const result = await client.request({ method, params: forwardParams } as never, ResultSchema);
            if (method === 'tools/list') result.tools = [...(result.tools as unknown[]), ...STATELESS_ONLY_TOOLS];
            if (method === 'prompts/list') result.prompts = [...(result.prompts as unknown[]), { name: MRTR_PROMPT, description: 'MRTR: prompt that requires elicitation input' }];
            const hints = method.endsWith('/list') ? { ttlMs: 300000, cacheScope: 'public' } : method === 'resources/read' ? { ttlMs: 300000, cacheScope: 'private' } : {};
            reply({ ...result, ...hints });
          } catch (e) {
            // SEP-2164: an unknown resource is -32602 with the uri in data
            replyError(e, method === 'resources/read' ? { uri: forwardParams.uri } : undefined);
          }
        });
      default:
        // SEP-2575: the session-era RPCs (initialize, ping, logging/setLevel, subscribe) are gone: -32601
        return out.reject({ code: -32601, message: 'Method not found' });
    }
  }

  return {
    handle,
    close() {
      for (const l of listeners) l.out.respond({ jsonrpc: '2.0', id: l.subscriptionId, result: { resultType: 'complete', ...tagged(l) } });
      listeners.clear();
    },
  };
}
