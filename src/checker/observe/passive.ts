/**
 * Passive observation (no credentials): the unauthenticated challenge, PRM at header/path/root locations, AS
 * metadata in the order clients try it, DCR exposure, CORS and Origin behaviour, and refused bad tokens.
 */
import { asMetadataUrls, challengeOf, isJsonDocument, jsonBody, strings, wellKnownInserted } from '../wire.js';
import type { Recorder } from './recorder.js';
import { BOGUS_TOKEN, BROWSER_ORIGIN, FOREIGN_ORIGIN, mcpPost } from './probes.js';

export async function observePassive(rec: Recorder): Promise<void> {
  const target = rec.obs.target;
  rec.progress('discovery (no credentials)');
  const unauth = await rec.send('mcp.no-token', 'RS', target, mcpPost());
  const rm = challengeOf(unauth)?.params.resource_metadata;
  if (rm) await rec.send('prm.header', 'RS', safeUrl(rm, target), { headers: { accept: 'application/json' } });
  else rec.note('prm.header', 'the 401 challenge has no resource_metadata');
  const pathUrl = wellKnownInserted(target, 'oauth-protected-resource');
  await rec.send('prm.path', 'RS', pathUrl, { headers: { accept: 'application/json' } });
  const rootUrl = `${new URL(target).origin}/.well-known/oauth-protected-resource`;
  if (rootUrl !== pathUrl) await rec.send('prm.root', 'RS', rootUrl, { headers: { accept: 'application/json' } });
  else rec.note('prm.root', 'the MCP URL has no path: the root and path forms coincide');

  // MCP [DISC]: clients take the header pointer, then the path form, then the root form
  const prmKey = ['prm.header', 'prm.path', 'prm.root'].find((k) => isJsonDocument(rec.obs.exchanges[k]?.[0]));
  if (prmKey) {
    const prm = rec.obs.exchanges[prmKey]![0]!;
    rec.fact('prm.key', prmKey);
    rec.fact('prm.url', prm.request.url);
    const doc = jsonBody(prm)!;
    if (typeof doc.resource === 'string') rec.fact('resource', doc.resource);
    const issuer = strings(doc.authorization_servers)?.[0];
    if (issuer) rec.fact('issuer', issuer);
  } else rec.note('fact:issuer', 'no protected resource metadata was found');

  const issuer = rec.obs.facts.issuer;
  if (issuer) await discoverAs(rec, issuer);
  else rec.note('as.metadata', 'no authorization server issuer is known (PRM missing or authorization_servers empty)');

  rec.progress('browser clients and token handling');
  await rec.send('mcp.origin-foreign', 'RS', target, mcpPost({ origin: FOREIGN_ORIGIN }));
  await rec.send('mcp.origin-browser', 'RS', target, mcpPost({ origin: BROWSER_ORIGIN }));
  await rec.send('mcp.preflight', 'RS', target, {
    method: 'OPTIONS',
    headers: { origin: BROWSER_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,mcp-protocol-version' },
  });
  const prmUrl = rec.obs.facts['prm.url'];
  if (prmUrl) await rec.send('prm.cors', 'RS', prmUrl, { headers: { origin: BROWSER_ORIGIN } });
  else rec.note('prm.cors', 'no PRM document was found');
  const asUrl = rec.obs.facts['as.metadata.url'];
  if (asUrl) await rec.send('as.metadata.cors', 'AS', asUrl, { headers: { origin: BROWSER_ORIGIN } });
  else rec.note('as.metadata.cors', 'no AS metadata was found');
  await rec.send('mcp.bad-token', 'RS', target, mcpPost({ authorization: `Bearer ${BOGUS_TOKEN}` }));
  const q = new URL(target);
  q.searchParams.set('access_token', BOGUS_TOKEN);
  await rec.send('mcp.query-token', 'RS', q.toString(), mcpPost());
}

async function discoverAs(rec: Recorder, issuer: string): Promise<void> {
  const iss = safeUrl(issuer, rec.obs.target);
  let found = false;
  for (const url of asMetadataUrls(iss)) {
    const x = await rec.send('as.metadata', 'AS', url, { headers: { accept: 'application/json' } });
    if (isJsonDocument(x)) {
      found = true;
      rec.fact('as.metadata.url', url);
      break;
    }
  }
  if (!found) {
    // RFC 8414 §3.1 misconfiguration seen in the field: the suffix appended after the issuer path
    if (new URL(iss).pathname.replace(/\/$/, '') !== '') {
      await rec.send('as.metadata.appended', 'AS', `${iss.replace(/\/$/, '')}/.well-known/oauth-authorization-server`);
    }
    return;
  }
  const meta = jsonBody(rec.obs.exchanges['as.metadata']!.at(-1))!;
  for (const k of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'revocation_endpoint'] as const) {
    if (typeof meta[k] === 'string') rec.fact(k, meta[k]);
  }
  const reg = rec.obs.facts.registration_endpoint;
  if (reg) {
    // an intentionally incomplete request: an open endpoint answers with a metadata error, a protected one 401/403
    await rec.send('as.register.probe', 'AS', reg, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [] }) });
  } else rec.note('as.register.probe', 'no registration_endpoint is advertised');
}

/** Resolves `url` against the target so a relative or malformed value is recorded, not thrown. */
function safeUrl(url: string, base: string): string {
  try {
    return new URL(url, base).toString();
  } catch {
    return base;
  }
}
