import type { Database } from 'better-sqlite3';

/**
 * SQLite schema, as an append-only list of migrations: MIGRATIONS[n - 1] brings the database to version n.
 * Never edit a shipped migration; add the next one. Times are epoch milliseconds (INTEGER), string arrays and
 * the authorization request snapshot are JSON text. STRICT tables make SQLite enforce the column types.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: initial schema */ `
  CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL CHECK (json_valid(roles)),
    disabled      INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE interactions (
    id         TEXT PRIMARY KEY,
    params     TEXT NOT NULL CHECK (json_valid(params)),
    csrf       TEXT NOT NULL,
    user_id    TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX interactions_expires_at ON interactions (expires_at);

  CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX sessions_expires_at ON sessions (expires_at);

  CREATE TABLE consents (
    user_id        TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    resource       TEXT NOT NULL,
    scope          TEXT NOT NULL CHECK (json_valid(scope)),
    client_version TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id, resource)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE grants (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    resource       TEXT NOT NULL,
    scope          TEXT NOT NULL CHECK (json_valid(scope)),
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoked_reason TEXT
  ) STRICT;
  CREATE INDEX grants_revoked_at ON grants (revoked_at) WHERE revoked_at IS NOT NULL;

  CREATE TABLE authorization_codes (
    code_hash             TEXT PRIMARY KEY,
    grant_id              TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    client_id             TEXT NOT NULL,
    user_id               TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL CHECK (code_challenge_method = 'S256'),
    scope                 TEXT NOT NULL CHECK (json_valid(scope)),
    resource              TEXT NOT NULL,
    nonce                 TEXT,
    auth_time             INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    consumed_at           INTEGER
  ) STRICT;
  CREATE INDEX authorization_codes_grant_id ON authorization_codes (grant_id);
  CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

  CREATE TABLE refresh_tokens (
    token_hash          TEXT PRIMARY KEY,
    grant_id            TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    client_id           TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    scope               TEXT NOT NULL CHECK (json_valid(scope)),
    resource            TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL,
    rotated_at          INTEGER,
    grace_response      TEXT
  ) STRICT;
  CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
  CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
  CREATE INDEX refresh_tokens_absolute_expires_at ON refresh_tokens (absolute_expires_at);
  CREATE INDEX refresh_tokens_grace ON refresh_tokens (rotated_at) WHERE grace_response IS NOT NULL;

  CREATE TABLE used_jtis (
    issuer     TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, jti)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

  CREATE TABLE signing_keys (
    kid             TEXT PRIMARY KEY,
    alg             TEXT NOT NULL,
    public_jwk      TEXT NOT NULL CHECK (json_valid(public_jwk)),
    private_jwk_enc TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    activates_at    INTEGER NOT NULL,
    retired_at      INTEGER
  ) STRICT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Connection settings; run on every connection before anything else. */
export function configure(db: Database): void {
  db.pragma('journal_mode = WAL'); // readers never block the writer; ':memory:' stays 'memory'
  db.pragma('busy_timeout = 5000'); // other instances' write transactions are waited for, not failed
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL'); // durable at checkpoints; safe against corruption in WAL mode
}

/** Brings the database to SCHEMA_VERSION; idempotent, and safe when several processes start at once. */
export function migrate(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const current = db.prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
  const record = db.prepare<[number]>(
    "INSERT INTO schema_version (version, applied_at) VALUES (?, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
  );
  db.transaction(() => {
    const from = current.get()?.v ?? 0;
    if (from > SCHEMA_VERSION) {
      throw new Error(`store schema version ${from} is newer than this Portcullis supports (${SCHEMA_VERSION}); upgrade Portcullis`);
    }
    for (let version = from + 1; version <= SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version - 1] as string);
      record.run(version);
    }
  }).immediate();
}
