/**
 * issue 9 (start-up): undici — about 1 MB of code — is loaded at the first outbound request, not at start.
 * The module namespace is normalised: under the CLI bundle (scripts/bundle-cli.mjs) a dynamic import of this
 * CommonJS package yields `{ default: module.exports }`, under plain Node its named exports.
 */
type Undici = typeof import('undici');

let loaded: Undici | undefined;
let loading: Promise<Undici> | undefined;

/** the loaded module, or undefined before the first loadUndici() has resolved */
export const undiciIfLoaded = (): Undici | undefined => loaded;

export function loadUndici(): Promise<Undici> {
  return (loading ??= import('undici').then((m) => (loaded = typeof m.Agent === 'function' ? m : (m as unknown as { default: Undici }).default)));
}
