-- The algorithms an IdP's ID tokens may be signed with (eca_model::signing_alg::SigningAlg),
-- as a JSON list of JOSE names like claim_mapping. Rows written before get '[]': the default
-- set, the asymmetric algorithms the IdP advertises, so no IdP starts accepting HS* tokens.
-- Twelve algorithms of at most five characters fit well within the length check.
ALTER TABLE idp ADD COLUMN id_token_signing_algs TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(id_token_signing_algs) AND json_type(id_token_signing_algs) = 'array'
           AND length(id_token_signing_algs) <= 1024);
