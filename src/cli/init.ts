import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './main.js';

/** A commented starter config. It never contains a secret: secrets come from env or files by path. */
export const STARTER_CONFIG = `# Portcullis configuration. Precedence: CLI flag > PORTCULLIS_* env > this file > defaults.
# Full reference: docs/configuration.md

# Public base URL of this server: the OAuth issuer, and the base of every MCP URL it protects.
# Production needs https. An http issuer works only with --dev on a loopback host.
issuer: http://127.0.0.1:8080
host: 127.0.0.1        # bind address (keep loopback unless behind a reverse proxy)
port: 8080
data_dir: ./.portcullis  # embedded SQLite store, generated secret and demo state live here
# dev: true            # development only: http issuer and loopback client metadata URLs

# The MCP servers to protect. Each gets its own MCP URL <issuer><path> and its own metadata.
resources:
  - path: /mcp
    upstream: http://127.0.0.1:3000/mcp   # a Streamable HTTP MCP server
    name: My MCP server
    scopes: [notes:read, notes:write]     # offered scopes; also the scope of the 401 challenge
    tools:                                # tool name -> scope needed to call it
      list_notes: notes:read
      add_note: notes:write

# Pre-registered clients (most MCP clients need none: they identify with a Client ID Metadata Document URL).
# clients:
#   - client_id: my-ci-bot
#     client_name: CI bot
#     redirect_uris: [http://127.0.0.1/callback]
#     token_endpoint_auth_method: client_secret_basic
#     client_secret_env: MY_CI_BOT_SECRET     # the secret itself never goes in this file

tokens:
  access_token_ttl: 600     # seconds (minimum 60)
  refresh_idle_ttl: 1209600 # 14 days
  refresh_absolute_ttl: 7776000 # 90 days

cors:
  allowed_origins: []       # browser-based MCP clients allowed to call the MCP URL

# Secrets: set PORTCULLIS_SECRET (32+ characters) or PORTCULLIS_SECRET_FILE in production.
`;

export async function initCommand(args: string[]): Promise<number> {
  const force = args.includes('--force');
  const positional = args.filter((a) => !a.startsWith('--'));
  if (positional.length > 1) throw new UsageError('init takes at most one file name');
  const file = resolve(positional[0] ?? 'portcullis.yaml');
  if (existsSync(file) && !force) {
    console.error(`portcullis: ${file} already exists (use --force to overwrite)`);
    return 1;
  }
  writeFileSync(file, STARTER_CONFIG, { mode: 0o644 });
  console.log(`wrote ${file}\nnext: edit resources[0].upstream, then run  portcullis serve --config ${file}`);
  return 0;
}
