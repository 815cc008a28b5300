/**
 * The official MCP conformance suite's `authorization` role (0.2.0-alpha only) against Portcullis's AS, started
 * through its CLI. The suite plays the OAuth client: it fetches the AS metadata
 * (`authorization-server-metadata-endpoint`, incl. the separate `authorization-server-metadata-cimd` check), prints an
 * authorization URL (PKCE S256 + state + resource) and waits for the code on http://127.0.0.1:<port>/callback; this
 * test plays the browser (login + consent form posts) and delivers the redirect to the suite's callback
 * (`authorization-code-grant`: state, code, iss = metadata issuer, token response 200 / JSON / no-store).
 *
 * Three clients:
 *  (a) a static public client (token_endpoint_auth_method none);
 *  (b) a static confidential client (client_secret_basic) with --client-secret. The suite picks its token
 *      authentication method from the metadata as "none if listed, else client_secret_post, else
 *      client_secret_basic" — even when it was given a secret (selectTokenAuthMethod in
 *      src/scenarios/authorization-server/authorization-code-grant.ts). Portcullis lists `none` (it serves public
 *      clients), so unaided the suite would present the confidential client with no secret and get 401
 *      invalid_client — correct for our AS. So (b) runs against a second instance whose issuer is a loopback
 *      reverse proxy that forwards everything unchanged except one field of the metadata document:
 *      token_endpoint_auth_methods_supported narrowed to ["client_secret_basic"]. Everything the suite checks
 *      (issuer, endpoints, iss, the token response) is still Portcullis's own.
 *  (c) a CIMD client: client_id = https://localhost:<port>/client.json, served by this test over TLS with a test CA
 *      that Portcullis trusts through NODE_EXTRA_CA_CERTS. The suite treats the client_id as opaque, so this drives
 *      Portcullis's CIMD fetch + validation end to end.
 *
 * Requirement: conf.authorization (issue: "its authorization role passes against our AS including the CIMD check").
 * Source: @modelcontextprotocol/conformance 0.2.0-alpha.12; /work/shared/reference/peer-suites.md §1.3, §3.5.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { driveAuthorization } from '../helpers/browserless.js';
import { makeTestCa } from '../helpers/tls.js';
import { SUITE_VERSION, addUser, freePort, killTree, readChecks, runSuite, startPortcullis, summarize, type Check, type Portcullis } from './harness.js';

const USER = 'conformance-user';
const PASSWORD = 'conformance-password-1';
const CONFIDENTIAL_SECRET = 'conformance-secret-0123456789';
const SUITE_TIMEOUT_MS = 120_000;

interface AuthzRun {
  code: number | null;
  ms: number;
  checks: Map<string, Check[]>;
  all: Check[];
  stdout: string;
}

/**
 * Runs `conformance authorization`, plays the browser for the URL it prints, and hands the final redirect to the
 * suite's callback listener. A failure while driving kills the suite at once (it would otherwise wait 5 min).
 */
async function runAuthorizationRole(opts: {
  url: string;
  clientId: string;
  clientSecret?: string;
  resource: string;
  port: number;
  outDir: string;
  children: Set<ChildProcess>;
}): Promise<AuthzRun> {
  let driving: Promise<void> | undefined;
  let driveError: unknown;
  const args = ['authorization', '--url', opts.url, '--client-id', opts.clientId, '--resource', opts.resource, '--port', String(opts.port), '-o', opts.outDir];
  if (opts.clientSecret) args.push('--client-secret', opts.clientSecret);
  const run = await runSuite(args, {
    timeoutMs: SUITE_TIMEOUT_MS,
    track: opts.children,
    onLine: (line) => {
      const url = line.trim();
      if (driving || !/^https?:\/\/\S+\?\S*response_type=code\S*$/.test(url)) return;
      driving = (async () => {
        const { location } = await driveAuthorization((u, init) => fetch(u, init), url, { username: USER, password: PASSWORD, decision: 'approve' });
        assert.ok(location.startsWith(`http://127.0.0.1:${opts.port}/callback?`), `authorization ended at ${location}`);
        // the suite starts its callback listener right after printing the URL: retry a refused connection briefly
        for (let attempt = 0; ; attempt++) {
          try {
            const res = await fetch(location, { signal: AbortSignal.timeout(10_000) });
            await res.text();
            return;
          } catch (e) {
            if (attempt >= 20) throw e;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      })().catch((e: unknown) => {
        driveError = e;
        for (const c of opts.children) killTree(c, 'SIGKILL');
      });
    },
  });
  await driving;
  if (driveError) throw new Error(`driving the authorization failed: ${String((driveError as Error).stack ?? driveError)}\nsuite output:\n${run.stdout}`);
  assert.equal(run.timedOut, false, `the suite ran out of time (${SUITE_TIMEOUT_MS} ms):\n${run.stdout}`);
  assert.ok(driving, `the suite printed no authorization URL:\n${run.stdout}\n${run.stderr}`);
  const checks = readChecks(opts.outDir);
  return { code: run.code, ms: run.ms, checks, all: [...checks.values()].flat(), stdout: run.stdout };
}

function diagnose(t: { diagnostic(msg: string): void }, r: AuthzRun): void {
  t.diagnostic(`suite run ${r.ms} ms, exit ${r.code}`);
  for (const line of summarize(r.checks).split('\n')) t.diagnostic(line);
}

function assertPassed(r: AuthzRun, portcullis: Portcullis): void {
  const report = `${summarize(r.checks)}\n\nsuite output:\n${r.stdout}\n\nPortcullis output (tail):\n${portcullis.output().slice(-4000)}`;
  assert.deepEqual([...r.checks.keys()].sort(), ['authorization-code-grant', 'authorization-server-metadata-endpoint'], report);
  const failures = r.all.filter((c) => c.status === 'FAILURE');
  assert.deepEqual(failures.map((c) => `${c.id}: ${c.errorMessage ?? ''}`), [], report);
  const cimd = r.all.find((c) => c.id === 'authorization-server-metadata-cimd');
  assert.equal(cimd?.status, 'SUCCESS', `authorization-server-metadata-cimd must be SUCCESS, not a WARNING\n${report}`);
  assert.equal(r.all.find((c) => c.id === 'authorization-code-grant')?.status, 'SUCCESS', report);
  assert.equal(r.code, 0, report);
}

/**
 * A loopback reverse proxy in front of Portcullis that changes one thing: the AS metadata's
 * token_endpoint_auth_methods_supported (see (b) above). Host and every other byte pass unchanged.
 */
async function startMethodSteeringProxy(target: { port: number }, methods: string[]): Promise<{ server: Server; port: number; tokenAuth: string[] }> {
  const tokenAuth: string[] = [];
  const server = createHttpServer((req, res) => {
    // evidence for the test: which client authentication the suite used at /token (scheme only, never the secret)
    if (req.method === 'POST' && req.url?.startsWith('/token')) tokenAuth.push(req.headers.authorization?.split(' ')[0] ?? '(none)');
    const up = httpRequest(
      { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        const isMetadata = /^\/\.well-known\/(oauth-authorization-server|openid-configuration)(\/|$)/.test(new URL(req.url ?? '/', 'http://x').pathname);
        if (!isMetadata || upRes.statusCode !== 200) {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          doc.token_endpoint_auth_methods_supported = methods;
          const body = JSON.stringify(doc);
          const headers = { ...upRes.headers, 'content-length': String(Buffer.byteLength(body)) };
          delete headers['transfer-encoding'];
          res.writeHead(200, headers).end(body);
        });
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port, tokenAuth };
}

describe(`conformance ${SUITE_VERSION} authorization role against Portcullis (conf.authorization)`, { timeout: 240_000 }, () => {
  const children = new Set<ChildProcess>();
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-conf-authz-'));
  let direct: Portcullis | undefined;
  let steered: Portcullis | undefined;
  let proxy: Server | undefined;
  let proxyTokenAuth: string[] = [];
  let cimdServer: ReturnType<typeof createHttpsServer> | undefined;
  const ports = { public: 0, confidential: 0, cimd: 0 };
  let cimdUrl = '';

  before(async () => {
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();

    // (c) the client's metadata document, https on localhost with a test CA
    const ca = makeTestCa(['localhost', '127.0.0.1']);
    const caFile = join(tmp, 'ca.pem');
    writeFileSync(caFile, ca.caPem);
    let cimdDoc = '';
    cimdServer = createHttpsServer({ key: ca.keyPem, cert: ca.certPem }, (req, res) => {
      if (req.url === '/client.json') res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(cimdDoc);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => cimdServer!.listen(0, '127.0.0.1', () => r()));
    cimdUrl = `https://localhost:${(cimdServer.address() as { port: number }).port}/client.json`;
    cimdDoc = JSON.stringify({
      client_id: cimdUrl,
      client_name: 'Conformance suite (CIMD)',
      redirect_uris: [`http://127.0.0.1:${ports.cimd}/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });

    const config = join(tmp, 'portcullis.yaml');
    writeFileSync(
      config,
      [
        'resources:',
        '  - path: /mcp',
        '    upstream: http://127.0.0.1:9/mcp', // the AS role never reaches the upstream
        '    name: Conformance resource',
        '    scopes: [conformance:read, conformance:write]',
        'clients:',
        '  - client_id: conformance-public',
        '    client_name: Conformance suite (public)',
        `    redirect_uris: ["http://127.0.0.1:${ports.public}/callback"]`,
        '    token_endpoint_auth_method: none',
        '  - client_id: conformance-confidential',
        '    client_name: Conformance suite (confidential)',
        `    redirect_uris: ["http://127.0.0.1:${ports.confidential}/callback"]`,
        '    token_endpoint_auth_method: client_secret_basic',
        '    client_secret_env: CONFORMANCE_CLIENT_SECRET',
        '',
      ].join('\n'),
    );
    const env = { NODE_EXTRA_CA_CERTS: caFile, CONFORMANCE_CLIENT_SECRET: CONFIDENTIAL_SECRET, PORTCULLIS_SECRET: 'x'.repeat(43) };
    const dirA = join(tmp, 'data-direct');
    const dirB = join(tmp, 'data-steered');
    addUser({ dataDir: dirA, config, name: USER, password: PASSWORD });
    addUser({ dataDir: dirB, config, name: USER, password: PASSWORD });

    const portA = await freePort();
    direct = await startPortcullis(['--config', config, '--data-dir', dirA, '--port', String(portA), '--dev'], { env });
    children.add(direct.child);
    assert.equal(direct.issuer, `http://127.0.0.1:${portA}`);

    const portB = await freePort();
    const steering = await startMethodSteeringProxy({ port: portB }, ['client_secret_basic']);
    proxy = steering.server;
    proxyTokenAuth = steering.tokenAuth;
    const proxyPort = (proxy.address() as { port: number }).port;
    steered = await startPortcullis(['--config', config, '--data-dir', dirB, '--port', String(portB), '--issuer', `http://127.0.0.1:${proxyPort}`, '--dev'], { env });
    children.add(steered.child);
    assert.equal(steered.issuer, `http://127.0.0.1:${proxyPort}`);
  });

  after(async () => {
    for (const c of children) killTree(c, 'SIGKILL');
    await Promise.all([direct?.stop(), steered?.stop()]);
    proxy?.closeAllConnections();
    cimdServer?.closeAllConnections();
    await Promise.all([
      new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r())),
      new Promise<void>((r) => (cimdServer ? cimdServer.close(() => r()) : r())),
    ]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it(`conformance ${SUITE_VERSION} authorization role passes incl. CIMD metadata check: public client, auth method none (conf.authorization, as.metadata)`, async (t) => {
    const r = await runAuthorizationRole({
      url: direct!.issuer,
      clientId: 'conformance-public',
      resource: direct!.mcpUrl,
      port: ports.public,
      outDir: join(tmp, 'out-public'),
      children,
    });
    diagnose(t, r);
    assertPassed(r, direct!);
  });

  it(`conformance ${SUITE_VERSION} authorization role passes incl. CIMD metadata check: confidential client, client_secret_basic (conf.authorization, as.token.client-auth)`, async (t) => {
    const r = await runAuthorizationRole({
      url: steered!.issuer,
      clientId: 'conformance-confidential',
      clientSecret: CONFIDENTIAL_SECRET,
      resource: steered!.mcpUrl,
      port: ports.confidential,
      outDir: join(tmp, 'out-confidential'),
      children,
    });
    diagnose(t, r);
    assertPassed(r, steered!);
    assert.deepEqual(proxyTokenAuth, ['Basic'], 'the suite must have authenticated at /token with HTTP Basic');
  });

  it(`conformance ${SUITE_VERSION} authorization role passes incl. CIMD metadata check: CIMD client_id fetched over https (conf.authorization)`, async (t) => {
    const r = await runAuthorizationRole({
      url: direct!.issuer,
      clientId: cimdUrl,
      resource: direct!.mcpUrl,
      port: ports.cimd,
      outDir: join(tmp, 'out-cimd'),
      children,
    });
    diagnose(t, r);
    assertPassed(r, direct!);
    // the document really was fetched and validated, and the code was issued to that client: Portcullis's log
    // (log lines are written in batches every ≤ 250 ms, so the last ones may still be on their way)
    const events = (): Record<string, unknown>[] =>
      direct!
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const issued = (): boolean => events().some((e) => e.event === 'token_issued' && e.client_id === cimdUrl);
    for (let i = 0; i < 30 && !issued(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(events().some((e) => e.event === 'cimd_fetch' && e.url === cimdUrl && e.outcome === 'ok'), `no successful CIMD fetch of ${cimdUrl} logged`);
    assert.ok(issued(), 'no token issued to the CIMD client');
  });
});
