/**
 * oidc-provider (a devDependency: the real OpenID Provider the federation tests and the bench start) ships no type
 * declarations. The members used through test/helpers/oidc-idp.ts are typed; anything else is left open (`any`),
 * as it would be without this file, so other users of the package are not constrained by it.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    [member: string]: any;
  }
}
