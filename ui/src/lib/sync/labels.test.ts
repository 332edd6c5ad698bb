// Pure helpers of the sync screens: how a field change reads, which field a problem belongs
// to, and the push result in words.
import { describe, expect, it } from "vitest";
import { problem } from "../../test/fixtures";
import { fieldChangeText } from "./labels";
import { describeReport } from "./pending-changes.svelte";
import { settingsErrors } from "./sync-settings.svelte";

describe("sync helpers", () => {
  it("shows a secret only as changed or removed, other fields as before → after", () => {
    expect(fieldChangeText({ field: "client_secret", before: null, after: "changed" })).toBe("changed");
    expect(fieldChangeText({ field: "client_secret", before: null, after: "removed" })).toBe("removed");
    expect(fieldChangeText({ field: "name", before: "A", after: "" })).toBe("A → (empty)");
    expect(fieldChangeText({ field: "name", before: null, after: "B" })).toBe("B");
    expect(fieldChangeText({ field: "notes", before: "x", after: null })).toBe("x → (none)");
  });

  it("puts each problem next to the field the core names", () => {
    const said = "The backend refused the API key (HTTP 401).";
    const refused = problem("unauthorized", said, [{ field: "api_key", message: said }]);
    expect(settingsErrors(refused)).toEqual({ api_key: "The backend refused the API key (HTTP 401)." });

    const invalid = problem("validation", "The sync settings are not usable: …", [
      { field: "backend_url", message: "must use https" },
      { field: "workspace_id", message: "must be 1 to 63 lowercase letters" },
    ]);
    expect(settingsErrors(invalid)).toEqual({
      backend_url: "Backend URL must use https",
      workspace_id: "Workspace ID must be 1 to 63 lowercase letters",
    });

    // The message alone no longer decides: words about a field do not make it that field's.
    expect(settingsErrors(problem("validation", "the backend URL is not a URL"))).toEqual({});
    const idpOnly = problem("validation", "Name: is required", [{ field: "name", message: "is required" }]);
    expect(settingsErrors(idpOnly)).toEqual({});
  });

  it("sums up a push", () => {
    expect(describeReport({ pushed: ["a", "b"], conflicts: ["c"], failed: [], waiting: ["d"] })).toBe(
      "2 changes pushed, 1 conflict to resolve, 1 waiting.",
    );
  });
});
