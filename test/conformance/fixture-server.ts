/**
 * A fixture MCP server for the official conformance suite's `server` scenarios
 * (@modelcontextprotocol/conformance, src/scenarios/server/*.ts): the `test_*` tools, `test://` resources and
 * `test_*` prompts whose exact names and payloads the scenarios expect. Modelled on the suite's own reference
 * fixture (examples/servers/typescript/everything-server.ts in the conformance repository, MIT), which is not
 * published on npm, rewritten on node:http and @modelcontextprotocol/sdk 1.32 without express.
 *
 * Two wires on one endpoint, `POST|GET|DELETE /mcp`:
 * - stateful Streamable HTTP (2025-11-25 and earlier): `initialize` opens a session (`Mcp-Session-Id`), served by
 *   the SDK's StreamableHTTPServerTransport, one McpServer per session, with an event store so that SSE streams
 *   resume with Last-Event-ID (SEP-1699);
 * - stateless 2026-07-28 (SEP-2575): no session; every request carries `_meta` with the protocol version and the
 *   `MCP-Protocol-Version` header, plus the SEP-2243 `Mcp-Method`/`Mcp-Name` headers (validated here, in
 *   `handleStateless`); the rest — `server/discover` instead of `initialize`, `subscriptions/listen` streams, SEP-2322
 *   multi-round (`input_required`) tools — is stateless-core.ts, which stdio-modern-fixture.ts serves over stdio.
 * With `--requirements 2025-11-25` every scenario passes (33, incl. the pending ones); with `--requirements
 * 2026-07-28` every scored scenario passes; the SEP-2663 tasks extension and x-mcp-header custom headers are not
 * implemented.
 *
 * DNS-rebinding protection (MCP [HTTP] "Security Warning", GHSA-w48q-cv73-mx4w): a loopback server refuses a
 * non-loopback Host, and a non-loopback Origin, with 403 — what the SDK's `createMcpExpressApp()` does.
 *
 * Run alone for debugging: `node --import tsx test/conformance/fixture-server.ts [port]`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport, type EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type JSONRPCMessage,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { z } from 'zod';
import { PROTOCOL_VERSION_META, createStatelessCore, type RpcMessage, type StatelessCore, type StatelessOut } from './stateless-core.js';

/** 1x1 red PNG and a minimal WAV, the payloads the scenarios compare against */
const TEST_IMAGE_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const TEST_AUDIO_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';
const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};
const LEGACY_VERSIONS = new Set(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']);
const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

export function buildMcpServer(): McpServer {
  const mcp = new McpServer(
    { name: 'portcullis-conformance-fixture', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
    },
  );
  const sendLog = (level: 'info', data: string) =>
    mcp.server.notification({ method: 'notifications/message', params: { level, logger: 'conformance-fixture', data } }).catch(() => undefined);

  // ===== tools (src/scenarios/server/tools.ts) =====
  mcp.registerTool('test_simple_text', { description: 'Tests simple text content response' }, async () =>
    text('This is a simple text response for testing.'),
  );
  mcp.registerTool('test_image_content', { description: 'Tests image content response' }, async () => ({
    content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }],
  }));
  mcp.registerTool('test_audio_content', { description: 'Tests audio content response' }, async () => ({
    content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }],
  }));
  mcp.registerTool('test_embedded_resource', { description: 'Tests embedded resource content response' }, async () => ({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
  }));
  mcp.registerTool('test_multiple_content_types', { description: 'Tests response with multiple content types (text, image, resource)' }, async () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
    ],
  }));
  mcp.registerTool('test_tool_with_logging', { description: 'Tests tool that emits log messages during execution', inputSchema: {} }, async (_args, extra) => {
    for (const data of ['Tool execution started', 'Tool processing data', 'Tool execution completed']) {
      await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data } });
      await sleep(50);
    }
    return text('Tool with logging executed successfully');
  });
  mcp.registerTool('test_tool_with_progress', { description: 'Tests tool that reports progress notifications', inputSchema: {} }, async (_args, extra) => {
    const progressToken = extra._meta?.progressToken ?? 0;
    for (const progress of [0, 50, 100]) {
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` },
      });
      if (progress < 100) await sleep(50);
    }
    return text(String(progressToken));
  });
  mcp.registerTool('test_error_handling', { description: 'Tests error response handling' }, async () => {
    throw new Error('This tool intentionally returns an error for testing');
  });
  mcp.registerTool(
    'test_sampling',
    { description: 'Tests server-initiated sampling (LLM completion request)', inputSchema: { prompt: z.string().describe('The prompt to send to the LLM') } },
    async ({ prompt }, extra) => {
      try {
        const r = await extra.sendRequest(
          { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 } },
          CreateMessageResultSchema,
        );
        const content = r.content as { type: string; text?: string };
        return text(`LLM response: ${content.type === 'text' ? content.text : 'No response'}`);
      } catch (e) {
        return text(`Sampling not supported or error: ${(e as Error).message}`);
      }
    },
  );
  mcp.registerTool(
    'test_elicitation',
    { description: 'Tests server-initiated elicitation (user input request)', inputSchema: { message: z.string().describe('The message to show the user') } },
    async ({ message }, extra) =>
      elicit(extra, message, { type: 'object', properties: { response: { type: 'string', description: "User's response" } }, required: ['response'] }, 'User response'),
  );
  mcp.registerTool('test_elicitation_sep1034_defaults', { description: 'Tests elicitation with default values per SEP-1034', inputSchema: {} }, async (_args, extra) =>
    elicit(
      extra,
      'Please review and update the form fields with defaults',
      {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'User name', default: 'John Doe' },
          age: { type: 'integer', description: 'User age', default: 30 },
          score: { type: 'number', description: 'User score', default: 95.5 },
          status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
          verified: { type: 'boolean', description: 'Verification status', default: true },
        },
        required: [],
      },
      'Elicitation completed',
    ),
  );
  mcp.registerTool('test_elicitation_sep1330_enums', { description: 'Tests elicitation with enum schema improvements per SEP-1330', inputSchema: {} }, async (_args, extra) =>
    elicit(
      extra,
      'Please select options from the enum fields',
      {
        type: 'object',
        properties: {
          untitledSingle: { type: 'string', description: 'Select one option', enum: ['option1', 'option2', 'option3'] },
          titledSingle: {
            type: 'string',
            description: 'Select one option with titles',
            oneOf: [
              { const: 'value1', title: 'First Option' },
              { const: 'value2', title: 'Second Option' },
              { const: 'value3', title: 'Third Option' },
            ],
          },
          legacyEnum: { type: 'string', description: 'Select one option (legacy)', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
          untitledMulti: { type: 'array', description: 'Select multiple options', minItems: 1, maxItems: 3, items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
          titledMulti: {
            type: 'array',
            description: 'Select multiple options with titles',
            minItems: 1,
            maxItems: 3,
            items: {
              anyOf: [
                { const: 'value1', title: 'First Choice' },
                { const: 'value2', title: 'Second Choice' },
                { const: 'value3', title: 'Third Choice' },
              ],
            },
          },
        },
        required: [],
      },
      'Elicitation completed',
    ),
  );

  // SEP-1699 SSE polling (src/scenarios/server/sse-polling.ts): close the POST stream mid-call; the client reconnects
  // with GET + Last-Event-ID and gets the result replayed from the event store
  mcp.registerTool('test_reconnection', { description: 'Closes the SSE stream mid-call to test client reconnection (SEP-1699)', inputSchema: {} }, async (_args, extra) => {
    extra.closeSSEStream?.();
    await sleep(100);
    return text('Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.');
  });

  // SEP-1613 (src/scenarios/server/json-schema-2020-12.ts): listed with this raw 2020-12 schema, see below
  mcp.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)',
      inputSchema: { name: z.string().optional(), address: z.object({ street: z.string().optional(), city: z.string().optional() }).optional() },
    },
    async (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  );

  // ===== resources (src/scenarios/server/resources.ts) =====
  mcp.registerResource('static-text', 'test://static-text', { title: 'Static Text Resource', description: 'A static text resource for testing', mimeType: 'text/plain' }, async () => ({
    contents: [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  }));
  mcp.registerResource(
    'static-binary',
    'test://static-binary',
    { title: 'Static Binary Resource', description: 'A static binary resource (image) for testing', mimeType: 'image/png' },
    async () => ({ contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }] }),
  );
  mcp.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { title: 'Resource Template', description: 'A resource template with parameter substitution', mimeType: 'application/json' },
    async (uri, { id }) => ({
      contents: [{ uri: uri.toString(), mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }) }],
    }),
  );
  mcp.registerResource('watched-resource', 'test://watched-resource', { title: 'Watched Resource', description: 'A resource that can be subscribed to', mimeType: 'text/plain' }, async () => ({
    contents: [{ uri: 'test://watched-resource', mimeType: 'text/plain', text: 'Watched resource content' }],
  }));

  // ===== prompts (src/scenarios/server/prompts.ts) =====
  mcp.registerPrompt('test_simple_prompt', { title: 'Simple Test Prompt', description: 'A simple prompt without arguments' }, async () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));
  mcp.registerPrompt(
    'test_prompt_with_arguments',
    {
      title: 'Prompt With Arguments',
      description: 'A prompt with required arguments',
      argsSchema: { arg1: z.string().describe('First test argument'), arg2: z.string().describe('Second test argument') },
    },
    async ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] }),
  );
  mcp.registerPrompt(
    'test_prompt_with_embedded_resource',
    { title: 'Prompt With Embedded Resource', description: 'A prompt that includes an embedded resource', argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') } },
    async ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  mcp.registerPrompt('test_prompt_with_image', { title: 'Prompt With Image', description: 'A prompt that includes image content' }, async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));

  // ===== utilities (src/scenarios/server/utils.ts, resources.ts); set after McpServer's own handlers =====
  const subscriptions = new Set<string>();
  mcp.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    subscriptions.add(req.params.uri);
    void sendLog('info', `Subscribed to resource: ${req.params.uri}`);
    return {};
  });
  mcp.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscriptions.delete(req.params.uri);
    void sendLog('info', `Unsubscribed from resource: ${req.params.uri}`);
    return {};
  });
  mcp.server.setRequestHandler(SetLevelRequestSchema, async (req) => {
    void sendLog('info', `Log level set to: ${req.params.level}`);
    return {};
  });
  mcp.server.setRequestHandler(CompleteRequestSchema, async () => ({ completion: { values: [], total: 0, hasMore: false } }));
  // tools/list as McpServer builds it, except the SEP-1613 tool, whose raw schema keeps $schema, $defs, if/then/else
  // (McpServer converts from zod and would drop them). Wraps the SDK's own handler (internal, stable field).
  const handlers = (mcp.server as unknown as { _requestHandlers: Map<string, (...a: unknown[]) => Promise<Record<string, unknown>>> })._requestHandlers;
  const listTools = handlers.get('tools/list')!;
  handlers.set('tools/list', async (...a) => {
    const r = await listTools(...a);
    r.tools = (r.tools as { name: string }[]).map((t) => (t.name === 'json_schema_2020_12_tool' ? { ...t, inputSchema: JSON_SCHEMA_2020_12 } : t));
    return r;
  });
  return mcp;
}

type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

async function elicit(extra: ToolExtra, message: string, requestedSchema: Record<string, unknown>, label: string): Promise<CallToolResult> {
  try {
    const r = await extra.sendRequest({ method: 'elicitation/create', params: { message, requestedSchema } as never }, ElicitResultSchema);
    return text(`${label}: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
  } catch (e) {
    return text(`Elicitation not supported or error: ${(e as Error).message}`);
  }
}

/** In-memory event store for resumable SSE streams (SEP-1699), shared by the sessions of one fixture. */
function memoryEventStore(): EventStore {
  const events: { id: string; streamId: string; message: JSONRPCMessage }[] = [];
  let seq = 0;
  return {
    async storeEvent(streamId, message) {
      const id = `${streamId}::${String(++seq).padStart(8, '0')}`;
      events.push({ id, streamId, message });
      if (events.length > 10_000) events.shift();
      return id;
    },
    async getStreamIdForEventId(eventId) {
      return events.find((e) => e.id === eventId)?.streamId ?? eventId.split('::')[0];
    },
    async replayEventsAfter(lastEventId, { send }) {
      const streamId = lastEventId.split('::')[0] ?? '';
      for (const e of events) {
        if (e.streamId === streamId && e.id > lastEventId && Object.keys(e.message).length > 0) await send(e.id, e.message);
      }
      return streamId;
    },
  };
}

// ===== HTTP =====

export interface FixtureServer {
  /** the MCP endpoint, http://127.0.0.1:<port>/mcp */
  url: string;
  /** request counts: all, those relayed by a proxy that set X-Forwarded-Host, and those carrying Authorization */
  stats: { requests: number; forwarded: Map<string, number>; withAuthorization: number };
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, id: unknown, code: number, message: string, data?: unknown): void {
  sendJson(res, status, { jsonrpc: '2.0', id: id ?? null, error: { code, message, ...(data === undefined ? {} : { data }) } });
}

/** Loopback Host (and Origin, when present): the DNS-rebinding rule of the SDK's createMcpExpressApp(). */
function rebindingSafe(req: IncomingMessage): boolean {
  const hostHeader = req.headers.host;
  if (!hostHeader) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${hostHeader}`).hostname;
  } catch {
    return false;
  }
  if (!LOOPBACK_HOSTNAMES.has(hostname)) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return LOOPBACK_HOSTNAMES.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The HTTP binding of the stateless 2026-07-28 wire (stateless-core.ts): what only HTTP has — the
 * MCP-Protocol-Version header agreeing with `_meta`, the SEP-2243 Mcp-Method/Mcp-Name headers agreeing with the body
 * (-32020) — then the core, whose answer becomes JSON, or an SSE stream once a notification precedes it, with 400
 * (404 for -32601) for a protocol-level refusal.
 */
async function handleStateless(req: IncomingMessage, res: ServerResponse, msg: RpcMessage, core: StatelessCore): Promise<void> {
  const id = msg.id ?? null;
  const method = msg.method ?? '';
  const params = msg.params ?? {};
  const headerVersion = req.headers['mcp-protocol-version'] as string | undefined;
  if (!headerVersion) return rpcError(res, 400, id, -32020, 'Missing MCP-Protocol-Version header');
  // a body without a protocol version is the core's to refuse (-32602), before any header comparison
  const metaVersion = params._meta?.[PROTOCOL_VERSION_META];
  if (metaVersion !== undefined && headerVersion !== metaVersion) return rpcError(res, 400, id, -32020, 'Mismatched MCP-Protocol-Version header');
  // SEP-2243 standard headers: Mcp-Method always, Mcp-Name for tools/call, prompts/get, resources/read (OWS trimmed)
  const mcpMethod = (req.headers['mcp-method'] as string | undefined)?.trim();
  if (mcpMethod !== method) return rpcError(res, 400, id, -32020, 'HeaderMismatch: Mcp-Method does not match the request body');
  const nameInBody = method === 'tools/call' || method === 'prompts/get' ? params.name : method === 'resources/read' ? params.uri : undefined;
  if (typeof nameInBody === 'string' && (req.headers['mcp-name'] as string | undefined)?.trim() !== nameInBody) {
    return rpcError(res, 400, id, -32020, 'HeaderMismatch: Mcp-Name does not match the request body');
  }
  return core.handle(msg, httpOut(res, id));
}

function httpOut(res: ServerResponse, id: RpcMessage['id']): StatelessOut {
  let sse = false;
  const cancels: (() => void)[] = [];
  res.on('close', () => {
    for (const fn of cancels.splice(0)) fn();
  });
  const event = (m: unknown) => res.write(`event: message\ndata: ${JSON.stringify(m)}\n\n`);
  return {
    notify(m) {
      if (!sse) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      sse = true;
      event(m);
    },
    respond(m) {
      if (!sse) return sendJson(res, 200, m);
      event(m);
      res.end();
    },
    reject: (e) => rpcError(res, e.code === -32601 ? 404 : 400, id, e.code, e.message, e.data),
    onCancel: (fn) => void cancels.push(fn),
  };
}


export async function startFixtureServer(opts: { port?: number } = {}): Promise<FixtureServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const core = createStatelessCore(buildMcpServer);
  const eventStore = memoryEventStore();
  const stats: FixtureServer['stats'] = { requests: 0, forwarded: new Map(), withAuthorization: 0 };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    const fwd = req.headers['x-forwarded-host'];
    if (typeof fwd === 'string') stats.forwarded.set(fwd, (stats.forwarded.get(fwd) ?? 0) + 1);
    if (req.headers.authorization !== undefined) stats.withAuthorization++;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/mcp') return sendJson(res, 404, { error: 'not_found' });
    if (!rebindingSafe(req)) return rpcError(res, 403, null, -32000, 'Forbidden: invalid Host or Origin header');
    const sessionId = req.headers['mcp-session-id'] as string | undefined;

    if (req.method === 'POST') {
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return rpcError(res, 400, null, -32700, 'Parse error');
      }
      const msg = (Array.isArray(body) ? {} : (body ?? {})) as RpcMessage;
      const headerVersion = req.headers['mcp-protocol-version'] as string | undefined;
      const legacyEra = msg.params?._meta?.['io.modelcontextprotocol/protocolVersion'] === undefined && headerVersion !== undefined && LEGACY_VERSIONS.has(headerVersion);
      const wantsStateless = !sessionId && (headerVersion !== undefined || msg.params?._meta !== undefined) && !legacyEra;
      if (wantsStateless) return handleStateless(req, res, msg, core);

      if (sessionId) {
        const t = transports.get(sessionId);
        if (!t) return rpcError(res, 404, msg.id, -32001, 'Session not found');
        return t.handleRequest(req, res, body);
      }
      if (msg.method !== 'initialize') return rpcError(res, 400, msg.id, -32000, 'Bad Request: no valid session ID provided');
      const mcp = buildMcpServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore,
        retryInterval: 500, // the `retry` field of the priming event (SEP-1699)
        onsessioninitialized: (sid) => void transports.set(sid, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
        void mcp.close();
      };
      await mcp.connect(transport);
      return transport.handleRequest(req, res, body);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!sessionId) return rpcError(res, 400, null, -32000, 'Bad Request: no valid session ID provided');
      const t = transports.get(sessionId);
      if (!t) return rpcError(res, 404, null, -32001, 'Session not found');
      return t.handleRequest(req, res);
    }
    res.writeHead(405, { allow: 'GET, POST, DELETE' }).end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      console.error('fixture: request failed', e);
      rpcError(res, 500, null, -32603, 'Internal server error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stats,
    async close() {
      for (const t of transports.values()) await t.close().catch(() => undefined);
      core.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && /fixture-server\.[jt]s$/.test(process.argv[1])) {
  const f = await startFixtureServer({ port: Number(process.argv[2] ?? 0) });
  console.log(`fixture MCP server: ${f.url}`);
}
