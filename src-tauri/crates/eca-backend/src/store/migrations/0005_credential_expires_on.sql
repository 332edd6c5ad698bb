-- When the IdP's client credential expires (docs/sync-api.yaml `IdpFields`): every stored
-- document gets the member with its default, null (no date recorded), so a document always
-- holds the whole contract, as 0004 did for the signing algorithms.
UPDATE idp SET document = json_set(document, '$.credential_expires_on', json('null'))
    WHERE json_type(document, '$.credential_expires_on') IS NULL;
