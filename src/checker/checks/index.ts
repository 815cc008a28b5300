/**
 * The registry: every check, in report order. Adding a check = one file in this folder + one line here.
 */
import type { Check } from '../types.js';
import challenge401 from './gw.auth.401-challenge.js';
import challengeScope from './rs.challenge.scope.js';
import noErrorWithoutCredentials from './rs.challenge.no-error-without-credentials.js';
import challengeSyntax from './rs.challenge.syntax.js';
import prmDiscoverable from './rs.prm.discoverable.js';
import prmPathInserted from './rs.prm.path-inserted.js';
import prmResourceExact from './rs.prm.resource-exact.js';
import prmRootResource from './rs.prm.root-resource.js';
import prmAuthorizationServers from './rs.prm.authorization-servers.js';
import prmNoOfflineAccess from './rs.prm.no-offline-access.js';
import prmBearerMethods from './rs.prm.bearer-methods.js';
import asMetadata from './as.metadata.js';
import asPathIssuer from './as.metadata.path-issuer.js';
import asIssuerExact from './as.metadata.issuer-exact.js';
import asPkceS256 from './as.metadata.pkce-s256.js';
import asCimd from './as.metadata.cimd.js';
import asIssSupported from './as.metadata.iss-supported.js';
import asEma from './as.metadata.ema.js';
import dcrOpen from './as.dcr.open.js';
import originValidate from './gw.origin.validate.js';
import corsExpose from './gw.cors.expose-challenge.js';
import corsPreflight from './gw.cors.preflight.js';
import prmCors from './rs.prm.cors.js';
import asMetadataCors from './as.metadata.cors.js';
import invalidToken from './gw.auth.invalid-token.js';
import headerOnly from './rs.bearer.header-only.js';
import pkceRequired from './as.authorize.pkce-s256-required.js';
import redirectExact from './as.authorize.redirect-exact.js';
import authorizeResource from './as.authorize.resource.js';
import authorizeIss from './as.authorize.iss.js';
import authorizeIssExact from './as.authorize.iss-exact.js';
import authorizeState from './as.authorize.state.js';
import issCallback from './as.authorize.iss-callback.js';
import tokenResponse from './as.token.response.js';
import tokenNoStore from './as.token.no-store.js';
import jwtProfile from './as.token.jwt-profile.js';
import jwtAud from './as.token.jwt-aud.js';
import tokenLifetime from './as.token.lifetime.js';
import tokenAccepted from './rs.token.accepted.js';
import insufficientScope from './gw.policy.insufficient-scope.js';
import stepUpRetry from './gw.policy.step-up-retry.js';
import resourceBound from './as.token.resource-bound.js';
import audExact from './rs.token.aud-exact.js';
import refreshRotation from './as.token.refresh-rotation.js';
import refreshReuse from './as.token.refresh-reuse.js';
import revocationGateway from './as.revocation.gateway.js';
import codeSingleUse from './as.token.code-single-use.js';

export const CHECKS: readonly Check[] = [
  challenge401, challengeScope, noErrorWithoutCredentials, challengeSyntax,
  prmDiscoverable, prmPathInserted, prmResourceExact, prmRootResource, prmAuthorizationServers, prmNoOfflineAccess, prmBearerMethods,
  asMetadata, asPathIssuer, asIssuerExact, asPkceS256, asCimd, asIssSupported, asEma, dcrOpen,
  originValidate, corsExpose, corsPreflight, prmCors, asMetadataCors, invalidToken, headerOnly,
  pkceRequired, redirectExact, authorizeResource, authorizeIss, authorizeIssExact,
  // --login: a real authorization-code flow
  authorizeState, issCallback, tokenResponse, tokenNoStore, jwtProfile, jwtAud, tokenLifetime, tokenAccepted, insufficientScope, stepUpRetry,
  resourceBound, audExact, refreshRotation, refreshReuse, revocationGateway, codeSingleUse,
];
