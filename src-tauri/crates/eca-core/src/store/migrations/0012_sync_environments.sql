-- Sync environments ("sandbox", "production", ...): several named backends, each with its own
-- URL, workspace, API key (OS keyring, named after the URL's origin and the workspace) and sync
-- state. Sync works on the *current* one; an IdP is promoted from one to the next along
-- `position`.

CREATE TABLE sync_env (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 32),
    backend_url  TEXT NOT NULL CHECK (length(backend_url) BETWEEN 1 AND 2048),
    workspace_id TEXT NOT NULL CHECK (length(workspace_id) BETWEEN 1 AND 63),
    position     INTEGER NOT NULL UNIQUE CHECK (position >= 1),
    is_current   INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1))
) STRICT;

-- At most one current environment.
CREATE UNIQUE INDEX sync_env_current ON sync_env (is_current) WHERE is_current = 1;

-- The one settings row becomes the first environment, current.
INSERT INTO sync_env (id, name, backend_url, workspace_id, position, is_current)
    SELECT 1, 'default', backend_url, workspace_id, 1, 1 FROM sync_settings WHERE id = 1;
DROP TABLE sync_settings;

-- The outbox, per environment. `env` is NULL only while no environment exists (sync not set up
-- yet): the first environment added takes those rows. Dropping the old table fires no trigger
-- (SQLite's implicit delete of a DROP TABLE runs none), so no secret copy is discarded here.
CREATE TABLE sync_change_by_env (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    env             INTEGER REFERENCES sync_env (id) ON DELETE CASCADE,
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

INSERT INTO sync_change_by_env (seq, env, idp_id, kind, secret_changed, created_at,
        idempotency_key, attempts, last_error, next_attempt_at, state, request)
    SELECT seq, (SELECT id FROM sync_env WHERE is_current = 1), idp_id, kind, secret_changed,
        created_at, idempotency_key, attempts, last_error, next_attempt_at, state, request
    FROM sync_change;
DROP TABLE sync_change;
ALTER TABLE sync_change_by_env RENAME TO sync_change;
CREATE INDEX sync_change_by_idp ON sync_change (env, idp_id, seq);

-- 0008's triggers, on the new table (they went with the old one).
CREATE TRIGGER sync_change_settled AFTER DELETE ON sync_change
WHEN OLD.request IS NULL OR json_extract(OLD.request, '$.secret') = 'set'
BEGIN
    INSERT OR IGNORE INTO sync_secret_discard (idempotency_key) VALUES (OLD.idempotency_key);
END;

CREATE TRIGGER sync_change_rekeyed AFTER UPDATE OF idempotency_key ON sync_change
WHEN OLD.idempotency_key <> NEW.idempotency_key
    AND (OLD.request IS NULL OR json_extract(OLD.request, '$.secret') = 'set')
BEGIN
    INSERT OR IGNORE INTO sync_secret_discard (idempotency_key) VALUES (OLD.idempotency_key);
END;

-- The base, per environment: a base exists only after a backend acknowledged something, so
-- only for an environment.
CREATE TABLE sync_base_by_env (
    env                INTEGER NOT NULL REFERENCES sync_env (id) ON DELETE CASCADE,
    idp_id             TEXT NOT NULL CHECK (length(idp_id) = 36),
    fields             TEXT NOT NULL CHECK (json_valid(fields) AND length(fields) <= 262144),
    version            TEXT NOT NULL CHECK (length(version) BETWEEN 1 AND 255),
    secret_set         INTEGER NOT NULL CHECK (secret_set IN (0, 1)),
    secret_fingerprint TEXT CHECK (secret_fingerprint IS NULL OR length(secret_fingerprint) = 16),
    synced_at          TEXT NOT NULL,
    PRIMARY KEY (env, idp_id)
) STRICT;

INSERT INTO sync_base_by_env (env, idp_id, fields, version, secret_set, secret_fingerprint, synced_at)
    SELECT (SELECT id FROM sync_env WHERE is_current = 1), idp_id, fields, version, secret_set,
        secret_fingerprint, synced_at
    FROM sync_base WHERE EXISTS (SELECT 1 FROM sync_env WHERE is_current = 1);
DROP TABLE sync_base;
ALTER TABLE sync_base_by_env RENAME TO sync_base;

-- Tests on the platform, the gate of a promotion: per IdP, the environment the test ran against,
-- a digest of the fields it tested (eca_model::wire::WireFields, as pushed), and the outcome.
-- No foreign key to the IdP: rows are deleted with it by the catalog.
CREATE TABLE platform_test_run (
    test_id       TEXT PRIMARY KEY NOT NULL CHECK (length(test_id) = 36),
    idp_id        TEXT NOT NULL CHECK (length(idp_id) = 36),
    env           INTEGER NOT NULL REFERENCES sync_env (id) ON DELETE CASCADE,
    fields_digest TEXT NOT NULL CHECK (length(fields_digest) = 64),
    outcome       TEXT NOT NULL CHECK (outcome IN ('passed', 'failed', 'cancelled', 'timed_out')),
    finished_at   TEXT NOT NULL
) STRICT;

CREATE INDEX platform_test_run_by_idp ON platform_test_run (idp_id, env, finished_at);
