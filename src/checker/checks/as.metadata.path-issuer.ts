import type { Check } from '../types.js';
import { isJsonDocument, one } from '../wire.js';
import { pass, skip, unmet } from './lib.js';

export default {
  id: 'as.metadata.path-issuer',
  level: 'MUST',
  source: 'RFC 8414 §3.1; MCP [DISC]',
  title: 'for an issuer with a path, metadata is at the path-inserted well-known URL',
  needs: ['fact:issuer'],
  evaluate(obs) {
    const issuer = obs.facts.issuer!;
    if (!URL.canParse(issuer) || new URL(issuer).pathname.replace(/\/$/, '') === '') return pass('issuer has no path');
    if (obs.facts['as.metadata.url']) return pass(obs.facts['as.metadata.url']);
    const appended = one(obs, 'as.metadata.appended');
    if (isJsonDocument(appended)) {
      return unmet(`metadata only at ${appended!.request.url} (suffix appended after the issuer path)`, 'serve it at <origin>/.well-known/oauth-authorization-server<issuer path>');
    }
    return skip('no metadata found at all (see as.metadata)');
  },
} satisfies Check;
