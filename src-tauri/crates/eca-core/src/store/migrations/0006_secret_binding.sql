-- Where each stored client secret was entered: the token endpoint's origin and the client id
-- (eca_model::secret_binding). NULL on rows written before this migration: such a secret is
-- taken as entered for the IdP's fields as they are (store::idps reads it so), and gets its
-- own binding the next time it is entered.
ALTER TABLE idp ADD COLUMN secret_origin TEXT;
ALTER TABLE idp ADD COLUMN secret_client_id TEXT;
