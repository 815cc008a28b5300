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
  /* 2: audit log (ARCHITECTURE "Audit"); the triggers keep application code append-only (the HMAC chain and the
     external checkpoints, not these triggers, are what detect someone with raw write access) */ `
  CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    time      INTEGER NOT NULL,
    type      TEXT NOT NULL,
    user_id   TEXT,
    client_id TEXT,
    subject   TEXT,
    data      TEXT NOT NULL CHECK (json_valid(data)),
    prev_mac  TEXT NOT NULL,
    mac       TEXT NOT NULL
  ) STRICT;
  CREATE INDEX audit_log_time ON audit_log (time);
  CREATE INDEX audit_log_type ON audit_log (type, seq);
  CREATE INDEX audit_log_user ON audit_log (user_id, seq) WHERE user_id IS NOT NULL;
  CREATE INDEX audit_log_client ON audit_log (client_id, seq) WHERE client_id IS NOT NULL;
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

  CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    mac       TEXT NOT NULL,
    time      INTEGER NOT NULL,
    signature TEXT NOT NULL
  ) STRICT;
  `,
  /* 3: client trust decisions (issue 3 "trust policies") and RFC 7591 registered clients */ `
  CREATE TABLE client_trust (
    client_id       TEXT PRIMARY KEY,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    document        TEXT NOT NULL CHECK (json_valid(document)),
    version         TEXT NOT NULL,
    first_seen_at   INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    decided_by      TEXT,
    decided_at      INTEGER,
    decided_version TEXT
  ) STRICT;
  CREATE INDEX client_trust_status ON client_trust (status, first_seen_at);

  CREATE TABLE registered_clients (
    client_id           TEXT PRIMARY KEY,
    client_secret_hash  TEXT,
    metadata            TEXT NOT NULL CHECK (json_valid(metadata)),
    client_id_issued_at INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX registered_clients_expires_at ON registered_clients (expires_at);
  `,
  /* 4: issue 4 — external identities (upstream OIDC login, ID-JAG subjects) and RFC 8628 device codes */ `
  CREATE TABLE user_identities (
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    email        TEXT,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX user_identities_user_id ON user_identities (user_id);

  CREATE TABLE device_codes (
    device_code_hash TEXT PRIMARY KEY,
    user_code        TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL,
    scope            TEXT NOT NULL CHECK (json_valid(scope)),
    resource         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    user_id          TEXT,
    grant_id         TEXT,
    interval         INTEGER NOT NULL,
    last_polled_at   INTEGER,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    consumed_at      INTEGER
  ) STRICT;
  CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
  `,
  /* 5: OIDC Core §2, §12.2 — when the user authenticated for a grant, so refreshes and token exchanges keep it;
     NULL for client_credentials and for grants written before this migration (read as created_at) */ `
  ALTER TABLE grants ADD COLUMN auth_time INTEGER;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Connection settings; run on every connection before anything else. */
export function configure(db: Database): void {
  db.pragma('journal_mode = WAL'); // readers never block the writer; ':memory:' stays 'memory'
  db.pragma('busy_timeout = 5000'); // other instances' write transactions are waited for, not failed
  db.pragma('foreign_keys = ON');
  // Durable at checkpoints; safe against corruption in WAL mode. Issue 6 item 6: a commit has been written to the WAL
  // (the OS page cache) before the response leaves, so a process crash (SIGKILL) loses no grant, code or refresh
  // rotation (test/multi-instance/crash.test.ts); only a power loss may drop the last commits. FULL would fsync every
  // token write (~3.5 ms, blocking the event loop, measured here); audit appends opt into it (audit.ts). Because every
  // grant, code and refresh write is followed by its audit record (consent.granted, token.issued/refreshed…) before
  // the response leaves, that FULL commit fsyncs the WAL with the grant's frames in it: what a client was told is
  // durable even across a power loss.
  db.pragma('synchronous = NORMAL');
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
