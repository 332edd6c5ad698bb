// State of "Updates" in Settings: the update manifest's URL, "Check for updates" and "Download
// and verify". The core decides everything (which release is newer, whether its signature
// verifies); this class keeps what it said and turns it into what the screen shows.
import { commands, toProblem } from "../ipc/commands";
import type { OfferedUpdate, Problem, UpdateCheck, UpdateSetup, SavedUpdate } from "../ipc/types";
import { fieldMessage } from "../idps/labels";

/** What the screen says after a check: a tone, a title and the text under it. */
export type CheckMessage = { tone: "info" | "warning" | "success"; title: string; text: string };

/** The sentence for a check that offers nothing; `null` for an offer, which has its own panel. */
export function checkMessage(check: UpdateCheck): CheckMessage | null {
  switch (check.status) {
    case "available":
      return null;
    case "not_configured":
      return {
        tone: "info",
        title: "Updates are not configured",
        text: "Enter the URL of the update manifest above, then check again.",
      };
    case "cannot_verify":
      return {
        tone: "warning",
        title: "This build cannot verify updates",
        text: "It carries no update signing key, so it does not offer updates. Install a release build of ECA Admin to receive them.",
      };
    case "up_to_date":
      return {
        tone: "success",
        title: "You're up to date",
        text: `ECA Admin ${check.current_version} is the newest version.`,
      };
  }
}

/** A size for people: "4.5 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export class UpdatesPanel {
  loadState: "loading" | "ready" | "failed" = $state("loading");
  loadProblem: Problem | null = $state(null);
  currentVersion = $state("");
  canVerify = $state(false);
  manifestUrl = $state("");
  urlError: string | null = $state(null);
  saving = $state(false);
  saved = $state(false);
  checking = $state(false);
  /** What the last check found; `null` before a check or when it failed. */
  found: UpdateCheck | null = $state(null);
  downloading = $state(false);
  verified: SavedUpdate | null = $state(null);
  /** Why the last check or download failed (a refused signature among them). */
  problem: Problem | null = $state(null);
  #storedUrl = $state("");

  readonly dirty = $derived(this.manifestUrl.trim() !== this.#storedUrl);
  /** The release on offer, if the last check found one. */
  readonly offered: OfferedUpdate | null = $derived(
    this.found?.status === "available" ? this.found : null,
  );

  async load(): Promise<void> {
    this.loadState = "loading";
    try {
      this.#apply(await commands.getUpdateSettings());
      this.loadState = "ready";
    } catch (error) {
      this.loadProblem = toProblem(error);
      this.loadState = "failed";
    }
  }

  #apply(setup: UpdateSetup) {
    this.currentVersion = setup.current_version;
    this.canVerify = setup.can_verify;
    this.manifestUrl = setup.settings.manifest_url ?? "";
    this.#storedUrl = this.manifestUrl;
  }

  #clearOutcome() {
    this.saved = false;
    this.found = null;
    this.verified = null;
    this.problem = null;
  }

  /** Stores the URL (blank: updates not configured); a refusal shows under the field. */
  async save(): Promise<boolean> {
    this.#clearOutcome();
    this.urlError = null;
    this.saving = true;
    try {
      const url = this.manifestUrl.trim();
      this.#apply(await commands.saveUpdateSettings({ manifest_url: url === "" ? null : url }));
      this.saved = true;
      return true;
    } catch (error) {
      const problem = toProblem(error);
      const onField = problem.fields.find((f) => f.field === "update_manifest_url");
      if (onField) this.urlError = fieldMessage(onField.field, onField.message);
      else this.problem = problem;
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** Checks the stored URL (an edited one is saved first, as the admin would expect). */
  async check(): Promise<void> {
    if (this.dirty && !(await this.save())) return;
    this.#clearOutcome();
    this.checking = true;
    try {
      this.found = await commands.checkForUpdates();
    } catch (error) {
      this.problem = toProblem(error);
    } finally {
      this.checking = false;
    }
  }

  /** Downloads the offered release; the core answers only if its signature verified. */
  async download(): Promise<void> {
    this.problem = null;
    this.verified = null;
    this.downloading = true;
    try {
      this.verified = await commands.downloadUpdate();
    } catch (error) {
      this.problem = toProblem(error);
    } finally {
      this.downloading = false;
    }
  }
}
