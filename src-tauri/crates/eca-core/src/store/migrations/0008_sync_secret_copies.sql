-- Exactly-once sends of a client secret. When the push freezes a request that sends the secret
-- (`request` ->> 'secret' = 'set'), it keeps a copy of that value in the OS keyring (never here)
-- under a key tied to the change's idempotency key, so a retry sends exactly the frozen bytes even
-- after the IdP's secret was replaced or deleted locally.

-- Keyring copies to delete: the idempotency keys of changes that settled (their row removed) or
-- were given a new key. The triggers fill it in the transaction that removes or re-keys the row;
-- a row leaves it once its keyring entry is gone, so a crash in between only delays the deletion.
-- An unfrozen change counts too: a crash between taking a copy and committing the freeze leaves
-- a copy that its row does not mention yet.
CREATE TABLE sync_secret_discard (
    idempotency_key TEXT PRIMARY KEY NOT NULL CHECK (length(idempotency_key) = 36)
) STRICT;

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
