export { clientHosts, hostMatches, urlHost } from './hosts.js';
export { decideTrust, hostVerdict, refuseBeforeFetch, reviewVerdict, trustPolicy, trustSettings, TrustPolicy, type TrustVerdict } from './policy.js';
