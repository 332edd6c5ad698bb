-- IdP configurations and their audit history.
-- Limits mirror eca_core::validation (lengths in characters, as SQLite's length() counts them).
-- Secrets are never stored here: has_secret only says whether the OS keyring holds one.
CREATE TABLE idp (
    id                     TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    name                   TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    name_key               TEXT NOT NULL UNIQUE,
    protocol               TEXT NOT NULL CHECK (protocol IN ('oidc', 'oauth2')),
    issuer                 TEXT CHECK (issuer IS NULL OR length(issuer) BETWEEN 1 AND 2048),
    issuer_key             TEXT UNIQUE,
    authorization_endpoint TEXT NOT NULL CHECK (length(authorization_endpoint) BETWEEN 1 AND 2048),
    token_endpoint         TEXT NOT NULL CHECK (length(token_endpoint) BETWEEN 1 AND 2048),
    userinfo_endpoint      TEXT CHECK (userinfo_endpoint IS NULL OR length(userinfo_endpoint) BETWEEN 1 AND 2048),
    jwks_uri               TEXT CHECK (jwks_uri IS NULL OR length(jwks_uri) BETWEEN 1 AND 2048),
    client_id              TEXT NOT NULL CHECK (length(client_id) BETWEEN 1 AND 512),
    client_auth_method     TEXT NOT NULL
        CHECK (client_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
    scopes                 TEXT NOT NULL CHECK (length(scopes) <= 1024),
    extra_params           TEXT NOT NULL CHECK (json_valid(extra_params) AND length(extra_params) <= 65536),
    redirect_uris          TEXT NOT NULL CHECK (json_valid(redirect_uris) AND length(redirect_uris) <= 32768),
    customer_id_claim      TEXT NOT NULL CHECK (length(customer_id_claim) BETWEEN 1 AND 256),
    enabled                INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    has_secret             INTEGER NOT NULL CHECK (has_secret IN (0, 1)),
    notes                  TEXT NOT NULL CHECK (length(notes) <= 4000),
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    CHECK ((issuer IS NULL) = (issuer_key IS NULL))
) STRICT;

CREATE INDEX idp_by_name ON idp (name_key);

-- One row per change. No foreign key: the history of a deleted IdP stays readable.
CREATE TABLE idp_audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    idp_id  TEXT NOT NULL CHECK (length(idp_id) = 36),
    at      TEXT NOT NULL,
    action  TEXT NOT NULL CHECK (action IN ('create', 'update', 'enable', 'disable', 'delete', 'import')),
    changes TEXT NOT NULL CHECK (json_valid(changes))
) STRICT;

CREATE INDEX idp_audit_by_idp ON idp_audit (idp_id, seq);
