import { pino, destination, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/**
 * Structured JSON logs on stderr (stdout carries what the commands print); tokens, secrets and passwords are
 * never logged (MCP security: "don't log credentials").
 */
export function createLogger(level = process.env.PORTCULLIS_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: ['*.authorization', '*.password', '*.client_secret', '*.refresh_token', '*.access_token', '*.code', '*.client_assertion'],
      censor: '[redacted]',
    },
  }, destination(2));
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
