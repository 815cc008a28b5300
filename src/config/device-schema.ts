import { z } from 'zod';

/** `device` (issue 4 item 4): the RFC 8628 device authorization grant; its own file to keep schema.ts short. */
export const device = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('Serve /device_authorization, the /device page and the device_code grant (only clients whose grant_types list urn:ietf:params:oauth:grant-type:device_code may use them)'),
    expires_in: z.coerce.number().int().min(10).max(3600).default(600).describe('Lifetime of a device_code and its user_code, seconds (RFC 8628 §3.2 expires_in)'),
    interval: z.coerce.number().int().min(1).max(60).default(5).describe('Seconds a device waits between polls (RFC 8628 §3.2 interval); a poll sooner gets slow_down and 5 s more (§3.5)'),
  })
  .strict()
  .refine((d) => d.interval < d.expires_in, { message: 'must be shorter than device.expires_in', path: ['interval'] })
  .prefault({})
  .describe('Device authorization grant (RFC 8628) for headless and CLI clients');
