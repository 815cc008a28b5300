import type { Check } from '../types.js';
import { asMeta, pass, skip, unmet } from './lib.js';

export default {
  id: 'as.metadata.cimd',
  level: 'SHOULD',
  source: 'MCP [AUTH] Overview item 2; MCP [REG] Advertising CIMD Support; CIMD §5',
  title: 'Client ID Metadata Documents supported and advertised',
  needs: ['as.metadata'],
  evaluate(obs) {
    const meta = asMeta(obs);
    if (!meta) return skip('no metadata found (see as.metadata)');
    if (meta.client_id_metadata_document_supported !== true) {
      return unmet('client_id_metadata_document_supported is not true', 'support CIMD (https client_id URLs) and advertise client_id_metadata_document_supported: true');
    }
    return pass('client_id_metadata_document_supported: true');
  },
} satisfies Check;
