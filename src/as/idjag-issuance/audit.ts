/**
 * The audit events of ID-JAG issuance (ARCHITECTURE "Audit": every issuance and refusal, synchronously), added by
 * declaration merging (src/audit/types.ts). They name the ID-JAG by its jti, never the token or subject token.
 */
declare module '../../audit/types.js' {
  interface AuditEvents {
    'idjag.issued': {
      jti: string;
      audience: string;
      resource: string;
      scope: string[];
      client_id_at_target: string;
      subject_token_type: string;
      grant_id: string;
      expires_at: number;
    };
    'idjag.issue_refused': {
      error: string;
      reason: string;
      audience?: string | null;
      resource?: string | null;
      subject_token_type?: string | null;
    };
  }
}

export {};
