/** Issue 4 item 3: sign-in through upstream OpenID Providers. */
export { createFederation, federationOf, upstreamButtons, type Federation } from './federation.js';
export { startUpstreamLogin } from './start.js';
export { upstreamCallback } from './callback.js';
