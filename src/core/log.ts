import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, destination, stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** The request being served (issue 6: request ids); every log line written while serving it carries `req_id`. */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

/**
 * Member names whose values are credentials: censored in log lines at the top level and one or two levels down, and
 * refused outright in audit data (audit/chain.ts assertNoSecrets).
 */
export const CREDENTIAL_NAMES: ReadonlySet<string> = new Set([
  'authorization', 'cookie', 'password', 'client_secret', 'refresh_token', 'access_token', 'id_token', 'token', 'code',
  'code_verifier', 'client_assertion', 'assertion', 'subject_token', 'actor_token', 'user_code', 'device_code', 'secret',
]);
/** how far below the top level a secret-named member is still censored (pino paths `k`, `*.k`, `*.*.k`) */
const REDACT_DEPTH = 2;

/**
 * Structured JSON logs on stderr (stdout carries what the commands print); tokens, secrets and passwords are
 * never logged (MCP security: "don't log credentials"). `dest` (tests) receives the JSON lines instead.
 */
export function createLogger(level = process.env.PORTCULLIS_LOG_LEVEL ?? 'info', dest?: DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: undefined,
      // issue 9: redaction by one walk of the line's object (a Set lookup per member) instead
      // of pino's path redaction, whose wildcard paths cost ~20 µs a line (8 % of a client_credentials grant)
      formatters: { log: (o) => redact(o, 0) },
      serializers: { err: serializeErr },
      // values interpolated into the message (`log.info('%j', obj)`) are redacted as the line's object is
      hooks: {
        logMethod(args, method) {
          for (let i = 1; i < args.length; i++) args[i] = redact(args[i], 0);
          return method.apply(this, args);
        },
      },
      mixin: () => {
        const reqId = requestContext.getStore()?.reqId;
        return reqId === undefined ? {} : { req_id: reqId };
      },
    },
    // issue 9: lines are gathered up to 4 KiB (at most 250 ms) per write instead of one write per line, which
    // showed in the gateway's profile; pino flushes what is buffered when the process exits
    dest ?? destination({ dest: 2, sync: false, minLength: 4096, periodicFlush: 250 }),
  );
  // a child's bindings are written once, at child(), without the log formatter: redacted here (children are made
  // with Object.create(parent), so they inherit this child() too)
  const { child, setBindings } = logger;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redact(bindings, 0), options);
  } as Logger['child'];
  logger.setBindings = function (this: Logger, bindings) {
    setBindings.call(this, redact(bindings, 0));
  };
  return logger;
}

/**
 * `o`, or a copy of it in which every member named in SECRET_KEYS, at this level and up to REDACT_DEPTH levels
 * down (arrays included), is censored; copies are made only along the paths that hold one. A top-level `err` is
 * serialized first (pino's error serializer runs after this hook and would otherwise see the unredacted error).
 * Anything that is not an object is returned as it is.
 */
function redact<T>(o: T, depth: number): T {
  if (o === null || typeof o !== 'object') return o;
  const obj = o as Record<string, unknown>;
  return (selfSerializing(obj) ? redactSerialized(obj, depth) : redactMembers(obj, depth)) as T;
}

/** an instance with its own serialization (toJSON): what JSON.stringify, so pino, writes is what toJSON returns */
function selfSerializing(o: Record<string, unknown>): boolean {
  const proto: unknown = Object.getPrototypeOf(o);
  return proto !== Object.prototype && proto !== null && !Array.isArray(o) && typeof o.toJSON === 'function';
}

/**
 * As pino's paths did: the instance's own members censored first (a copy keeping its prototype), then it serializes
 * itself once, and what that gives is censored in turn. A toJSON that needs the original (private fields) is asked
 * of the original; one that fails both times is left for pino to meet as it always did.
 */
function redactSerialized(o: Record<string, unknown>, depth: number): unknown {
  const members = redactMembers(o, depth);
  let json: unknown;
  try {
    json = (members.toJSON as () => unknown)();
  } catch {
    try {
      json = (o.toJSON as () => unknown)();
    } catch {
      return members;
    }
  }
  // `return this`, or a primitive (a Date's string): what the censored instance serializes to already
  if (json === null || typeof json !== 'object' || json === members || json === o) return members;
  const redacted = redactMembers(json as Record<string, unknown>, depth);
  // written as it stands: never asked to serialize itself again
  return selfSerializing(redacted) ? { ...redacted } : redacted;
}

function redactMembers(o: Record<string, unknown>, depth: number): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in o) {
    if (!Object.hasOwn(o, key)) continue;
    const value: unknown = o[key];
    let next = value;
    if (CREDENTIAL_NAMES.has(key)) next = censor(value, key);
    else if (depth === 0 && key === 'err' && value instanceof Error) next = markSerialized(redactMembers(serializeErr(value) as Record<string, unknown>, 1));
    else if (depth < REDACT_DEPTH) next = redact(value, depth + 1);
    if (next !== value) {
      // the copy keeps the prototype (a class's own serialization is not lost) and copies own enumerable members
      out ??= Array.isArray(o) ? ([...(o as unknown[])] as unknown as Record<string, unknown>) : Object.assign(Object.create(Object.getPrototypeOf(o) as object | null) as Record<string, unknown>, o);
      out[key] = next;
    }
  }
  return out ?? o;
}

/** errors serialized in `redact` pass pino's serializer unchanged (it would re-type them as `Object`) */
const serialized = new WeakSet<object>();
function serializeErr(e: unknown): unknown {
  if (typeof e !== 'object' || e === null || serialized.has(e)) return e;
  return markSerialized(stdSerializers.err(e as Error));
}
function markSerialized<T extends object>(o: T): T {
  serialized.add(o);
  return o;
}

/** a `code` that is a system error code (ECONNREFUSED, ERR_…, UND_ERR_…) stays readable; anything else is censored */
const SYSTEM_ERROR_CODE = /^(E[A-Z0-9]{2,30}|(UND_)?ERR_[A-Z0-9_]{1,60})$/;
function censor(value: unknown, key: string): unknown {
  return key === 'code' && typeof value === 'string' && SYSTEM_ERROR_CODE.test(value) ? value : '[redacted]';
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
