// State of the "Embedded Client Authentication" list: the IdP summaries, the search query,
// and the immediate actions (enable/disable, delete) with their error reporting.
// Invariant: `items` is replaced, never mutated, so 10,000 rows stay cheap to track
// ($state.raw) and the derived filter reruns only when the list or the query changes.
import { SvelteSet } from "svelte/reactivity";
import { commands, toProblem } from "../ipc/commands";
import type { IdpId, IdpSummary, Problem, SyncBadge } from "../ipc/types";
import { byName, filterIdps, searchKey, type Searchable } from "./filter";

export type LoadState = "loading" | "ready" | "failed";

export class IdpList {
  items: IdpSummary[] = $state.raw([]);
  loadState: LoadState = $state("loading");
  loadProblem: Problem | null = $state(null);
  /** The last failed action, shown in a banner until dismissed or the next action. */
  actionError: string | null = $state(null);
  query = $state("");
  /** Each IdP's sync state; empty when the core could not say (the badges are then left out). */
  syncStates: Map<IdpId, SyncBadge> = $state.raw(new Map());
  /** Rows whose enable/disable request is in flight; their toggle is disabled meanwhile. */
  readonly pending = new SvelteSet<IdpId>();

  #searchable: Searchable[] = $derived(this.items.map((item) => ({ item, key: searchKey(item) })));
  readonly visible: IdpSummary[] = $derived(filterIdps(this.#searchable, this.query));

  async load(): Promise<void> {
    this.loadState = "loading";
    this.loadProblem = null;
    try {
      const items = await commands.listIdps();
      this.items = [...items].sort(byName);
      this.loadState = "ready";
    } catch (error) {
      this.loadProblem = toProblem(error);
      this.loadState = "failed";
      return;
    }
    await this.loadSyncStates();
  }

  /** Reads the sync badges; a failure only hides them (the list itself is what matters here). */
  async loadSyncStates(): Promise<void> {
    try {
      const states = await commands.syncStates();
      this.syncStates = new Map(states.map((s) => [s.idp_id, s.state]));
    } catch {
      this.syncStates = new Map();
    }
  }

  /**
   * Reloads the rows in place (e.g. after a test login, for its "Last test" column), keeping
   * the table, its scroll position and the query. A failure leaves the rows as they were: they
   * are only a little stale, and the action that asked has its own result to show.
   */
  async refresh(): Promise<void> {
    if (this.loadState !== "ready") return this.load();
    try {
      const items = await commands.listIdps();
      this.items = [...items].sort(byName);
    } catch {
      /* see above */
    }
    await this.loadSyncStates();
  }

  find(id: IdpId): IdpSummary | undefined {
    return this.items.find((i) => i.id === id);
  }

  #replace(id: IdpId, change: (item: IdpSummary) => IdpSummary): void {
    this.items = this.items.map((i) => (i.id === id ? change(i) : i));
  }

  /**
   * Shows the new state at once, then asks the core. On failure the row goes back to what it
   * was and the reason is reported.
   */
  async setEnabled(id: IdpId, enabled: boolean): Promise<boolean> {
    const before = this.find(id);
    if (!before || this.pending.has(id)) return false;
    this.actionError = null;
    this.pending.add(id);
    this.#replace(id, (i) => ({ ...i, enabled }));
    try {
      const updated = await commands.setIdpEnabled(id, enabled);
      this.#replace(id, () => updated);
      void this.loadSyncStates();
      return true;
    } catch (error) {
      this.#replace(id, (i) => ({ ...i, enabled: before.enabled }));
      const verb = enabled ? "enable" : "disable";
      this.actionError = `Couldn't ${verb} “${before.name}”: ${toProblem(error).message}`;
      return false;
    } finally {
      this.pending.delete(id);
    }
  }

  async remove(id: IdpId): Promise<boolean> {
    const target = this.find(id);
    if (!target) return false;
    this.actionError = null;
    try {
      await commands.deleteIdp(id);
      this.items = this.items.filter((i) => i.id !== id);
      return true;
    } catch (error) {
      const problem = toProblem(error);
      if (problem.code === "not_found") {
        // Already gone (another window or the CLI): the list was just stale.
        this.items = this.items.filter((i) => i.id !== id);
        return true;
      }
      this.actionError = `Couldn't delete “${target.name}”: ${problem.message}`;
      return false;
    }
  }
}
