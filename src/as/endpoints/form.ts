import { readCappedBody } from '../../core/body.js';
import { OAuthError } from '../../core/errors.js';

const MAX_FORM_BYTES = 64 * 1024;

/** Reads an application/x-www-form-urlencoded body with a size cap (OAuth 2.1 §3.2 / RFC 6749 §3.2). */
export async function readFormBody(req: Request): Promise<string> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'content-type must be application/x-www-form-urlencoded');
  }
  const bytes = await readCappedBody(req, MAX_FORM_BYTES);
  if (bytes === 'too_large') throw new OAuthError('invalid_request', 'request body too large');
  const text = Buffer.from(bytes).toString('utf8');
  if (text.includes('\uFFFD')) throw new OAuthError('invalid_request', 'request body is not valid UTF-8');
  return text;
}
