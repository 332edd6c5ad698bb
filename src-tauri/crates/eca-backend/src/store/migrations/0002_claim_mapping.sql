-- Claim mapping and channel binding (docs/sync-api.yaml `IdpFields`): every stored document
-- gets the two members with their defaults, so a document always holds the whole contract
-- and no reader depends on a missing member meaning "none" or "off".
UPDATE idp SET document = json_set(document, '$.claim_mapping', json('[]'))
    WHERE json_type(document, '$.claim_mapping') IS NULL;
UPDATE idp SET document = json_set(document, '$.channel_binding', json('false'))
    WHERE json_type(document, '$.channel_binding') IS NULL;
