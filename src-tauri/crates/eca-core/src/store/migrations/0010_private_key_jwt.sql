-- private_key_jwt (RFC 7523) joins the client authentication methods of idp's CHECK.
-- SQLite cannot alter a CHECK, and rebuilding idp would repeat every column the other
-- migrations add. Widening the IN list in the stored schema is the change SQLite documents as
-- safe without a rebuild (lang_altertable.html §7: every stored row still satisfies it);
-- RESET makes every connection read the new schema. The signing key itself is never stored
-- here: it lives in the OS keyring.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(
    sql,
    '''client_secret_post'', ''none'')',
    '''client_secret_post'', ''none'', ''private_key_jwt'')'
)
WHERE type = 'table' AND name = 'idp';
PRAGMA writable_schema = RESET;
