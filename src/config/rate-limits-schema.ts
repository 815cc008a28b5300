import { z } from 'zod';

/** one rate-limit bucket: at most `limit` requests per `window_s` seconds (issue 6 item 4) */
const bucket = (limit: number, window_s: number, what: string) =>
  z
    .object({
      limit: z.coerce.number().int().min(1).default(limit).describe(`${what}: requests allowed per window`),
      window_s: z.coerce.number().int().min(1).max(86400).default(window_s).describe('Window length, seconds (fixed windows)'),
    })
    .strict()
    .prefault({})
    .describe(what);

/** `rate_limits` (issue 6 item 4): its own file to keep schema.ts short; part of the one schema. */
export const rateLimits = z
  .object({
    enabled: z.boolean().default(true).describe('Answer 429 with Retry-After past these limits'),
    backend: z.enum(['memory', 'redis']).default('memory').describe('memory: per instance; redis: one bucket shared by every instance (needs redis_url). On a Redis error each instance enforces the limits alone (logged)'),
    redis_url: z.string().optional().describe('redis://[:password@]host:port[/db] (or rediss://); a URL with a password belongs in the env, not the file'),
    trusted_proxies: z
      .array(z.string())
      .default([])
      .describe('Reverse proxies (CIDRs or addresses) whose X-Forwarded-For is believed: the client is the right-most address not in this list. Empty: the TCP peer, always'),
    authorize: z.object({ per_ip: bucket(120, 60, '/authorize per client IP') }).strict().prefault({}).describe('Authorization endpoint (answers a 429 page)'),
    token: z
      .object({
        per_ip: bucket(300, 60, '/token per client IP'),
        per_client: bucket(600, 60, '/token per authenticated (confidential) client; a public client_id proves nothing and is limited per IP only'),
      })
      .strict()
      .prefault({})
      .describe('Token endpoint (answers 429 temporarily_unavailable)'),
    register: z.object({ per_ip: bucket(10, 3600, '/register per client IP') }).strict().prefault({}).describe('Registration endpoint, when registration.enabled'),
    login: z
      .object({
        per_ip: bucket(30, 60, 'Sign-in form posts per client IP'),
        per_user: bucket(10, 900, 'Failed sign-ins per username (then even the right password waits)'),
      })
      .strict()
      .prefault({})
      .describe('Sign-in forms (authorization and Connected apps; answers a 429 page)'),
    upstream_login: z
      .object({ per_ip: bucket(60, 60, '"Sign in with <IdP>" starts and IdP callbacks per client IP (one sign-in is two requests)') })
      .strict()
      .prefault({})
      .describe('Sign-in through an upstream IdP (login.upstream_idps): the start links and the callback (answers a 429 page)'),
    device: z
      .object({
        per_ip: bucket(60, 60, '/device_authorization per client IP'),
        user_code: bucket(10, 900, 'Wrong user codes entered at /device, per client IP and per browser (then even a right code waits; RFC 8628 §5.1)'),
      })
      .strict()
      .prefault({})
      .describe('Device authorization (RFC 8628): the device endpoint answers 429 temporarily_unavailable, the /device page a 429 page'),
  })
  .strict()
  .prefault({})
  .describe('Rate limits on authorize, token, register and login (issue 6); IPv6 clients are bucketed by /64');
