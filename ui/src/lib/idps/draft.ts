// The editable form of an IdP (text as typed) and its conversion to and from `IdpFields`.
// Pure functions: the form state class and the tests build on them.
import type {
  AuthParam,
  ClaimMapping,
  ClientAuthMethod,
  IdpFields,
  PresetFill,
  Protocol,
  SigningAlg,
  TestRedirect,
} from "../ipc/types";

export type Draft = {
  name: string;
  protocol: Protocol;
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
  client_id: string;
  client_auth_method: ClientAuthMethod;
  /** Space-separated, as typed. */
  scopes: string;
  extra_params: AuthParam[];
  /** One URI per line, as typed. */
  redirect_uris: string;
  customer_id_claim: string;
  enabled: boolean;
  notes: string;
  /** How "Test Configuration" gets the login's redirect back. */
  test_redirect: TestRedirect;
  claim_mapping: ClaimMapping[];
  channel_binding: boolean;
  /** The loopback redirect's fixed port, as typed; empty for a free port per test. */
  loopback_port: string;
  /** The algorithms ID tokens may be signed with; none checked: the advertised asymmetric ones. */
  id_token_signing_algs: SigningAlg[];
  /** When the client secret expires, `YYYY-MM-DD` as typed; empty for none. */
  credential_expires_on: string;
};

/** The defaults a new IdP starts from; the same as the core's `IdpFields::blank(Oidc)`. */
export function blankDraft(): Draft {
  return {
    name: "",
    protocol: "oidc",
    issuer: "",
    authorization_endpoint: "",
    token_endpoint: "",
    userinfo_endpoint: "",
    jwks_uri: "",
    client_id: "",
    client_auth_method: "client_secret_basic",
    scopes: "openid profile email",
    extra_params: [],
    redirect_uris: "",
    customer_id_claim: "sub",
    enabled: true,
    notes: "",
    test_redirect: "deep_link",
    claim_mapping: [],
    channel_binding: false,
    loopback_port: "",
    id_token_signing_algs: [],
    credential_expires_on: "",
  };
}

export function draftFrom(fields: IdpFields): Draft {
  return {
    name: fields.name,
    protocol: fields.protocol,
    issuer: fields.issuer ?? "",
    authorization_endpoint: fields.authorization_endpoint,
    token_endpoint: fields.token_endpoint,
    userinfo_endpoint: fields.userinfo_endpoint ?? "",
    jwks_uri: fields.jwks_uri ?? "",
    client_id: fields.client_id,
    client_auth_method: fields.client_auth_method,
    scopes: fields.scopes.join(" "),
    extra_params: fields.extra_params.map((p) => ({ key: p.key, value: p.value })),
    redirect_uris: fields.redirect_uris.join("\n"),
    customer_id_claim: fields.customer_id_claim,
    enabled: fields.enabled,
    notes: fields.notes,
    // Optional in the generated type because the core accepts JSON written before the field
    // existed (`#[serde(default)]`); what the core sends always has it.
    test_redirect: fields.test_redirect ?? blankDraft().test_redirect,
    claim_mapping: (fields.claim_mapping ?? []).map((m) => ({ claim: m.claim, variable: m.variable })),
    channel_binding: fields.channel_binding ?? false,
    loopback_port: fields.loopback_port == null ? "" : String(fields.loopback_port),
    id_token_signing_algs: [...(fields.id_token_signing_algs ?? [])],
    credential_expires_on: fields.credential_expires_on ?? "",
  };
}

/**
 * The port to send for the loopback redirect. Only the loopback redirect has one (the field is
 * hidden for the deep link). Text that is not a port number is sent as 0, which the core
 * refuses with its range message: the rule lives once, in the core's validation.
 */
function loopbackPort(d: Draft): number | null {
  const text = d.loopback_port.trim();
  if (d.test_redirect !== "loopback" || text === "") return null;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  return port <= 65535 ? port : 0;
}

/** The redirect URI a test login of this draft uses; `<port>` when it is picked per test. */
export function testRedirectUri(d: Draft): string {
  if (d.test_redirect === "deep_link") return "com.ecaadmin.desktop:/oauth/callback";
  const port = loopbackPort(d);
  return `http://127.0.0.1:${port ? String(port) : "<port>"}/oauth/callback`;
}

function optional(value: string): string | null {
  return value.trim() === "" ? null : value;
}

/**
 * What would be saved. Text is sent as typed (the core normalises and validates it, and keeps
 * the issuer exactly as entered); only list fields are split, and OIDC-only fields are dropped
 * for OAuth 2.0.
 */
export function fieldsFrom(d: Draft): IdpFields {
  const oidc = d.protocol === "oidc";
  return {
    name: d.name,
    protocol: d.protocol,
    issuer: oidc ? optional(d.issuer) : null,
    authorization_endpoint: d.authorization_endpoint,
    token_endpoint: d.token_endpoint,
    userinfo_endpoint: optional(d.userinfo_endpoint),
    jwks_uri: oidc ? optional(d.jwks_uri) : null,
    client_id: d.client_id,
    client_auth_method: d.client_auth_method,
    scopes: d.scopes.split(/\s+/).filter(Boolean),
    // A row left completely blank is an unused "Add" click, not an entry.
    extra_params: d.extra_params
      .filter((p) => p.key.trim() !== "" || p.value.trim() !== "")
      .map((p) => ({ key: p.key, value: p.value })),
    claim_mapping: d.claim_mapping
      .filter((m) => m.claim.trim() !== "" || m.variable.trim() !== "")
      .map((m) => ({ claim: m.claim, variable: m.variable })),
    redirect_uris: d.redirect_uris
      .split(/\r?\n/)
      .map((u) => u.trim())
      .filter(Boolean),
    customer_id_claim: d.customer_id_claim,
    enabled: d.enabled,
    notes: d.notes,
    test_redirect: d.test_redirect,
    channel_binding: d.channel_binding,
    loopback_port: loopbackPort(d),
    id_token_signing_algs: oidc ? [...d.id_token_signing_algs] : [],
    // A public client has no credential to expire (the field is hidden for it).
    credential_expires_on: usesCredential(d.client_auth_method) ? optional(d.credential_expires_on) : null,
  };
}

/**
 * Writes what a preset filled over the draft (the core's `PresetFill::apply`, for the draft's
 * text form); the fields a preset does not know keep what the admin typed.
 */
export function applyPresetFill(d: Draft, fill: PresetFill): void {
  d.protocol = fill.protocol;
  d.issuer = fill.issuer ?? "";
  d.client_auth_method = fill.client_auth_method;
  d.scopes = fill.scopes.join(" ");
  d.customer_id_claim = fill.customer_id_claim;
  if (fill.userinfo_endpoint !== null) d.userinfo_endpoint = fill.userinfo_endpoint;
  d.test_redirect = fill.test_redirect;
}

/** Whether the client authenticates with a credential (a secret): every method but "none". */
export function usesCredential(method: ClientAuthMethod): boolean {
  return method !== "none";
}
