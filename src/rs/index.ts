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
