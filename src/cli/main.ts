import { ConfigError } from '../core/errors.js';

const USAGE = `portcullis — zero-touch OAuth for MCP servers

Usage:
  portcullis serve [--config FILE] [--port N] [--host ADDR] [--issuer URL] [--data-dir DIR]
                   [--upstream URL] [--store URL] [--dev] [--demo]
  portcullis init [FILE]              write a commented starter config (default ./portcullis.yaml)
  portcullis users add NAME [--role ROLE]... [--config FILE] [--data-dir DIR]
                                      create a user; password from stdin or a prompt
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
      case 'check':
        return await (await import('../checker/cli.js')).checkCommand(rest);
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
