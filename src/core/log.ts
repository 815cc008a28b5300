import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, destination, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** The request being served (issue 6: request ids); every log line written while serving it carries `req_id`. */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

/** Field names whose values are credentials: redacted at the top level and one or two levels down. */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'password',
  'client_secret',
  'refresh_token',
  'access_token',
  'id_token',
  'token',
  'code',
  'code_verifier',
  'client_assertion',
  'assertion',
  'subject_token',
  'actor_token',
  'user_code',
  'device_code',
  'secret',
];
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/**
 * Structured JSON logs on stderr (stdout carries what the commands print); tokens, secrets and passwords are
 * never logged (MCP security: "don't log credentials"). `dest` (tests) receives the JSON lines instead.
 */
export function createLogger(level = process.env.PORTCULLIS_LOG_LEVEL ?? 'info', dest?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor },
      mixin: () => {
        const reqId = requestContext.getStore()?.reqId;
        return reqId === undefined ? {} : { req_id: reqId };
      },
    },
    // issue 9: lines are gathered up to 4 KiB (at most 250 ms) per write instead of one write per line, which
    // showed in the gateway's profile; pino flushes what is buffered when the process exits
    dest ?? destination({ dest: 2, sync: false, minLength: 4096, periodicFlush: 250 }),
  );
}

/** a `code` that is a system error code (ECONNREFUSED, ERR_…, UND_ERR_…) stays readable; anything else is censored */
const SYSTEM_ERROR_CODE = /^(E[A-Z0-9]{2,30}|(UND_)?ERR_[A-Z0-9_]{1,60})$/;
function censor(value: unknown, path: (string | null)[]): unknown {
  return path[path.length - 1] === 'code' && typeof value === 'string' && SYSTEM_ERROR_CODE.test(value) ? value : '[redacted]';
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
