/** The OAuth client the checker acts as for active checks: given (--client-id) or, with --login, registered by DCR. */
export interface ClientConfig {
  /** a CIMD URL or a pre-registered client_id */
  id: string;
  secret?: string;
  /** defaults to http://127.0.0.1:<port>/callback (loopback: any port per RFC 8252 §7.3) */
  redirectUri: string;
}

export function defaultRedirectUri(port: number): string {
  return `http://127.0.0.1:${port}/callback`;
}
