import { LOCK, lockSql, transaction, type Pool } from './db.js';

/**
 * PostgreSQL schema, as an append-only list of migrations: MIGRATIONS[n - 1] brings the database to version n,
 * version for version the same tables as the SQLite store (src/store/sqlite/schema.ts), so one number means one
 * schema on both. Never edit a shipped migration; add the next one.
 * Times are epoch milliseconds (BIGINT) as on SQLite. Arrays of protocol tokens (roles, scope) are JSONB;
 * documents whose exact text matters (client-supplied metadata, JWKs, the audit `data` under its MAC) are `json`,
 * which is validated but kept as written. Text that is sorted on is COLLATE "C" (byte order, as SQLite's BINARY).
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: initial schema */ `
  CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    username      TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles         JSONB NOT NULL CHECK (jsonb_typeof(roles) = 'array'),
    disabled      BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
  );

  CREATE TABLE interactions (
    id         TEXT PRIMARY KEY,
    params     JSON NOT NULL,
    csrf       TEXT NOT NULL,
    user_id    TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX interactions_expires_at ON interactions (expires_at);

  CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX sessions_expires_at ON sessions (expires_at);

  CREATE TABLE consents (
    user_id        TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    resource       TEXT NOT NULL,
    scope          JSONB NOT NULL CHECK (jsonb_typeof(scope) = 'array'),
    client_version TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id, resource)
  );

  CREATE TABLE grants (
    id             TEXT COLLATE "C" PRIMARY KEY,
    user_id        TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    resource       TEXT NOT NULL,
    scope          JSONB NOT NULL CHECK (jsonb_typeof(scope) = 'array'),
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT
  );
  CREATE INDEX grants_revoked_at ON grants (revoked_at) WHERE revoked_at IS NOT NULL;
  CREATE INDEX grants_user_id ON grants (user_id);
  CREATE INDEX grants_client_id ON grants (client_id);

  CREATE TABLE authorization_codes (
    code_hash             TEXT PRIMARY KEY,
    grant_id              TEXT COLLATE "C" NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    client_id             TEXT NOT NULL,
    user_id               TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL CHECK (code_challenge_method = 'S256'),
    scope                 JSONB NOT NULL CHECK (jsonb_typeof(scope) = 'array'),
    resource              TEXT NOT NULL,
    nonce                 TEXT,
    auth_time             BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL,
    consumed_at           BIGINT
  );
  CREATE INDEX authorization_codes_grant_id ON authorization_codes (grant_id);
  CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

  CREATE TABLE refresh_tokens (
    token_hash          TEXT PRIMARY KEY,
    grant_id            TEXT COLLATE "C" NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    client_id           TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    scope               JSONB NOT NULL CHECK (jsonb_typeof(scope) = 'array'),
    resource            TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    absolute_expires_at BIGINT NOT NULL,
    rotated_at          BIGINT,
    grace_response      TEXT
  );
  CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
  CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
  CREATE INDEX refresh_tokens_absolute_expires_at ON refresh_tokens (absolute_expires_at);
  CREATE INDEX refresh_tokens_grace ON refresh_tokens (rotated_at) WHERE grace_response IS NOT NULL;

  CREATE TABLE used_jtis (
    issuer     TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
  );
  CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

  CREATE TABLE signing_keys (
    kid             TEXT COLLATE "C" PRIMARY KEY,
    alg             TEXT NOT NULL,
    public_jwk      JSON NOT NULL,
    private_jwk_enc TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    activates_at    BIGINT NOT NULL,
    retired_at      BIGINT
  );
  `,
  /* 2: audit log (ARCHITECTURE "Audit"); the triggers keep application code append-only (the HMAC chain and the
     external checkpoints, not these triggers, are what detect someone with raw write access) */ `
  CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    time      BIGINT NOT NULL,
    type      TEXT COLLATE "C" NOT NULL,
    user_id   TEXT,
    client_id TEXT,
    subject   TEXT,
    data      JSON NOT NULL,
    prev_mac  TEXT NOT NULL,
    mac       TEXT NOT NULL
  );
  CREATE INDEX audit_log_time ON audit_log (time);
  CREATE INDEX audit_log_type ON audit_log (type, seq);
  CREATE INDEX audit_log_user ON audit_log (user_id, seq) WHERE user_id IS NOT NULL;
  CREATE INDEX audit_log_client ON audit_log (client_id, seq) WHERE client_id IS NOT NULL;
  CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
  CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

  CREATE TABLE audit_checkpoints (
    seq       BIGINT PRIMARY KEY,
    mac       TEXT NOT NULL,
    time      BIGINT NOT NULL,
    signature TEXT NOT NULL
  );
  `,
  /* 3: client trust decisions (issue 3 "trust policies") and RFC 7591 registered clients */ `
  CREATE TABLE client_trust (
    client_id       TEXT COLLATE "C" PRIMARY KEY,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    document        JSON NOT NULL,
    version         TEXT NOT NULL,
    first_seen_at   BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    decided_by      TEXT,
    decided_at      BIGINT,
    decided_version TEXT
  );
  CREATE INDEX client_trust_status ON client_trust (status, first_seen_at);

  CREATE TABLE registered_clients (
    client_id           TEXT COLLATE "C" PRIMARY KEY,
    client_secret_hash  TEXT,
    metadata            JSON NOT NULL,
    client_id_issued_at BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL
  );
  CREATE INDEX registered_clients_expires_at ON registered_clients (expires_at);
  `,
  /* 4: issue 4 — external identities (upstream OIDC login, ID-JAG subjects) and RFC 8628 device codes */ `
  CREATE TABLE user_identities (
    issuer       TEXT COLLATE "C" NOT NULL,
    subject      TEXT COLLATE "C" NOT NULL,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    email        TEXT,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
  );
  CREATE INDEX user_identities_user_id ON user_identities (user_id);

  CREATE TABLE device_codes (
    device_code_hash TEXT PRIMARY KEY,
    user_code        TEXT COLLATE "C" NOT NULL UNIQUE,
    client_id        TEXT COLLATE "C" NOT NULL,
    scope            JSONB NOT NULL CHECK (jsonb_typeof(scope) = 'array'),
    resource         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    user_id          TEXT,
    grant_id         TEXT,
    interval         INTEGER NOT NULL,
    last_polled_at   BIGINT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    consumed_at      BIGINT
  );
  CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
  `,
  /* 5: OIDC Core §2, §12.2 — when the user authenticated for a grant, so refreshes and token exchanges keep it;
     NULL for client_credentials and for grants written before this migration (read as created_at) */ `
  ALTER TABLE grants ADD COLUMN auth_time BIGINT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema to SCHEMA_VERSION in one transaction that holds an advisory lock (per schema), so instances
 * starting together apply each migration once: the others wait, then find nothing left to do. Returns the
 * versions before and after.
 */
export async function migrate(pool: Pool): Promise<{ from: number; to: number }> {
  return transaction(pool, async (c) => {
    await c.query(lockSql(LOCK.migrate));
    await c.query(`CREATE TABLE IF NOT EXISTS schema_version (
      version    INTEGER PRIMARY KEY,
      applied_at BIGINT NOT NULL
    )`);
    const from = Number((await c.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version')).rows[0]?.v ?? 0);
    if (from > SCHEMA_VERSION) {
      throw new Error(`store schema version ${from} is newer than this Portcullis supports (${SCHEMA_VERSION}); upgrade Portcullis`);
    }
    for (let version = from + 1; version <= SCHEMA_VERSION; version++) {
      await c.query(MIGRATIONS[version - 1] as string);
      await c.query(
        'INSERT INTO schema_version (version, applied_at) VALUES ($1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)',
        [version],
      );
    }
    return { from, to: Math.max(from, SCHEMA_VERSION) };
  });
}

/** the schema's current version (0 before the first migration) */
export async function schemaVersion(pool: Pool): Promise<number> {
  const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('schema_version') AS t");
  if (exists.rows[0]?.t == null) return 0;
  const r = await pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
  return Number(r.rows[0]?.v ?? 0);
}
