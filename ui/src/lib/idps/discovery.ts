// What an IdP's discovery document means for the configuration being edited: the warnings
// an admin should see before saving. Pure, so it is recomputed as the form changes.
import type { ClientAuthMethod, DiscoveryInfo } from "../ipc/types";

/**
 * The token endpoint auth methods the IdP supports. OpenID Connect Discovery 1.0 §3: when
 * the metadata omits the list, the default is client_secret_basic.
 */
export function advertisedAuthMethods(info: DiscoveryInfo): string[] {
  return info.token_endpoint_auth_methods_supported.length > 0
    ? info.token_endpoint_auth_methods_supported
    : ["client_secret_basic"];
}

export function discoveryWarnings(
  info: DiscoveryInfo,
  typedIssuer: string,
  method: ClientAuthMethod,
): string[] {
  const warnings: string[] = [];
  const pkce = info.code_challenge_methods_supported;
  if (!pkce.includes("S256")) {
    warnings.push(
      pkce.length === 0
        ? "The IdP does not advertise PKCE support (code_challenge_methods_supported is missing). Embedded Client Authentication sends PKCE with S256; confirm the IdP accepts it."
        : `The IdP does not advertise PKCE with S256 (it lists ${pkce.join(", ")}). Embedded Client Authentication requires S256.`,
    );
  }
  const methods = advertisedAuthMethods(info);
  if (!methods.includes(method)) {
    warnings.push(
      `The IdP does not advertise ${method} for its token endpoint (it lists ${methods.join(", ")}). Choose one of those under Client authentication.`,
    );
  }
  if (info.issuer !== typedIssuer) {
    warnings.push(
      `The IdP identifies itself as ${info.issuer}, not ${typedIssuer}. The issuer must match exactly, including any trailing slash.`,
    );
  }
  return warnings;
}
