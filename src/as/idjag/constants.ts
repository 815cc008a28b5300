/** RFC 7523 §2.1: the JWT bearer authorization grant; ID-JAGs arrive through it ([EMA] §5; [IDJAG] §4.4). */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** [IDJAG] §3.1: the media type in the JOSE `typ` header of every ID-JAG, compared exactly. */
export const IDJAG_TYP = 'oauth-id-jag+jwt';
/** [IDJAG] §7.2: the value of `authorization_grant_profiles_supported` that advertises ID-JAG acceptance. */
export const IDJAG_GRANT_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';
/** where linked ID-JAG subjects live in the store's user identities: one namespace per issuer (+ tenant) */
export const identityNamespace = (iss: string, tenant: string | undefined): string => (tenant === undefined ? `idjag:${iss}` : `idjag:${iss}#tenant=${tenant}`);
