import type { z } from 'zod';
import { readCappedBody } from '../../core/body.js';
import { safeDescription } from '../../core/errors.js';

/** Admin API bodies are small JSON objects (issue 3 item 7: ≤ 64 KB). */
export const MAX_BODY = 64 * 1024;

const NO_STORE = { 'cache-control': 'no-store', 'content-type': 'application/json' } as const;

/**
 * An admin API refusal: `{ error, error_description }` with its status. Every bad input becomes one of these;
 * only a fault of ours is a 500 (written by the router, generic).
 */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${description}`);
    this.name = 'AdminError';
  }
}

export const badRequest = (description: string): AdminError => new AdminError(400, 'invalid_request', description);
export const notFound = (description: string): AdminError => new AdminError(404, 'not_found', description);

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: NO_STORE });
}

export function errorResponse(e: AdminError): Response {
  return new Response(JSON.stringify({ error: e.code, error_description: safeDescription(e.description) }), { status: e.status, headers: { ...NO_STORE, ...e.headers } });
}

/** zod issues, shortened to one line for error_description */
function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

/** A JSON body: application/json, ≤ MAX_BODY, parsed and validated by `schema` (strict objects: unknown fields refused). */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new AdminError(415, 'invalid_request', 'the body must be application/json');
  const bytes = await readCappedBody(req, MAX_BODY);
  if (bytes === 'too_large') throw new AdminError(413, 'invalid_request', `the body exceeds ${MAX_BODY} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw badRequest('the body is not valid UTF-8 JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(describe(parsed.error));
  return parsed.data;
}

/** Query parameters: each at most once, only the known ones, validated by `schema`. */
export function readQuery<S extends z.ZodType>(url: URL, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (Object.hasOwn(raw, k)) throw badRequest(`${k} must not be repeated`);
    raw[k] = v;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw badRequest(describe(parsed.error));
  return parsed.data;
}

/** unsafe methods need a body-less request to send nothing; refuse a body where none is expected */
export async function noBody(req: Request): Promise<void> {
  const bytes = await readCappedBody(req, MAX_BODY);
  if (bytes === 'too_large' || bytes.byteLength > 0) throw badRequest('this request takes no body');
}
