// Human labels for the IdP model's enum values and fields, as the platform's portal names them.
import { FIELD_LABELS as GENERATED_FIELD_LABELS } from "../ipc/bindings";
import type { AuditAction, ClientAuthMethod, Field, Problem, Protocol, TestRedirect } from "../ipc/types";

export const PROTOCOL_LABELS: Record<Protocol, string> = {
  oidc: "OpenID Connect",
  oauth2: "OAuth 2.0",
};

export const AUTH_METHOD_LABELS: Record<ClientAuthMethod, string> = {
  client_secret_basic: "Client secret in HTTP Basic header (client_secret_basic)",
  client_secret_post: "Client secret in request body (client_secret_post)",
  none: "None: public client with PKCE (none)",
  private_key_jwt: "JWT signed with a key of our own (private_key_jwt)",
};

/** The redirect URI a test login uses; the loopback port is picked when the test starts. */
export const TEST_REDIRECT_LABELS: Record<TestRedirect, string> = {
  deep_link: "Deep link (com.ecaadmin.desktop:/oauth/callback)",
  loopback: "Loopback (http://127.0.0.1:<port>/oauth/callback)",
};

/** The labels the form shows, from the Rust `Field::label`, so errors read the same everywhere. */
export const FIELD_LABELS: Readonly<Record<Field, string>> = GENERATED_FIELD_LABELS;

/** What an entry of an IdP's history did. */
export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  create: "Created",
  update: "Edited",
  enable: "Enabled",
  disable: "Disabled",
  delete: "Deleted",
  import: "Imported",
};

/**
 * A field error as a sentence. The core's messages are fragments meant to follow the field's
 * label ("is required", "must use https"); a message that already starts with a capital
 * stands alone.
 */
export function fieldMessage(field: Field, message: string): string {
  const first = message.charAt(0);
  if (first !== "" && first === first.toLowerCase() && first !== first.toUpperCase()) {
    return `${FIELD_LABELS[field]} ${message}`;
  }
  return message;
}

/** A refusal's messages by field, for the `fields` a form shows (the others it ignores). */
export function fieldErrors<F extends Field>(problem: Problem, fields: readonly F[]): Partial<Record<F, string>> {
  const errors: Partial<Record<F, string>> = {};
  for (const { field, message } of problem.fields) {
    if ((fields as readonly Field[]).includes(field)) errors[field as F] = fieldMessage(field, message);
  }
  return errors;
}
