-- Sync with the messaging backend (docs/sync-api.yaml).
-- Secrets are never stored here: a secret edit is only the flag `secret_changed`, and the
-- value is read from the OS keyring when the change is pushed.

-- The outbox: one row per local edit still to push, oldest first (seq).
-- `request` is NULL until the push freezes the exact request it sends under
-- `idempotency_key` (method, precondition, body without the secret, what to do with the
-- secret); from then on the row is never coalesced with later edits and is resent unchanged.
-- No foreign key: a delete must outlive its IdP row.
CREATE TABLE sync_change (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    idp_id          TEXT NOT NULL CHECK (length(idp_id) = 36),
    kind            TEXT NOT NULL CHECK (kind IN ('create', 'update', 'delete', 'enable', 'disable')),
    secret_changed  INTEGER NOT NULL DEFAULT 0 CHECK (secret_changed IN (0, 1)),
    created_at      TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) = 36),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT CHECK (last_error IS NULL OR length(last_error) <= 4000),
    next_attempt_at TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed', 'conflict')),
    request         TEXT CHECK (request IS NULL OR (json_valid(request) AND length(request) <= 262144))
) STRICT;

CREATE INDEX sync_change_by_idp ON sync_change (idp_id, seq);

-- Per IdP, the state the backend last acknowledged: its fields (JSON, wire form), its version
-- and the secret's fingerprint (never the secret).
CREATE TABLE sync_base (
    idp_id             TEXT PRIMARY KEY NOT NULL CHECK (length(idp_id) = 36),
    fields             TEXT NOT NULL CHECK (json_valid(fields) AND length(fields) <= 262144),
    version            TEXT NOT NULL CHECK (length(version) BETWEEN 1 AND 255),
    secret_set         INTEGER NOT NULL CHECK (secret_set IN (0, 1)),
    secret_fingerprint TEXT CHECK (secret_fingerprint IS NULL OR length(secret_fingerprint) = 16),
    synced_at          TEXT NOT NULL
) STRICT;

-- Where to sync: one row at most. The API key is in the OS keyring.
CREATE TABLE sync_settings (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    backend_url  TEXT NOT NULL CHECK (length(backend_url) BETWEEN 1 AND 2048),
    workspace_id TEXT NOT NULL CHECK (length(workspace_id) BETWEEN 1 AND 63)
) STRICT;
