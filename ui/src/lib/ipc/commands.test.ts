// The typed IPC wrappers: command names and argument keys as the Rust side expects them, and
// every rejection turned into a Problem.
import { describe, expect, it } from "vitest";
import { config, mockCore, problem } from "../../test/fixtures";
import { commands, isProblem, toProblem } from "./commands";

describe("commands", () => {
  it("invokes each command with its camelCase argument object", async () => {
    const calls = mockCore({
      list_idps: () => [],
      get_idp: () => config(),
      save_idp: () => ({ idp: config(), secret_error: null }),
      set_idp_enabled: () => ({}),
      delete_idp: () => null,
      discover_issuer: () => ({}),
      check_idp: () => [],
      idp_history: () => [],
    });
    const { id, has_secret: _h, secret_entered_for: _s, created_at: _c, updated_at: _u, ...fields } = config();
    await commands.listIdps();
    await commands.getIdp(id);
    await commands.saveIdp({ id: null, fields, secret: { kind: "keep" } });
    await commands.setIdpEnabled(id, false);
    await commands.deleteIdp(id);
    await commands.discoverIssuer("https://login.example.com");
    await commands.checkIdp(null, fields);
    await commands.idpHistory(id);

    expect(calls).toEqual([
      { cmd: "list_idps", args: {} },
      { cmd: "get_idp", args: { id } },
      { cmd: "save_idp", args: { request: { id: null, fields, secret: { kind: "keep" } } } },
      { cmd: "set_idp_enabled", args: { id, enabled: false } },
      { cmd: "delete_idp", args: { id } },
      { cmd: "discover_issuer", args: { issuer: "https://login.example.com" } },
      { cmd: "check_idp", args: { id: null, fields } },
      { cmd: "idp_history", args: { id } },
    ]);
  });

  it("invokes the test login commands with their camelCase argument objects", async () => {
    const calls = mockCore({
      start_test_login: () => "run-1",
      cancel_test_login: () => true,
      check_readiness: () => ({ idp_name: "Okta", ready: true, checks: [] }),
      test_history: () => [],
      export_test_history: () => "/home/admin/Downloads/eca-test-history-okta.json",
    });
    const { id, has_secret: _h, secret_entered_for: _s, created_at: _c, updated_at: _u, ...fields } = config();
    const request = { id, fields, secret: { kind: "keep" } as const };

    expect(await commands.startTestLogin(request)).toBe("run-1");
    expect(await commands.cancelTestLogin("run-1")).toBe(true);
    await commands.checkReadiness(request);
    await commands.testHistory(id);
    expect(await commands.exportTestHistory(id)).toBe("/home/admin/Downloads/eca-test-history-okta.json");

    expect(calls).toEqual([
      { cmd: "start_test_login", args: { request } },
      { cmd: "cancel_test_login", args: { runId: "run-1" } },
      { cmd: "check_readiness", args: { request } },
      { cmd: "test_history", args: { id } },
      { cmd: "export_test_history", args: { id } },
    ]);
  });

  it("invokes the sync commands with their camelCase argument objects", async () => {
    const setup = { settings: null, has_api_key: false };
    const calls = mockCore({
      get_sync_settings: () => setup,
      save_sync_settings: () => setup,
      test_backend_connection: () => 3,
      sync_plan: () => ({ items: [] }),
      local_sync_plan: () => ({ items: [] }),
      sync_changes: () => [],
      sync_states: () => [],
      sync_push: () => ({ pushed: [], conflicts: [], failed: [], waiting: [] }),
      retry_failed_changes: () => null,
      resolve_conflict: () => null,
    });
    const { id } = config();
    const settings = { backend_url: "https://messaging.example", workspace_id: "acme" };
    await commands.getSyncSettings();
    await commands.saveSyncSettings(settings, "key-1", true);
    expect(await commands.testBackendConnection()).toBe(3);
    await commands.syncPlan();
    await commands.localSyncPlan();
    await commands.syncChanges();
    await commands.syncStates();
    await commands.syncPush();
    await commands.retryFailedChanges(id);
    expect(await commands.resolveConflict(id, false)).toBeNull();

    expect(calls).toEqual([
      { cmd: "get_sync_settings", args: {} },
      { cmd: "save_sync_settings", args: { settings, apiKey: "key-1", startAfresh: true } },
      { cmd: "test_backend_connection", args: {} },
      { cmd: "sync_plan", args: {} },
      { cmd: "local_sync_plan", args: {} },
      { cmd: "sync_changes", args: {} },
      { cmd: "sync_states", args: {} },
      { cmd: "sync_push", args: {} },
      { cmd: "retry_failed_changes", args: { id } },
      { cmd: "resolve_conflict", args: { id, keepMine: false } },
    ]);
  });

  it("passes a Problem through unchanged", async () => {
    const sent = problem("validation", "1 field needs attention", [{ field: "name", message: "is required" }]);
    mockCore({
      get_idp: () => {
        throw sent;
      },
    });
    await expect(commands.getIdp("x")).rejects.toEqual(sent);
  });

  it("turns any other rejection into an internal Problem", async () => {
    mockCore({
      list_idps: () => {
        throw "command list_idps not found";
      },
    });
    await expect(commands.listIdps()).rejects.toEqual({
      code: "internal",
      message: "command list_idps not found",
      fields: [],
    });
    expect(toProblem(new Error("boom"))).toEqual({ code: "internal", message: "boom", fields: [] });
    expect(toProblem(undefined).code).toBe("internal");
  });

  it("recognises only well-formed Problems", () => {
    expect(isProblem(problem("storage", "x"))).toBe(true);
    expect(isProblem({ code: "storage", message: "x" })).toBe(false);
    expect(isProblem({ code: "teapot", message: "x", fields: [] })).toBe(false);
    expect(isProblem({ code: "validation", message: "x", fields: [{ field: "name" }] })).toBe(false);
    expect(isProblem(null)).toBe(false);
  });
});
