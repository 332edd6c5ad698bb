// The one place the UI talks to the Rust core: a typed wrapper per Tauri command, and the
// normaliser that turns whatever a failed command rejected with into a `Problem`.
// Argument keys are camelCase at the invoke boundary (Tauri maps them to snake_case params).
import { invoke } from "@tauri-apps/api/core";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { IssuerDiscovery } from "./bindings/IssuerDiscovery";
import type { FieldError } from "./bindings/FieldError";
import type { IdpConfig } from "./bindings/IdpConfig";
import type { IdpFields } from "./bindings/IdpFields";
import type { IdpId } from "./bindings/IdpId";
import type { IdpSummary } from "./bindings/IdpSummary";
import type { Problem } from "./bindings/Problem";
import type { ProblemCode } from "./bindings/ProblemCode";
import type { ReadinessReport } from "./bindings/ReadinessReport";
import type { SaveIdpRequest } from "./bindings/SaveIdpRequest";
import type { SaveOutcome } from "./bindings/SaveOutcome";
import type { StartTestRequest } from "./bindings/StartTestRequest";
import type { TestReport } from "./bindings/TestReport";
import type { IdpSyncState } from "./bindings/IdpSyncState";
import type { PushReport } from "./bindings/PushReport";
import type { SyncChange } from "./bindings/SyncChange";
import type { SyncPlan } from "./bindings/SyncPlan";
import type { SyncSettings } from "./bindings/SyncSettings";
import type { SyncSetup } from "./bindings/SyncSetup";

const PROBLEM_CODES: readonly ProblemCode[] = [
  "validation",
  "not_found",
  "storage",
  "keyring",
  "discovery",
  "internal",
  "sync_not_configured",
  "unauthorized",
  "backend_unreachable",
];

/** True when `value` has the shape of the `Problem` every failing command rejects with. */
export function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === "string" &&
    (PROBLEM_CODES as readonly string[]).includes(v.code) &&
    typeof v.message === "string" &&
    Array.isArray(v.fields) &&
    v.fields.every(
      (f: unknown) =>
        typeof f === "object" &&
        f !== null &&
        typeof (f as Record<string, unknown>).field === "string" &&
        typeof (f as Record<string, unknown>).message === "string",
    )
  );
}

/**
 * Any rejection as a `Problem`. A command that is missing, a panic or a plain string error
 * (e.g. from Tauri itself) becomes an `internal` problem with a readable message.
 */
export function toProblem(error: unknown): Problem {
  if (isProblem(error)) return error;
  let message: string;
  if (typeof error === "string") message = error;
  else if (error instanceof Error) message = error.message;
  else if (typeof error === "object" && error !== null && "message" in error)
    message = String((error as { message: unknown }).message);
  else message = "Something went wrong.";
  return { code: "internal", message: message || "Something went wrong.", fields: [] };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toProblem(error);
  }
}

/** All IdPs, as the list screen shows them. */
export function listIdps(): Promise<IdpSummary[]> {
  return call("list_idps", {});
}

export function getIdp(id: IdpId): Promise<IdpConfig> {
  return call("get_idp", { id });
}

/** Creates (`request.id === null`) or updates an IdP, and applies the secret change. */
export function saveIdp(request: SaveIdpRequest): Promise<SaveOutcome> {
  return call("save_idp", { request });
}

export function setIdpEnabled(id: IdpId, enabled: boolean): Promise<IdpSummary> {
  return call("set_idp_enabled", { id, enabled });
}

export function deleteIdp(id: IdpId): Promise<null> {
  return call("delete_idp", { id });
}

/** An IdP's audit history, newest first; the client secret only ever as "changed"/"removed". */
export function idpHistory(id: IdpId): Promise<AuditEntry[]> {
  return call("idp_history", { id });
}

/** Fetches `<issuer>/.well-known/openid-configuration` (from Rust, not the webview). */
export function discoverIssuer(issuer: string): Promise<IssuerDiscovery> {
  return call("discover_issuer", { issuer });
}

/** The same validation as `save_idp`, without saving: for feedback as the admin edits. */
export function checkIdp(id: IdpId | null, fields: IdpFields): Promise<FieldError[]> {
  return call("check_idp", { id, fields });
}

/**
 * Starts a "Test Configuration" login of a saved IdP or of the form's draft and returns its
 * run id at once; progress and the result arrive as events (see `events.ts`), possibly before
 * this resolves. Rejects with a `validation` problem when the draft is invalid.
 */
export function startTestLogin(request: StartTestRequest): Promise<string> {
  return call("start_test_login", { request });
}

/** False when the run had already ended (its result is on its way or has arrived). */
export function cancelTestLogin(runId: string): Promise<boolean> {
  return call("cancel_test_login", { runId });
}

/** What would stop a test login from working, checked without opening the browser. */
export function checkReadiness(request: StartTestRequest): Promise<ReadinessReport> {
  return call("check_readiness", { request });
}

/** An IdP's recorded test runs, newest first, redacted (claim values read "[redacted]"). */
export function testHistory(id: IdpId): Promise<TestReport[]> {
  return call("test_history", { id });
}

/** Writes the redacted history as a JSON file (for a support ticket); returns its path. */
export function exportTestHistory(id: IdpId): Promise<string> {
  return call("export_test_history", { id });
}

/** Where sync goes; the API key only as `has_api_key` (it is write-only). */
export function getSyncSettings(): Promise<SyncSetup> {
  return call("get_sync_settings", {});
}

/** Stores the backend URL and workspace; `apiKey` replaces the stored key when not null. */
export function saveSyncSettings(settings: SyncSettings, apiKey: string | null): Promise<SyncSetup> {
  return call("save_sync_settings", { settings, apiKey });
}

/** Lists the workspace's IdPs with the stored settings; resolves with how many it has. */
export function testBackendConnection(): Promise<number> {
  return call("test_backend_connection", {});
}

/** The three-way plan (local, last synced, the backend now). Needs the backend. */
export function syncPlan(): Promise<SyncPlan> {
  return call("sync_plan", {});
}

/** The plan against the last-synced copy only: works offline, shows no drift or conflicts. */
export function localSyncPlan(): Promise<SyncPlan> {
  return call("local_sync_plan", {});
}

/** The outbox: every pending change, oldest first, with its state. */
export function syncChanges(): Promise<SyncChange[]> {
  return call("sync_changes", {});
}

/** Every local IdP's sync state, for the list's badges. */
export function syncStates(): Promise<IdpSyncState[]> {
  return call("sync_states", {});
}

/** Sends the outbox to the backend (no progress events: show an indeterminate bar). */
export function syncPush(): Promise<PushReport> {
  return call("sync_push", {});
}

/** Makes the IdP's failed changes sendable again (under new keys); the next push sends them. */
export function retryFailedChanges(id: IdpId): Promise<null> {
  return call("retry_failed_changes", { id });
}

/** Keep mine (pushes, resolves with that push's report) or take theirs (resolves with null). */
export function resolveConflict(id: IdpId, keepMine: boolean): Promise<PushReport | null> {
  return call("resolve_conflict", { id, keepMine });
}
