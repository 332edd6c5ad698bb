-- Where each IdP is used on the platform (docs/sync-api.yaml `IdpUsage`): the Chat Flow OAuth
-- Request nodes and Chat Desk extensions that start a customer sign-in with it. Flows are not
-- edited through this API: the reference backend's rows come from --seed-usages.
-- A usage names its IdP by id only (no foreign key to `idp`): deleting an IdP does not edit the
-- flows that use it, so they stay listed (they are broken until someone edits them), and a
-- flow may name an IdP that has not been pushed yet.
CREATE TABLE idp_usage (
    workspace_id TEXT NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    -- The node's or extension's id on the platform, unique per kind in a workspace.
    kind         TEXT NOT NULL CHECK (kind IN ('chat_flow_node', 'chat_desk_extension')),
    usage_id     TEXT NOT NULL CHECK (length(usage_id) BETWEEN 1 AND 100),
    idp_id       TEXT NOT NULL CHECK (length(idp_id) = 36),
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The OAuth Request node's name; NULL for an extension.
    node         TEXT CHECK (node IS NULL OR length(node) BETWEEN 1 AND 200),
    PRIMARY KEY (workspace_id, kind, usage_id)
) STRICT;

CREATE INDEX idp_usage_by_idp ON idp_usage (workspace_id, idp_id);
