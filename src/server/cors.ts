import type { Settings } from '../config/resolve.js';

/** Is this browser Origin allowed (ARCHITECTURE.md "Browser clients")? Loopback origins only in dev. */
export function originAllowed(origin: string, settings: Settings): boolean {
  if (settings.config.cors.allowed_origins.includes(origin)) return true;
  if (origin === new URL(settings.issuer).origin) return true;
  if (settings.dev) return /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin);
  return false;
}

/** CORS headers for AS endpoints (metadata, JWKS, token): allowed origins get read access. */
export function applyAsCors(req: Request, settings: Settings, res: Response): Response {
  const origin = req.headers.get('origin');
  if (origin && originAllowed(origin, settings)) {
    res.headers.set('access-control-allow-origin', origin);
    res.headers.append('vary', 'Origin');
  }
  return res;
}

export function asPreflight(req: Request, settings: Settings): Response {
  const origin = req.headers.get('origin');
  const headers = new Headers({ vary: 'Origin' });
  if (origin && originAllowed(origin, settings)) {
    headers.set('access-control-allow-origin', origin);
    headers.set('access-control-allow-methods', 'POST, OPTIONS');
    headers.set('access-control-allow-headers', 'Authorization, Content-Type');
    headers.set('access-control-max-age', '600');
  }
  return new Response(null, { status: 204, headers });
}
