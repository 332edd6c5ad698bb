-- The platform's own signing key for private_key_jwt (RFC 7523) at an IdP: one key set (an RSA
-- 2048 and an EC P-256 key, eca-oidc's ClientKey) per workspace and IdP, made when first
-- needed. Stored only sealed (AES-256-GCM under the master key, nonce || ciphertext, bound by
-- associated data to its workspace and IdP); only its public keys ever leave the backend.
-- It goes with its IdP: deleting the IdP deletes the key.
CREATE TABLE platform_key (
    workspace_id TEXT NOT NULL,
    idp_id       TEXT NOT NULL CHECK (length(idp_id) = 36),
    key_sealed   BLOB NOT NULL CHECK (length(key_sealed) > 12),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, idp_id),
    FOREIGN KEY (workspace_id, idp_id) REFERENCES idp (workspace_id, id) ON DELETE CASCADE
) STRICT;
