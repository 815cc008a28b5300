import { OAuthError } from '../core/errors.js';

/**
 * Reading OAuth parameters (RFC 6749 §3.1): parameters sent without a value are treated as omitted, and
 * request and response parameters MUST NOT be included more than once (→ invalid_request).
 */
export interface ParamRule {
  required?: boolean;
  /** maximum length in characters; oversized → invalid_request */
  max?: number;
  /** parameters that may legitimately repeat (e.g. `resource`, RFC 8707 §2) */
  multi?: boolean;
}

const DEFAULT_MAX = 2048;

export class Params {
  constructor(private readonly sp: URLSearchParams) {}

  static fromForm(body: string): Params {
    return new Params(new URLSearchParams(body));
  }

  has(name: string): boolean {
    return this.all(name).length > 0;
  }

  /** one value, or undefined when absent/empty; duplicate or oversized → invalid_request */
  one(name: string, rule: ParamRule = {}): string | undefined {
    const values = this.all(name);
    if (values.length > 1) throw new OAuthError('invalid_request', `${name} must not be repeated`);
    return this.check(name, values[0], rule);
  }

  /** one value that must be present */
  required(name: string, rule: ParamRule = {}): string {
    const v = this.one(name, { ...rule, required: true });
    return v as string;
  }

  /** every non-empty value of a parameter that may repeat */
  many(name: string, rule: ParamRule = {}): string[] {
    const values = this.all(name);
    for (const v of values) this.check(name, v, rule);
    if (rule.required && values.length === 0) throw new OAuthError('invalid_request', `${name} is required`);
    return values;
  }

  private all(name: string): string[] {
    return this.sp.getAll(name).filter((v) => v !== '');
  }

  private check(name: string, v: string | undefined, rule: ParamRule): string | undefined {
    if (v === undefined) {
      if (rule.required) throw new OAuthError('invalid_request', `${name} is required`);
      return undefined;
    }
    if (v.length > (rule.max ?? DEFAULT_MAX)) throw new OAuthError('invalid_request', `${name} is too long`);
    // RFC 6749 Appendix A: parameter values are VSCHAR / NQCHAR; control characters are never meaningful (and a
    // NUL would not even fit a PostgreSQL text column)
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    if (/[\x00-\x1f\x7f]/.test(v)) throw new OAuthError('invalid_request', `${name} contains control characters`);
    return v;
  }
}

/** RFC 6749 §3.3: scope is a space-delimited list of %x21 / %x23-5B / %x5D-7E tokens. */
export function parseScope(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(' ').filter((s) => s !== '');
  for (const p of parts) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(p)) throw new OAuthError('invalid_scope', 'scope contains invalid characters');
  }
  return [...new Set(parts)];
}
