/**
 * Issue 9 figure 3: the token endpoint. `client_credentials` and `refresh_token` grants per second, Portcullis
 * (startRuntime as `serve` runs it: the durable embedded SQLite store, the audit log on) vs panva's
 * `oidc-provider` (its default in-memory adapter, JWT access tokens signed ES256 through resource indicators).
 * Each server runs in its own child process; the same closed-loop load (BENCH_CONNECTIONS connections) goes to
 * each in turn, the order alternating every round. Refresh tokens rotate on both sides, each connection
 * following its own chain. Also reported: the full authorization-code flow (authorize → login → consent →
 * token, a fresh browserless session each time, so the argon2id password check is in it) per second.
 *
 * A third side, the physical limit (bench/token-limit.ts: node:http + client authentication + jose ES256 signing
 * and nothing else), is measured in the same alternation; both servers are also reported as a fraction of it.
 *
 * BENCH_BASE_DIR (another checkout of this repo, e.g. the last commit, with its own bench/token-endpoint.ts) adds
 * its Portcullis as a third side in the same alternation: the "before" rows.
 *
 *   node --import tsx bench/token-endpoint.ts            (BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_BASE_DIR)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { driveAuthorization } from '../test/helpers/browserless.js';
import { pkceS256 } from '../test/helpers/pkce.js';
import { startLimitServer } from './token-limit.js';
import { forkChild, freePort, progress, report, runChild, runMain, serveCpuIpc, settleLogs, stat, type BenchChild, type Metric } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const FLOW_CONCURRENCY = 4;
const CC_ID = 'bench-service';
const CC_SECRET = 'bench-service-secret-0123456789abcdef';
const PUBLIC_ID = 'bench-public';
const REDIRECT = 'http://127.0.0.1:53111/callback';
const SCOPE = 'notes:read';
const PASSWORD = 'bench-password-1';
const LOG_DIR = process.argv[2] === '--child' ? '' : mkdtempSync(join(tmpdir(), 'portcullis-bench-logs-'));

type Ready = { type: 'ready'; base: string; resource: string; refreshTokens: string[] };

// ---------------------------------------------------------------- children

async function childPortcullis(): Promise<void> {
  const { configSchema } = await import('../src/config/schema.js');
  const { startRuntime } = await import('../src/server/runtime.js');
  const { hashPassword } = await import('../src/as/passwords.js');
  const { silentLogger } = await import('../src/core/log.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-token-'));
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  process.env.BENCH_CC_SECRET = CC_SECRET;
  const port = await freePort();
  const config = configSchema.parse({
    issuer: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    dev: true,
    data_dir: dataDir,
    resources: [{ path: '/mcp', upstream: 'http://127.0.0.1:9/mcp', name: 'Bench', scopes: ['notes:read', 'notes:write'] }],
    // one client IP sends all the load here; oidc-provider has no rate limits either
    rate_limits: { enabled: false },
    clients: [
      { client_id: CC_ID, token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'BENCH_CC_SECRET', grant_types: ['client_credentials'] },
      { client_id: PUBLIC_ID, client_name: 'Bench client', redirect_uris: [REDIRECT] },
    ],
  });
  // info logs as in production (to a file, see spawnChild); BENCH_SILENT=1 turns them off
  const runtime = await startRuntime(config, process.env.BENCH_SILENT === '1' ? { log: silentLogger() } : {});
  await runtime.store.createUser({ id: 'bench-user', username: 'bench', password_hash: await hashPassword(PASSWORD), roles: [], disabled: false, created_at: Date.now() });
  process.send!({ type: 'ready', base: runtime.listenUrl, resource: runtime.settings.resources[0]!.id, refreshTokens: [] } satisfies Ready);
}

async function childOidcProvider(): Promise<void> {
  const { default: Provider } = await import('oidc-provider');
  const { exportJWK, generateKeyPair } = await import('jose');
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const resource = `${issuer}/mcp`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      { client_id: CC_ID, client_secret: CC_SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic' },
      { client_id: PUBLIC_ID, grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [REDIRECT], response_types: ['code'], token_endpoint_auth_method: 'none' },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256', use: 'sig' }] },
    scopes: ['openid', 'offline_access', 'notes:read', 'notes:write'],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'notes:read notes:write', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'ES256' } } }),
      },
    },
    // as Portcullis: every refresh rotates
    rotateRefreshToken: () => true,
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  } as ConstructorParameters<typeof Provider>[1]);
  // the refresh-token chains start from grants made here (the interactive flow is not what this figure measures)
  const client = await provider.Client.find(PUBLIC_ID);
  const refreshTokens: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const grant = new provider.Grant({ accountId: `user-${i}`, clientId: PUBLIC_ID });
    grant.addOIDCScope('openid offline_access');
    grant.addResourceScope(resource, SCOPE);
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({ accountId: `user-${i}`, client: client!, grantId, scope: 'openid offline_access', resource, gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000) });
    refreshTokens.push(await rt.save());
  }
  await new Promise<void>((r) => provider.listen(port, '127.0.0.1' as never, r as never));
  process.send!({ type: 'ready', base: issuer, resource, refreshTokens } satisfies Ready);
}

// ---------------------------------------------------------------- coordinator

interface Child extends BenchChild<Ready> {
  name: string;
}

async function spawnChild(role: 'portcullis' | 'oidc-provider' | 'limit', script = fileURLToPath(import.meta.url), name: string = role): Promise<Child> {
  const prof = process.env.BENCH_PROF === '1' && role === 'portcullis' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_DIR ?? 'bench/.prof'}`] : [];
  const logFile = join(LOG_DIR, `${name.replace(/\W+/g, '-')}.log`);
  const child = await forkChild<Ready>({ role, script, args: ['--child', role], execArgv: ['--import', 'tsx', ...prof], logFile, timeoutMs: 60_000 });
  return { ...child, name };
}

const form = (o: Record<string, string>): string => new URLSearchParams(o).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const BASIC = { ...FORM, authorization: `Basic ${Buffer.from(`${encodeURIComponent(CC_ID)}:${encodeURIComponent(CC_SECRET)}`).toString('base64')}` };

interface LoopResult {
  requests: number;
  errors: number;
  rps: number;
}

/** closed loop: one undici Client per connection, `step` decides each request from that connection's state */
async function loop(base: string, ms: number, step: (conn: number, client: Client) => Promise<boolean>): Promise<LoopResult> {
  const clients = Array.from({ length: CONNECTIONS }, () => new Client(base, { pipelining: 1, keepAliveTimeout: 30_000 }));
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    clients.map(async (client, conn) => {
      while (performance.now() < deadline) {
        if (await step(conn, client).catch(() => false)) requests++;
        else if (++errors > 200) throw new Error('too many failed token requests');
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return { requests, errors, rps: requests / seconds };
}

async function postToken(client: Client, path: string, headers: Record<string, string>, body: string): Promise<Record<string, unknown> | undefined> {
  const res = await client.request({ path, method: 'POST', headers, body });
  const json = (await res.body.json()) as Record<string, unknown>;
  return res.statusCode === 200 && typeof json.access_token === 'string' ? json : undefined;
}

function clientCredentials(c: Child) {
  const body = form({ grant_type: 'client_credentials', scope: SCOPE, resource: c.ready.resource });
  return async (_conn: number, client: Client) => (await postToken(client, '/token', BASIC, body)) !== undefined;
}

function refreshChains(c: Child, chains: string[]) {
  return async (conn: number, client: Client) => {
    const body = form({ grant_type: 'refresh_token', refresh_token: chains[conn]!, client_id: PUBLIC_ID, resource: c.ready.resource });
    const r = await postToken(client, '/token', FORM, body);
    if (!r || typeof r.refresh_token !== 'string') return false;
    chains[conn] = r.refresh_token;
    return true;
  };
}

/** authorize → login → consent → token against Portcullis, browserless, a fresh session each time */
async function authorizationCodeFlow(c: Child): Promise<string> {
  const { verifier, challenge } = pkceS256();
  const u = new URL(`${c.ready.base}/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: PUBLIC_ID, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's', scope: SCOPE, resource: c.ready.resource })) u.searchParams.set(k, v);
  const { location } = await driveAuthorization((url, init) => fetch(url, init), u.toString(), { username: 'bench', password: PASSWORD });
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`no code: ${location}`);
  const res = await fetch(`${c.ready.base}/token`, { method: 'POST', headers: FORM, body: form({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: PUBLIC_ID, resource: c.ready.resource }) });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200 || typeof json.refresh_token !== 'string') throw new Error(`token: ${res.status} ${JSON.stringify(json)}`);
  return json.refresh_token;
}

async function flows(c: Child, n: number): Promise<{ tokens: string[]; perSecond: number }> {
  const tokens: string[] = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: FLOW_CONCURRENCY }, async () => {
      while (next < n) {
        next++;
        tokens.push(await authorizationCodeFlow(c));
      }
    }),
  );
  return { tokens, perSecond: n / ((performance.now() - t0) / 1000) };
}

async function measure(c: Child, run: () => Promise<LoopResult>): Promise<{ rps: number; cpuPerReq: number; errors: number }> {
  const c0 = await c.cpu();
  const r = await run();
  const c1 = await c.cpu();
  return { rps: r.rps, cpuPerReq: (c1 - c0) / Math.max(1, r.requests), errors: r.errors };
}

/** per-round ratios a / b (the same round's figures, so drift hits both) */
const ratio = (a: number[], b: number[]) => stat(a.map((x, i) => x / b[i]!));

/** one side's grants per second, and its CPU per grant unless `cpu` is false */
function sideRows(prefix: string, s: { cc: number[]; ccCpu: number[]; rt: number[]; rtCpu: number[] }, cpu = true): Metric[] {
  return [
    { name: `${prefix}client_credentials`, unit: 'grants/s', stat: stat(s.cc) },
    { name: `${prefix}refresh_token`, unit: 'grants/s', stat: stat(s.rt) },
    ...(cpu
      ? [
          { name: `${prefix}CPU per client_credentials grant`, unit: 'µs', stat: stat(s.ccCpu) },
          { name: `${prefix}CPU per refresh_token grant`, unit: 'µs', stat: stat(s.rtCpu) },
        ]
      : []),
  ];
}

async function main(): Promise<void> {
  const pc = await spawnChild('portcullis');
  const op = await spawnChild('oidc-provider');
  const lim = await spawnChild('limit');
  const baseDir = process.env.BENCH_BASE_DIR;
  const bp = baseDir ? await spawnChild('portcullis', join(baseDir, 'bench', 'token-endpoint.ts'), 'portcullis (base)') : null;
  let ok = false;
  try {
    // sanity: both answer both grants
    for (const c of bp ? [pc, op, lim, bp] : [pc, op, lim]) {
      const probe = new Client(c.ready.base);
      if (!(await postToken(probe, '/token', BASIC, form({ grant_type: 'client_credentials', scope: SCOPE, resource: c.ready.resource })))) throw new Error(`${c.name}: client_credentials probe failed`);
      await probe.close();
    }
    progress(`authorization-code flows against portcullis (${CONNECTIONS} refresh-token chains)`);
    const warmFlows = await flows(pc, CONNECTIONS);
    const pcChains = warmFlows.tokens;
    const opChains = [...op.ready.refreshTokens];
    const limChains = [...lim.ready.refreshTokens];
    const bpChains = bp ? (await flows(bp, CONNECTIONS)).tokens : [];

    const ms = SECONDS * 1000;
    progress('warm-up');
    await loop(pc.ready.base, 1000, clientCredentials(pc));
    await loop(op.ready.base, 1000, clientCredentials(op));
    await loop(lim.ready.base, 1000, clientCredentials(lim));
    if (bp) await loop(bp.ready.base, 1000, clientCredentials(bp));

    // per side: grants/s and CPU µs per grant, one entry a round
    const series = () => ({ cc: [] as number[], ccCpu: [] as number[], rt: [] as number[], rtCpu: [] as number[] });
    const [P, O, L] = [series(), series(), series()];
    const B = bp ? series() : undefined;
    const sides = [
      { c: pc, chains: pcChains, r: P },
      { c: op, chains: opChains, r: O },
      { c: lim, chains: limChains, r: L },
      ...(bp && B ? [{ c: bp, chains: bpChains, r: B }] : []),
    ];
    const flowRates: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const order = sides.map((_, k) => sides[(k + i) % sides.length]!);
      for (const { c, chains, r } of order) {
        const a = await measure(c, () => loop(c.ready.base, ms, clientCredentials(c)));
        const b = await measure(c, () => loop(c.ready.base, ms, refreshChains(c, chains)));
        r.cc.push(a.rps);
        r.ccCpu.push(a.cpuPerReq);
        r.rt.push(b.rps);
        r.rtCpu.push(b.cpuPerReq);
        if (a.errors + b.errors > 0) progress(`${c.name}: ${a.errors} + ${b.errors} failed requests`);
      }
      flowRates.push((await flows(pc, 2 * FLOW_CONCURRENCY)).perSecond);
      progress(`round ${i + 1}: client_credentials portcullis ${P.cc[i]!.toFixed(0)}/s vs oidc-provider ${O.cc[i]!.toFixed(0)}/s; refresh_token ${P.rt[i]!.toFixed(0)}/s vs ${O.rt[i]!.toFixed(0)}/s; limit ${L.cc[i]!.toFixed(0)}/s, ${L.rt[i]!.toFixed(0)}/s; code flow ${flowRates[i]!.toFixed(1)}/s${B ? `; base ${B.cc[i]!.toFixed(0)}/s, ${B.rt[i]!.toFixed(0)}/s` : ''}`);
    }
    report({
      figure: 'token-endpoint',
      metrics: [
        { name: 'client_credentials ratio (portcullis / oidc-provider)', unit: '', stat: ratio(P.cc, O.cc), goal: { op: '>=', value: 2, text: '≥ 2' } },
        { name: 'refresh_token ratio (portcullis / oidc-provider)', unit: '', stat: ratio(P.rt, O.rt), goal: { op: '>=', value: 2, text: '≥ 2' } },
        { name: 'client_credentials: portcullis / limit', unit: '', stat: ratio(P.cc, L.cc) },
        { name: 'client_credentials: oidc-provider / limit', unit: '', stat: ratio(O.cc, L.cc) },
        { name: 'refresh_token: portcullis / limit', unit: '', stat: ratio(P.rt, L.rt) },
        { name: 'refresh_token: oidc-provider / limit', unit: '', stat: ratio(O.rt, L.rt) },
        ...sideRows('portcullis ', P),
        ...sideRows('oidc-provider ', O),
        ...sideRows('limit (node:http + jose signing) ', L, false),
        { name: 'portcullis authorization-code flows (authorize → login → consent → token)', unit: 'flows/s', stat: stat(flowRates) },
        ...(B
          ? [
              { name: 'before (base): client_credentials ratio (base / oidc-provider)', unit: '', stat: ratio(B.cc, O.cc) },
              { name: 'before (base): refresh_token ratio (base / oidc-provider)', unit: '', stat: ratio(B.rt, O.rt) },
              ...sideRows('before (base): ', B),
            ]
          : []),
      ],
      notes: [
        `${ROUNDS} rounds × ${SECONDS} s per grant and side, ${CONNECTIONS} connections, alternated; Portcullis on its SQLite file store with auditing and info logs on, oidc-provider ${'9'} on its in-memory adapter, both signing ES256 JWT access tokens; refresh tokens rotate on both; the limit is bench/token-limit.ts (node:http, client authentication, an in-memory refresh map, jose signing, nothing else)`,
        `authorization-code flow: ${FLOW_CONCURRENCY} at a time, each with a fresh session (login includes the argon2id password check); oidc-provider's refresh chains start from grants saved through its model API`,
      ],
    });
    ok = true;
  } finally {
    for (const c of [pc, op, lim, bp]) c?.stop();
    settleLogs(LOG_DIR, ok);
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  serveCpuIpc();
  const role = argv[1];
  const limit = async () => process.send!(await startLimitServer({ ccId: CC_ID, ccSecret: CC_SECRET, publicId: PUBLIC_ID, chains: CONNECTIONS }));
  runChild(role === 'portcullis' ? childPortcullis() : role === 'oidc-provider' ? childOidcProvider() : role === 'limit' ? limit() : Promise.reject(new Error(`unknown role ${role}`)));
} else {
  runMain(main);
}
