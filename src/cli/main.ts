import { ConfigError } from '../core/errors.js';

const USAGE = `portcullis — zero-touch OAuth for MCP servers

Usage:
  portcullis serve [--config FILE] [--port N] [--host ADDR] [--issuer URL] [--data-dir DIR]
                   [--upstream URL | --upstream-stdio "COMMAND ARGS…"] [--store URL] [--dev] [--demo]
  portcullis init [FILE]              write a commented starter config (default ./portcullis.yaml)
  portcullis check URL [--json] [--html FILE] [--client-id ID] [--login]
                                      check any MCP server's authorization against the spec
  portcullis users add NAME [--role ROLE]... [--config FILE] [--data-dir DIR]
                                      create a user; password from stdin or a prompt
  portcullis users roles NAME [--role ROLE]...   set roles; grants beyond them are revoked at once
  portcullis users disable|enable NAME | users list
                                      disabling revokes every grant of the user at once
  portcullis audit tail|query|export|verify|checkpoint [...]
                                      read, export and verify the audit log (portcullis audit for details)
  portcullis revoke --grant ID | --user NAME | --client CLIENT_ID | --token TOKEN|-  [--config FILE] [--data-dir DIR]
                                      revoke grants (a running server refuses their tokens within ~1 s)
  portcullis grants list [--user NAME] [--client CLIENT_ID] [--all] [--json]
                                      list grants with their last use
  portcullis clients pending|list     clients awaiting approval (trust.mode: review) / every decision
  portcullis clients approve|deny CLIENT_ID [--by NAME] [--config FILE] [--data-dir DIR]
                                      decide on a client's current document version
  portcullis users|grants|revoke|clients … --remote URL [--token-file FILE]
                                      drive a remote Portcullis through its admin API (token with
                                      scope portcullis:admin from PORTCULLIS_ADMIN_TOKEN or the file)
  portcullis keys list|rotate [--json] [--config FILE] [--data-dir DIR] [--store URL]
                                      signing keys; rotate publishes a new key keys.publish_before_s before it signs
  portcullis migrate [--store URL]    apply store migrations (also run at every start); print the schema version
  portcullis help

Configuration precedence: flag > PORTCULLIS_* env > config file > defaults.`;

/** Entry point; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await (await import('./serve.js')).serveCommand(rest);
      case 'init':
        return await (await import('./init.js')).initCommand(rest);
      case 'users':
        return await (await import('./users.js')).usersCommand(rest);
      case 'audit':
        return await (await import('./audit.js')).auditCommand(rest);
      case 'revoke':
        return await (await import('./revoke.js')).revokeCommand(rest);
      case 'grants':
        return await (await import('./grants.js')).grantsCommand(rest);
      case 'clients':
        return await (await import('./clients.js')).clientsCommand(rest);
      case 'check':
        return await (await import('../checker/cli.js')).checkCommand(rest);
      case 'keys':
        return await (await import('./keys.js')).keysCommand(rest);
      case 'migrate':
        return await (await import('./migrate.js')).migrateCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return 0;
      default:
        console.error(`portcullis: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`portcullis: configuration error: ${e.message}`);
      return 78; // EX_CONFIG
    }
    if (e instanceof UsageError) {
      console.error(`portcullis: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

export class UsageError extends Error {}
