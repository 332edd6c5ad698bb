-- Customer sign-in (docs/auth-api.yaml): the auth requests a flow or an agent creates, the
-- messages the simulated SMS/WhatsApp gateway sent, and each workspace's webhook.
-- A link token is stored only as its SHA-256. No token of the IdP is ever stored; the verified
-- claims live in `result` until the result is read or expires, then they are erased.

CREATE TABLE auth_request (
    workspace_id      TEXT NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    id                TEXT NOT NULL CHECK (length(id) = 36),
    idp_id            TEXT NOT NULL CHECK (length(idp_id) = 36),
    kind              TEXT NOT NULL CHECK (kind IN ('customer', 'admin_test')),
    channel           TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    -- E.164, for the channel binding; erased with the claims.
    customer          TEXT,
    conversation_id   TEXT NOT NULL CHECK (length(conversation_id) BETWEEN 1 AND 128),
    return_url        TEXT,
    link_hash         TEXT NOT NULL UNIQUE CHECK (length(link_hash) = 64),
    -- 'started': the link was opened, the login is at the IdP.
    status            TEXT NOT NULL CHECK (status IN ('pending', 'started', 'authenticated', 'failed')),
    created_at        TEXT NOT NULL,
    expires_unix      INTEGER NOT NULL,
    -- Until when the customer's data may be kept: the expiry, then the result's own lifetime.
    keep_until_unix   INTEGER NOT NULL,
    opened_at         TEXT,
    finished_at       TEXT,
    -- The outcome as JSON (result, error, steps); claims removed once read or expired.
    outcome           TEXT CHECK (outcome IS NULL OR json_valid(outcome)),
    claims_erased     INTEGER NOT NULL DEFAULT 0 CHECK (claims_erased IN (0, 1)),
    PRIMARY KEY (workspace_id, id)
) STRICT;

CREATE INDEX auth_request_by_retention ON auth_request (keep_until_unix) WHERE claims_erased = 0;

CREATE TABLE message (
    workspace_id    TEXT NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    id              TEXT NOT NULL CHECK (length(id) = 36),
    seq             INTEGER NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    recipient       TEXT NOT NULL,
    body            TEXT NOT NULL,
    link            TEXT NOT NULL,
    auth_request_id TEXT NOT NULL,
    sent_at         TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
) STRICT;

CREATE INDEX message_by_seq ON message (workspace_id, seq);

-- The per-workspace webhook a finished request is delivered to; its signing secret sealed.
CREATE TABLE webhook (
    workspace_id  TEXT PRIMARY KEY NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    url           TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    secret_sealed BLOB NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;
