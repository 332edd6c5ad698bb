// Field messages read as sentences whether the core sends a fragment or a sentence.
import { describe, expect, it } from "vitest";
import { fieldMessage } from "./labels";

describe("fieldMessage", () => {
  it("prefixes a fragment with the field's label", () => {
    expect(fieldMessage("jwks_uri", "is required for OpenID Connect")).toBe("JWKS URI is required for OpenID Connect");
  });
  it("leaves a full sentence alone", () => {
    expect(fieldMessage("name", "Another IdP is named Okta.")).toBe("Another IdP is named Okta.");
  });
});
