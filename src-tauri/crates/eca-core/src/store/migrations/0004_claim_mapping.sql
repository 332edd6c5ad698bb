-- Claim mapping and channel binding: which verified claims reach the chat flow under which
-- variable names (JSON, like extra_params), and whether the platform binds a sign-in to the
-- phone number its link was sent to. Rows written before get none and off.
-- Limits mirror eca_model::validation (50 entries of a 128-character claim and a 64-character
-- variable fit well within the length check).
ALTER TABLE idp ADD COLUMN claim_mapping TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(claim_mapping) AND length(claim_mapping) <= 65536);
ALTER TABLE idp ADD COLUMN channel_binding INTEGER NOT NULL DEFAULT 0
    CHECK (channel_binding IN (0, 1));
