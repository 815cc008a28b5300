import { OAuthError } from '../../core/errors.js';

const MAX_FORM_BYTES = 64 * 1024;

/** Reads an application/x-www-form-urlencoded body with a size cap (OAuth 2.1 §3.2 / RFC 6749 §3.2). */
export async function readFormBody(req: Request): Promise<string> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'content-type must be application/x-www-form-urlencoded');
  }
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_FORM_BYTES) throw new OAuthError('invalid_request', 'request body too large');
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_FORM_BYTES) {
      await reader.cancel();
      throw new OAuthError('invalid_request', 'request body too large');
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.includes('\uFFFD')) throw new OAuthError('invalid_request', 'request body is not valid UTF-8');
  return text;
}
