-- The reference backend's schema: workspaces, their API keys, their IdPs and the recorded
-- outcomes of idempotent writes.
-- Secrets are stored only sealed (AES-256-GCM, nonce || ciphertext) with their fingerprint.

CREATE TABLE workspace (
    id               TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 63),
    -- Salts the public secret fingerprints and the idempotency request hashes.
    fingerprint_salt BLOB NOT NULL CHECK (length(fingerprint_salt) = 16),
    -- The last revision handed out; IdP versions are unique within a workspace.
    last_revision    INTEGER NOT NULL DEFAULT 0 CHECK (last_revision >= 0),
    created_at       TEXT NOT NULL
) STRICT;

-- Keys are stored as their SHA-256 only.
CREATE TABLE api_key (
    key_hash     TEXT PRIMARY KEY NOT NULL CHECK (length(key_hash) = 64),
    workspace_id TEXT NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE idp (
    workspace_id       TEXT NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    id                 TEXT NOT NULL CHECK (length(id) = 36),
    revision           INTEGER NOT NULL CHECK (revision > 0),
    -- The validated IdpFields as JSON: the backend never queries by field.
    document           TEXT NOT NULL CHECK (json_valid(document) AND length(document) <= 262144),
    secret_sealed      BLOB,
    secret_fingerprint TEXT CHECK (secret_fingerprint IS NULL OR length(secret_fingerprint) = 16),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    CHECK ((secret_sealed IS NULL) = (secret_fingerprint IS NULL))
) STRICT;

-- The recorded response of each processed write, replayed for a retry with the same key.
CREATE TABLE idempotency_record (
    workspace_id   TEXT NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    idem_key       TEXT NOT NULL CHECK (length(idem_key) BETWEEN 1 AND 255),
    request_hash   TEXT NOT NULL CHECK (length(request_hash) = 64),
    status         INTEGER NOT NULL CHECK (status BETWEEN 200 AND 599),
    headers        TEXT NOT NULL CHECK (json_valid(headers)),
    body           BLOB NOT NULL,
    created_unix   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, idem_key)
) STRICT;

CREATE INDEX idempotency_record_by_age ON idempotency_record (created_unix);
