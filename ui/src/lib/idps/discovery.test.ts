// Warnings derived from an issuer's discovery document.
import { describe, expect, it } from "vitest";
import type { DiscoveryInfo } from "../ipc/types";
import { discoveryWarnings } from "./discovery";

const info: DiscoveryInfo = {
  issuer: "https://idp.example.com",
  authorization_endpoint: "https://idp.example.com/a",
  token_endpoint: "https://idp.example.com/t",
  userinfo_endpoint: null,
  jwks_uri: "https://idp.example.com/k",
  code_challenge_methods_supported: ["S256"],
  token_endpoint_auth_methods_supported: [],
  scopes_supported: [],
  id_token_signing_alg_values_supported: ["RS256"],
  authorization_response_iss_parameter_supported: false,
};

describe("discoveryWarnings", () => {
  it("is quiet for a matching issuer with S256 and the default auth method", () => {
    // An omitted auth method list means client_secret_basic (OIDC Discovery §3).
    expect(discoveryWarnings(info, "https://idp.example.com", "client_secret_basic")).toEqual([]);
  });

  it("warns about missing S256, an unadvertised method and an issuer mismatch", () => {
    const w = discoveryWarnings(
      { ...info, code_challenge_methods_supported: [] },
      "https://idp.example.com/",
      "client_secret_post",
    );
    expect(w).toHaveLength(3);
    expect(w[0]).toMatch(/PKCE/);
    expect(w[1]).toMatch(/client_secret_post/);
    expect(w[2]).toMatch(/must match exactly/);
  });
});
