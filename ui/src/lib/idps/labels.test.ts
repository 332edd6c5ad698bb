// Field messages read as sentences whether the core sends a fragment or a sentence.
import { describe, expect, it } from "vitest";
import { FIELD_LABELS, fieldMessage } from "./labels";

describe("fieldMessage", () => {
  it("prefixes a fragment with the field's label", () => {
    expect(fieldMessage("jwks_uri", "is required for OpenID Connect")).toBe("JWKS URI is required for OpenID Connect");
  });
  it("leaves a full sentence alone", () => {
    expect(fieldMessage("name", "Another IdP is named Okta.")).toBe("Another IdP is named Okta.");
  });
});

describe("FIELD_LABELS", () => {
  it("names every field a change can record, as Rust labels it", () => {
    expect(FIELD_LABELS.client_secret).toBe("Client secret");
    expect(FIELD_LABELS.enabled).toBe("Enabled");
    expect(FIELD_LABELS.test_redirect).toBe("Test redirect");
    expect(FIELD_LABELS.backend_url).toBe("Backend URL");
  });
});
