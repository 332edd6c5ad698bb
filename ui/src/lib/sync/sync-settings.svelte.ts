// State of the "Settings" screen: the backend URL and workspace, the write-only API key
// (the UI only learns whether one is stored), save, and the connection test.
// Errors are kept per field so the screen shows them next to the field they concern.
// The core decides when settings move sync elsewhere: it then asks for a new key (an error on
// the key, which opens the key's field) and for a confirmation (`confirmation_needed`, whose
// message the screen shows in a dialog before saving again with `startAfresh`).
import { commands, toProblem } from "../ipc/commands";
import type { Problem } from "../ipc/types";
import { fieldErrors } from "../idps/labels";

export type SettingsField = "backend_url" | "workspace_id" | "api_key";
export type ConnectionResult = { ok: true; message: string } | { ok: false; message: string };

const SETTINGS_FIELDS: readonly SettingsField[] = ["backend_url", "workspace_id", "api_key"];

/** The problem's messages per settings field: the core names the field each one is about. */
export function settingsErrors(problem: Problem): Partial<Record<SettingsField, string>> {
  return fieldErrors(problem, SETTINGS_FIELDS);
}

export class SyncSettingsForm {
  loadState: "loading" | "ready" | "failed" = $state("loading");
  loadProblem: Problem | null = $state(null);
  backendUrl = $state("");
  workspaceId = $state("");
  hasApiKey = $state(false);
  /** Shown (and sent) only while the admin enters a new key. */
  replacingKey = $state(false);
  apiKeyInput = $state("");
  errors: Partial<Record<SettingsField, string>> = $state({});
  /** A problem no field owns (storage, keyring…). */
  formError: string | null = $state(null);
  saving = $state(false);
  saved = $state(false);
  testing = $state(false);
  /** The core's account of what a move to another backend does, while it awaits the admin. */
  moveToConfirm: string | null = $state(null);
  connection: ConnectionResult | null = $state(null);
  /** The values as stored, to tell whether there is anything unsaved. */
  #storedUrl = $state("");
  #storedWorkspace = $state("");

  readonly dirty = $derived(
    this.backendUrl !== this.#storedUrl ||
      this.workspaceId !== this.#storedWorkspace ||
      (this.replacingKey && this.apiKeyInput !== ""),
  );

  async load(): Promise<void> {
    this.loadState = "loading";
    try {
      const setup = await commands.getSyncSettings();
      this.#apply(setup.settings?.backend_url ?? "", setup.settings?.workspace_id ?? "", setup.has_api_key);
      this.replacingKey = !setup.has_api_key;
      this.loadState = "ready";
    } catch (error) {
      this.loadProblem = toProblem(error);
      this.loadState = "failed";
    }
  }

  #apply(url: string, ws: string, hasKey: boolean) {
    this.backendUrl = url;
    this.workspaceId = ws;
    this.hasApiKey = hasKey;
    this.#storedUrl = url;
    this.#storedWorkspace = ws;
  }

  startReplacingKey(): void {
    this.replacingKey = true;
    this.apiKeyInput = "";
  }

  keepKey(): void {
    this.replacingKey = false;
    this.apiKeyInput = "";
    delete this.errors.api_key;
  }

  /** Checks what the core would refuse anyway, so the error shows before a round trip. */
  #check(): boolean {
    const errors: Partial<Record<SettingsField, string>> = {};
    if (this.backendUrl.trim() === "") errors.backend_url = "Enter the backend URL, e.g. https://messaging.example.";
    if (this.workspaceId.trim() === "") errors.workspace_id = "Enter the workspace ID, e.g. acme-prod.";
    if (this.replacingKey && this.apiKeyInput.trim() === "" && !this.hasApiKey)
      errors.api_key = "Enter the workspace's API key.";
    this.errors = errors;
    return Object.keys(errors).length === 0;
  }

  #show(problem: Problem) {
    if (problem.code === "confirmation_needed") {
      this.moveToConfirm = problem.message;
      return;
    }
    const errors = settingsErrors(problem);
    // A key is asked for: offer its field, where the message shows.
    if (problem.code === "validation" && errors.api_key && !this.replacingKey) this.startReplacingKey();
    if (Object.keys(errors).length > 0) this.errors = { ...this.errors, ...errors };
    else this.formError = problem.message;
  }

  /** The admin confirmed the move the core described: save again, starting sync afresh. */
  confirmMove(): Promise<boolean> {
    this.moveToConfirm = null;
    return this.save(true);
  }

  cancelMove(): void {
    this.moveToConfirm = null;
  }

  async save(startAfresh = false): Promise<boolean> {
    this.saved = false;
    this.formError = null;
    this.connection = null;
    if (!this.#check()) return false;
    this.saving = true;
    try {
      const key = this.replacingKey && this.apiKeyInput !== "" ? this.apiKeyInput : null;
      const setup = await commands.saveSyncSettings(
        { backend_url: this.backendUrl.trim(), workspace_id: this.workspaceId.trim() },
        key,
        startAfresh,
      );
      this.#apply(setup.settings?.backend_url ?? "", setup.settings?.workspace_id ?? "", setup.has_api_key);
      this.replacingKey = false;
      this.apiKeyInput = "";
      this.saved = true;
      return true;
    } catch (error) {
      this.#show(toProblem(error));
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** Tests the stored settings (unsaved edits are saved first, as the admin would expect). */
  async test(): Promise<void> {
    this.connection = null;
    this.formError = null;
    if (this.dirty && !(await this.save())) return;
    this.errors = {};
    this.testing = true;
    try {
      const count = await commands.testBackendConnection();
      this.connection = {
        ok: true,
        message: `Connected. The workspace has ${count} identity provider${count === 1 ? "" : "s"}.`,
      };
    } catch (error) {
      const problem = toProblem(error);
      this.connection = { ok: false, message: problem.message };
      this.#show(problem);
    } finally {
      this.testing = false;
    }
  }
}
