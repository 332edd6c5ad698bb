// Conversions between the form's text and IdpFields.
import { describe, expect, it } from "vitest";
import { config } from "../../test/fixtures";
import { blankDraft, draftFrom, fieldsFrom, testRedirectUri } from "./draft";

describe("draft", () => {
  it("round-trips a stored IdP", () => {
    const { id: _i, has_secret: _h, secret_entered_for: _s, created_at: _c, updated_at: _u, ...fields } = config();
    expect(fieldsFrom(draftFrom(fields))).toEqual(fields);
  });

  it("splits scopes on any whitespace and redirect URIs on lines", () => {
    const d = { ...blankDraft(), scopes: "  openid\temail  profile ", redirect_uris: " https://a/cb \r\n\n https://b/cb\n" };
    const f = fieldsFrom(d);
    expect(f.scopes).toEqual(["openid", "email", "profile"]);
    expect(f.redirect_uris).toEqual(["https://a/cb", "https://b/cb"]);
  });

  it("sends blank optional URLs as null and keeps the issuer exactly as typed", () => {
    const f = fieldsFrom({ ...blankDraft(), issuer: "https://idp.example.com/ ", userinfo_endpoint: "  " });
    expect(f.issuer).toBe("https://idp.example.com/ ");
    expect(f.userinfo_endpoint).toBeNull();
    expect(f.jwks_uri).toBeNull();
  });

  it("drops blank parameter rows but keeps half-filled ones for validation", () => {
    const f = fieldsFrom({
      ...blankDraft(),
      extra_params: [
        { key: "", value: "" },
        { key: "prompt", value: "" },
      ],
    });
    expect(f.extra_params).toEqual([{ key: "prompt", value: "" }]);
  });

  it("drops blank claim mapping rows and keeps half-filled ones for validation", () => {
    const f = fieldsFrom({
      ...blankDraft(),
      claim_mapping: [
        { claim: " ", variable: "" },
        { claim: "email", variable: "" },
      ],
    });
    expect(f.claim_mapping).toEqual([{ claim: "email", variable: "" }]);
  });

  it("reads fields written before the claim mapping as none and channel binding off", () => {
    const { id: _i, has_secret: _h, secret_entered_for: _s, created_at: _c, updated_at: _u, claim_mapping: _m, channel_binding: _b, ...older } =
      config();
    const d = draftFrom(older);
    expect(d.claim_mapping).toEqual([]);
    expect(d.channel_binding).toBe(false);
  });

  it("reads fields written before the signing algorithms as the default set", () => {
    const { id: _i, has_secret: _h, created_at: _c, updated_at: _u, id_token_signing_algs: _a, ...older } = config();
    expect(draftFrom(older).id_token_signing_algs).toEqual([]);
    expect(draftFrom(config()).id_token_signing_algs).toEqual(["RS256", "HS256"]);
  });

  it("sends the loopback port only with the loopback redirect, and non-ports as 0 for the core to refuse", () => {
    const loopback = { ...blankDraft(), test_redirect: "loopback" as const };
    expect(fieldsFrom({ ...loopback, loopback_port: " 8765 " }).loopback_port).toBe(8765);
    expect(fieldsFrom({ ...loopback, loopback_port: "" }).loopback_port).toBeNull();
    for (const typed of ["abc", "70000", "80.5", "-1"]) {
      expect(fieldsFrom({ ...loopback, loopback_port: typed }).loopback_port, typed).toBe(0);
    }
    expect(fieldsFrom({ ...blankDraft(), loopback_port: "8765" }).loopback_port).toBeNull();
    expect(draftFrom(fieldsFrom({ ...loopback, loopback_port: "8765" })).loopback_port).toBe("8765");
  });

  it("shows the test redirect the login will use", () => {
    const loopback = { ...blankDraft(), test_redirect: "loopback" as const };
    expect(testRedirectUri(blankDraft())).toBe("com.ecaadmin.desktop:/oauth/callback");
    expect(testRedirectUri(loopback)).toBe("http://127.0.0.1:<port>/oauth/callback");
    expect(testRedirectUri({ ...loopback, loopback_port: "8765" })).toBe("http://127.0.0.1:8765/oauth/callback");
  });

  it("starts from the core's OIDC defaults", () => {
    const f = fieldsFrom(blankDraft());
    expect(f).toMatchObject({
      protocol: "oidc",
      client_auth_method: "client_secret_basic",
      scopes: ["openid", "profile", "email"],
      customer_id_claim: "sub",
      enabled: true,
      test_redirect: "deep_link",
      claim_mapping: [],
      channel_binding: false,
      loopback_port: null,
      id_token_signing_algs: [],
      credential_expires_on: null,
    });
  });

  it("keeps the credential's expiry date only for a client that has a credential", () => {
    const d = draftFrom(config());
    expect(d.credential_expires_on).toBe("2027-03-31");
    expect(fieldsFrom(d).credential_expires_on).toBe("2027-03-31");
    expect(fieldsFrom({ ...d, credential_expires_on: "  " }).credential_expires_on).toBeNull();
    expect(fieldsFrom({ ...d, client_auth_method: "none" }).credential_expires_on).toBeNull();
    const { credential_expires_on: _e, ...older } = config();
    expect(draftFrom(older).credential_expires_on).toBe("");
  });
});
