-- The ID token signing algorithms (docs/sync-api.yaml `IdpFields`): every stored document gets
-- the member with its default, the empty list (the asymmetric algorithms the IdP advertises),
-- so a document always holds the whole contract, as 0002 did for the claim mapping.
UPDATE idp SET document = json_set(document, '$.id_token_signing_algs', json('[]'))
    WHERE json_type(document, '$.id_token_signing_algs') IS NULL;
