-- "Test Configuration": how each IdP receives its test login's redirect, and the redacted
-- history of test runs (no tokens, no claim values: see login::report::TestReport::redacted).
ALTER TABLE idp ADD COLUMN test_redirect TEXT NOT NULL DEFAULT 'deep_link'
    CHECK (test_redirect IN ('deep_link', 'loopback'));

-- No foreign key: runs are deleted with their IdP by the catalog, in the same transaction.
CREATE TABLE test_run (
    run_id      TEXT PRIMARY KEY NOT NULL CHECK (length(run_id) = 36),
    idp_id      TEXT NOT NULL CHECK (length(idp_id) = 36),
    finished_at TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('passed', 'failed', 'cancelled', 'timed_out')),
    report      TEXT NOT NULL CHECK (json_valid(report) AND length(report) <= 262144)
) STRICT;

CREATE INDEX test_run_by_idp ON test_run (idp_id, finished_at);
