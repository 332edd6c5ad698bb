-- The fixed port of an IdP's loopback test redirect (NULL: a free port per test). Desktop-only,
-- never synced. The range is validation's (eca_model::validation::MIN_LOOPBACK_PORT..=65535).
ALTER TABLE idp ADD COLUMN loopback_port INTEGER
    CHECK (loopback_port IS NULL OR loopback_port BETWEEN 1024 AND 65535);
