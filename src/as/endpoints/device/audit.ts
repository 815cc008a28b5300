/**
 * The device flow's audit events (ARCHITECTURE "Audit"), added by declaration merging as src/audit/types.ts
 * describes. Never the device_code or user_code themselves: the grant id, the client and the user name the event.
 */
declare module '../../../audit/types.js' {
  interface AuditEvents {
    /** RFC 8628 §3.3: the user approved a device at /device; the grant its tokens will be issued under */
    'device.authorized': { grant_id: string; resource: string; scope: string[] };
    /** the user denied a device at /device (the device's next poll gets access_denied) */
    'device.denied': { resource: string; scope: string[] };
    /** RFC 8628 §5.1: a user code refused at /device (unknown, expired or used: `invalid`; too many wrong ones: `throttled`) */
    'device.user_code_rejected': { reason: 'invalid' | 'throttled' };
  }
}

export {};
