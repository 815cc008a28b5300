import type { Check } from '../types.js';
import { strings } from '../wire.js';
import { asMeta, pass, skip, unmet } from './lib.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export default {
  id: 'as.metadata.ema',
  level: 'MUST',
  source: 'ID-JAG §7.2; MCP EMA §6',
  title: 'where ID-JAG is advertised, grant_types_supported includes jwt-bearer',
  needs: ['as.metadata'],
  evaluate(obs) {
    const meta = asMeta(obs);
    if (!meta) return skip('no metadata found (see as.metadata)');
    const profiles = strings(meta.authorization_grant_profiles_supported);
    if (!profiles) return pass('EMA not advertised');
    if (!strings(meta.grant_types_supported)?.includes(JWT_BEARER)) {
      return unmet('authorization_grant_profiles_supported is advertised but grant_types_supported lacks jwt-bearer', `add "${JWT_BEARER}" to grant_types_supported`);
    }
    return pass(`profiles: ${profiles.join(', ')}`);
  },
} satisfies Check;
