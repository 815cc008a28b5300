/**
 * Makes each HTTP request once, with a timeout and no redirects followed, and records the pair under a key so
 * that checks (pure) and the report's sequence diagram see exactly what went over the wire.
 */
import type { Exchange, Observations } from '../types.js';

export interface RecorderOptions {
  target: string;
  timeoutMs: number;
  /** progress lines (the CLI writes them to stderr) */
  progress?: (line: string) => void;
  /** injectable for tests */
  fetch?: typeof fetch;
}

const MAX_BODY = 256 * 1024;

export class Recorder {
  readonly obs: Observations;
  readonly timeline: Exchange[] = [];
  private readonly fetchImpl: typeof fetch;
  private readonly secrets = new Map<string, string>();

  constructor(private readonly opts: RecorderOptions) {
    this.obs = { target: opts.target, exchanges: {}, notes: {}, facts: {} };
    this.fetchImpl = opts.fetch ?? fetch;
  }

  progress(line: string): void {
    this.opts.progress?.(line);
  }

  note(key: string, reason: string): void {
    this.obs.notes[key] ??= reason;
  }

  fact(name: string, value: string): void {
    this.obs.facts[name] = value;
  }

  /** Records an exchange observed rather than made (e.g. the authorization response the user agent delivered). */
  record(x: Exchange): Exchange {
    (this.obs.exchanges[x.key] ??= []).push(x);
    this.timeline.push(x);
    this.progress(`  ${x.key.padEnd(28)} ${x.request.method} ${x.request.url.replace(/\?.*/, '?…')} (from the ${x.peer})`);
    return x;
  }

  /** Registers a credential (token, secret) to be replaced by `label` in the report once the checks have run. */
  secret(value: string | undefined, label: string): void {
    if (value && value.length >= 8 && !this.secrets.has(value)) this.secrets.set(value, `[${label}]`);
  }

  /** Replaces every registered credential in the recorded exchanges (call after the checks have judged them). */
  redact(): void {
    if (this.secrets.size === 0) return;
    const scrub = (s: string): string => {
      let out = s;
      for (const [v, label] of this.secrets) out = out.split(v).join(label);
      return out;
    };
    const scrubAll = (h: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, scrub(v)]));
    for (const x of this.timeline) {
      x.request = { ...x.request, url: scrub(x.request.url), headers: scrubAll(x.request.headers), ...(x.request.body !== undefined ? { body: scrub(x.request.body) } : {}) };
      if (x.response) x.response = { ...x.response, headers: scrubAll(x.response.headers), body: scrub(x.response.body) };
    }
  }

  /** Performs one request and records it under `key`. Never throws: network failures are recorded as `error`. */
  async send(key: string, peer: Exchange['peer'], url: string, init: RequestInit = {}): Promise<Exchange> {
    const method = init.method ?? 'GET';
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : undefined;
    const x: Exchange = { key, peer, request: { method, url, headers, ...(body !== undefined ? { body } : {}) }, ms: 0 };
    const started = Date.now();
    try {
      const res = await this.fetchImpl(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.opts.timeoutMs) });
      const text = await res.text();
      x.response = {
        status: res.status,
        headers: Object.fromEntries([...res.headers.entries()].map(([k, v]) => [k.toLowerCase(), v])),
        body: text.length > MAX_BODY ? text.slice(0, MAX_BODY) : text,
      };
      const sc = res.headers.getSetCookie();
      if (sc.length) x.response.headers['set-cookie'] = sc.join('\n');
    } catch (e) {
      x.error = e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e);
    }
    x.ms = Date.now() - started;
    (this.obs.exchanges[key] ??= []).push(x);
    this.timeline.push(x);
    this.progress(`  ${key.padEnd(28)} ${method} ${url} → ${x.response?.status ?? x.error}`);
    return x;
  }

  /**
   * A fetch for oauth4webapi's `customFetch`: each call is recorded under `key` and answered from the recording,
   * so the library's processXxxResponse functions see the same bytes the checks judge.
   */
  fetchFor(key: string, peer: Exchange['peer']): typeof fetch {
    return async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const x = await this.send(key, peer, url, init ?? {});
      if (!x.response) throw new Error(x.error ?? 'no response');
      return new Response(x.response.status === 204 || x.response.status === 304 ? null : x.response.body, {
        status: x.response.status,
        headers: Object.entries(x.response.headers).filter(([k]) => k !== 'set-cookie'),
      });
    };
  }
}
