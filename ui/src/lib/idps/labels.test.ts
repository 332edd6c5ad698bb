// Field messages read as sentences whether the core sends a fragment or a sentence.
import { describe, expect, it } from "vitest";
import { changedFieldLabel, fieldMessage } from "./labels";

describe("fieldMessage", () => {
  it("prefixes a fragment with the field's label", () => {
    expect(fieldMessage("jwks_uri", "is required for OpenID Connect")).toBe("JWKS URI is required for OpenID Connect");
  });
  it("leaves a full sentence alone", () => {
    expect(fieldMessage("name", "Another IdP is named Okta.")).toBe("Another IdP is named Okta.");
  });
});

describe("changedFieldLabel", () => {
  it("names a recorded field as the form labels it", () => {
    expect(changedFieldLabel("client_secret")).toBe("Client secret");
    expect(changedFieldLabel("enabled")).toBe("Enabled");
    expect(changedFieldLabel("test_redirect")).toBe("Test redirect");
  });
  it("keeps a key it doesn't know, and ignores inherited names", () => {
    expect(changedFieldLabel("added_later")).toBe("added_later");
    expect(changedFieldLabel("toString")).toBe("toString");
  });
});
