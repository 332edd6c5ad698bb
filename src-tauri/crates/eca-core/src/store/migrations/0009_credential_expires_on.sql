-- When the IdP's client credential expires (the client secret, or the signing key for
-- private_key_jwt): a calendar day, YYYY-MM-DD in UTC (eca_model::credential_expiry). Rows
-- written before have none. The CHECK keeps anything but a real ISO date out, as validation does.
ALTER TABLE idp ADD COLUMN credential_expires_on TEXT
    CHECK (credential_expires_on IS NULL
           OR (length(credential_expires_on) = 10
               AND date(credential_expires_on) IS credential_expires_on));
