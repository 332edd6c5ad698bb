-- Where this app looks for updates: the URL of the update manifest, one row at most. No row
-- means updates are not configured (the default). What the manifest may offer is checked
-- against the public key built into the app, never against anything stored here.
CREATE TABLE update_settings (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    manifest_url TEXT NOT NULL CHECK (length(manifest_url) BETWEEN 1 AND 2048)
) STRICT;
