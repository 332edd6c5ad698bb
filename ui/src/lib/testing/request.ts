// What "Test Configuration" sends for a saved IdP: its stored fields and its stored secret.
import type { IdpConfig, IdpFields, StartTestRequest } from "../ipc/types";

/**
 * The editable fields of a stored IdP, listed one by one: a new member of `IdpConfig` that is
 * not a field stays out, and a new field fails the type check here until it is added.
 */
export function fieldsOf(config: IdpConfig): IdpFields {
  return {
    name: config.name,
    protocol: config.protocol,
    issuer: config.issuer,
    authorization_endpoint: config.authorization_endpoint,
    token_endpoint: config.token_endpoint,
    userinfo_endpoint: config.userinfo_endpoint,
    jwks_uri: config.jwks_uri,
    client_id: config.client_id,
    client_auth_method: config.client_auth_method,
    scopes: config.scopes,
    extra_params: config.extra_params,
    redirect_uris: config.redirect_uris,
    customer_id_claim: config.customer_id_claim,
    enabled: config.enabled,
    notes: config.notes,
    test_redirect: config.test_redirect,
    claim_mapping: config.claim_mapping,
    channel_binding: config.channel_binding,
    loopback_port: config.loopback_port,
    id_token_signing_algs: config.id_token_signing_algs,
    credential_expires_on: config.credential_expires_on,
  };
}

/** A test of the IdP as stored, with the secret in the keyring. */
export function savedTestRequest(config: IdpConfig): StartTestRequest {
  return { id: config.id, fields: fieldsOf(config), secret: { kind: "keep" } };
}
