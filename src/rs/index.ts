/** `portcullis/resource-server`: the framework-neutral resource-server core (RFC 9728, RFC 6750, RFC 9068). */
export {
  protectedResourceMetadata,
  prmResponse,
  prmPreflightResponse,
  prmHandler,
  type ProtectedResourceMetadata,
} from './metadata.js';
export {
  formatBearerChallenge,
  formatScope,
  unauthorizedChallenge,
  invalidTokenChallenge,
  insufficientScopeChallenge,
  invalidRequestChallenge,
  rsErrorResponse,
  type RsChallenge,
} from './challenge.js';
export { extractBearer, type BearerExtraction, type BearerRejection } from './bearer.js';
export {
  createAccessTokenVerifier,
  TokenRejected,
  type AccessTokenClaims,
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  type TokenRejectionReason,
} from './verify.js';
// issue 11: the high-level core and its framework adapters
export {
  createResourceServer,
  type ResourceServer,
  type ResourceServerOptions,
  type RsDecisionEvent,
  type Identity,
  type SdkAuthInfo,
  type Verdict,
} from './protect.js';
export { portcullisExpress, type ExpressMiddleware, type ExpressRequest } from './adapters/express.js';
export { portcullisHono, type PortcullisVariables } from './adapters/hono.js';
export { registerPortcullisFastify, type FastifyLike } from './adapters/fastify.js';
export { nodeHttpGuard, type Passed } from './adapters/node.js';
export { ConfigError } from '../core/errors.js';
