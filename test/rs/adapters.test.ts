/**
 * The framework adapters (issue 11 item 2) on their own, against the loopback test issuer: how each hands the
 * body on, sets the SDK's `auth`, serves the PRM document and relays refusals unchanged.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createResourceServer, nodeHttpGuard, portcullisExpress, portcullisHono, registerPortcullisFastify, type PortcullisVariables, type ResourceServer } from '../../src/rs/index.js';
import { startFakeIssuer, type FakeIssuer } from './helpers/issuer.js';

let as: FakeIssuer;
let rs: ResourceServer;
let base: string;
let resource: string;
const closers: Array<() => Promise<void>> = [];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  as = await startFakeIssuer();
  // one resource URL for every app: each test's server answers on its own port, the audience is the same
  resource = 'http://127.0.0.1/mcp';
  rs = createResourceServer({ resource, issuer: as.issuer, scopes: ['s:read', 's:write'], tools: { w: 's:write' }, revocation: 'none' });
  base = resource;
});
after(async () => {
  for (const c of closers) await c();
  rs.close();
  await as.close();
});

const post = (url: string, token: string | undefined, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
const call = (name: string) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name } });

describe('resource-server adapters (rs.adapters.e2e)', () => {
  test('Express without a body parser, mounted on a path: reads the stream itself, sets req.body and req.auth; refusals pass through', async () => {
    const app = express();
    app.use('/mcp', portcullisExpress(rs));
    app.post('/mcp', (req, res) => {
      const r = req as unknown as { auth?: { clientId: string; scopes: string[] }; body: unknown };
      res.json({ auth: r.auth, body: r.body });
    });
    const url = await listen(createServer(app));
    const token = await as.sign(as.keys[0]!, { aud: base, scope: 's:read' });
    const ok = (await (await post(`${url}/mcp`, token, call('r'))).json()) as { auth: { clientId: string; scopes: string[] }; body: unknown };
    assert.deepEqual(ok.body, call('r'));
    assert.equal(ok.auth.clientId, 'c1');
    assert.deepEqual(ok.auth.scopes, ['s:read']);
    const refused = await post(`${url}/mcp`, token, call('w'));
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    await refused.body?.cancel();
    const prm = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(prm.status, 404, 'mounted on /mcp, the adapter never sees the well-known path: mount it at the app level to serve PRM');
    await prm.body?.cancel();
  });

  test('Hono: the core reads a clone, so c.req stays readable; c.var carries auth, identity and parsedBody; PRM served', async () => {
    const app = new Hono<{ Variables: PortcullisVariables }>();
    app.use('*', portcullisHono(rs));
    app.post('/mcp', async (c) => c.json({ raw: await c.req.json(), parsed: c.var.parsedBody, sub: c.var.portcullis.sub, clientId: c.var.auth.clientId }));
    const token = await as.sign(as.keys[0]!, { aud: base, scope: 's:read' });
    const res = await app.request('/mcp', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(call('r')) });
    assert.deepEqual(await res.json(), { raw: call('r'), parsed: call('r'), sub: 'alice', clientId: 'c1' });
    const prm = await app.request('/.well-known/oauth-protected-resource/mcp');
    assert.equal(prm.status, 200);
    assert.equal(((await prm.json()) as { resource: string }).resource, resource);
    assert.equal((await app.request('/mcp', { method: 'POST', body: '{}' })).status, 401);
  });

  test('Fastify: PRM from the onRequest hook, refusals from preHandler, request.raw.auth for the SDK transport', async () => {
    const app = Fastify();
    registerPortcullisFastify(app, rs);
    app.post('/mcp', async (request) => ({ rawAuth: (request.raw as unknown as { auth?: { clientId: string } }).auth?.clientId, body: request.body }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const token = await as.sign(as.keys[0]!, { aud: base, scope: 's:write' });
    assert.deepEqual(await (await post(`${url}/mcp`, token, call('w'))).json(), { rawAuth: 'c1', body: call('w') });
    const none = await post(`${url}/mcp`, undefined, call('w'));
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer resource_metadata="http:\/\/127\.0\.0\.1\/\.well-known\/oauth-protected-resource\/mcp"/);
    await none.body?.cancel();
    const prm = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(prm.status, 200);
    await prm.body?.cancel();
  });

  test('node:http: a token in the query is refused with 400 before the handler runs; two credentials in Authorization are refused', async () => {
    const guard = nodeHttpGuard(rs);
    let reached = 0;
    const url = await listen(
      createServer((req, res) => {
        void guard(req, res).then((ok) => {
          if (!ok) return;
          reached++;
          res.end('ok');
        });
      }),
    );
    const token = await as.sign(as.keys[0]!, { aud: base });
    const q = await post(`${url}/mcp?access_token=${token}`, undefined, {});
    assert.equal(q.status, 400);
    await q.body?.cancel();
    // node:http keeps only the first of repeated Authorization fields; two credentials in one field are refused
    const two = await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${token}, Bearer ${token}` } });
    assert.equal(two.status, 400);
    await two.body?.cancel();
    assert.equal(reached, 0);
    assert.equal(await (await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${token}` } })).text(), 'ok');
    assert.equal(reached, 1);
  });
});
