/** Issue 4 item 3: sign-in through upstream OpenID Providers. */
export { createFederation, federationOf, pageUpstreamButtons, upstreamButtons, type Federation } from './federation.js';
export { startUpstreamLogin, startUpstreamPageLogin } from './start.js';
export { safeReturnTo, type Continuation } from './continuation.js';
export { upstreamCallback } from './callback.js';
