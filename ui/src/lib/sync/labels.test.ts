// Pure helpers of the sync screens: how a field change reads, which field a problem belongs
// to, and the push result in words.
import { describe, expect, it } from "vitest";
import { problem } from "../../test/fixtures";
import { fieldChangeText } from "./labels";
import { describeReport } from "./pending-changes.svelte";
import { fieldOf } from "./sync-settings.svelte";

describe("sync helpers", () => {
  it("shows a secret only as changed or removed, other fields as before → after", () => {
    expect(fieldChangeText({ field: "client_secret", before: null, after: "changed" })).toBe("changed");
    expect(fieldChangeText({ field: "client_secret", before: null, after: "removed" })).toBe("removed");
    expect(fieldChangeText({ field: "name", before: "A", after: "" })).toBe("A → (empty)");
    expect(fieldChangeText({ field: "name", before: null, after: "B" })).toBe("B");
    expect(fieldChangeText({ field: "notes", before: "x", after: null })).toBe("x → (none)");
  });

  it("puts each problem next to the field it concerns", () => {
    expect(fieldOf(problem("unauthorized", "The backend refused the API key (HTTP 401)."))).toBe("api_key");
    expect(fieldOf(problem("unauthorized", 'The API key does not open the workspace "x" (HTTP 403).'))).toBe("api_key");
    expect(fieldOf(problem("backend_unreachable", "The backend cannot be reached."))).toBe("backend_url");
    expect(fieldOf(problem("validation", "The sync settings are not usable: the workspace id must be…"))).toBe("workspace_id");
    expect(fieldOf(problem("validation", "The sync settings are not usable: the backend URL is not a URL"))).toBe("backend_url");
    expect(fieldOf(problem("storage", "The database is locked."))).toBeNull();
  });

  it("sums up a push", () => {
    expect(describeReport({ pushed: ["a", "b"], conflicts: ["c"], failed: [], waiting: ["d"] })).toBe(
      "2 changes pushed, 1 conflict to resolve, 1 waiting.",
    );
  });
});
