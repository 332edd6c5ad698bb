// State of the "Pending changes" screen: the outbox, the plan (three-way when the backend
// answers, else against the last-synced copy only), the push, conflict resolution and the
// retry of a change the backend refused.
// Invariant: the local plan and the outbox load without the network, so the screen is useful
// offline; the backend's view replaces the local plan only when it arrives.
import { commands, toProblem } from "../ipc/commands";
import { onPushProgress, stopListening } from "../ipc/events";
import { checkImpacts } from "../idps/impact";
import type { IdpId, IdpImpact, PlanItem, Problem, PushProgress, PushReport, SyncChange, SyncPlan } from "../ipc/types";

export class PendingChanges {
  loadState: "loading" | "ready" | "failed" = $state("loading");
  loadProblem: Problem | null = $state(null);
  changes: SyncChange[] = $state.raw([]);
  plan: SyncPlan = $state.raw({ items: [] });
  /** True once the plan includes the backend's current copy. */
  remote = $state(false);
  /** Why the backend's copy is not in the plan (not set up, unreachable, key refused…). */
  remoteProblem: Problem | null = $state(null);
  pushing = $state(false);
  /** How far the running push has got; null until the core first says. */
  pushProgress: PushProgress | null = $state(null);
  pushReport: PushReport | null = $state(null);
  pushProblem: Problem | null = $state(null);
  /** IdPs whose conflict is being resolved. */
  resolving: IdpId | null = $state(null);
  resolveProblem: string | null = $state(null);
  /** The IdP whose failed changes are being made sendable again. */
  retrying: IdpId | null = $state(null);
  retryProblem: string | null = $state(null);

  /** What the outgoing deletes and disables affect (flows, Chat Desk extensions), by IdP. */
  impacts: Map<IdpId, IdpImpact> = $state.raw(new Map());

  readonly outgoing: PlanItem[] = $derived(this.plan.items.filter((i) => i.status === "outgoing"));
  readonly drift: PlanItem[] = $derived(this.plan.items.filter((i) => i.status === "drift"));
  readonly conflicts: PlanItem[] = $derived(this.plan.items.filter((i) => i.status === "conflict"));

  /**
   * The outbox change that decides an IdP's state: the failed or conflicting one its later
   * changes wait behind, else its newest, if it has any.
   */
  changeOf(id: IdpId): SyncChange | undefined {
    let found: SyncChange | undefined;
    for (const c of this.changes) {
      if (c.idp_id !== id) continue;
      if (c.state !== "pending") return c;
      found = c;
    }
    return found;
  }

  async load(): Promise<void> {
    try {
      const [changes, plan] = await Promise.all([commands.syncChanges(), commands.localSyncPlan()]);
      this.changes = changes;
      if (!this.remote) this.plan = plan;
      this.loadState = "ready";
    } catch (error) {
      this.loadProblem = toProblem(error);
      this.loadState = "failed";
      return;
    }
    await this.loadRemote();
    await this.loadImpacts();
  }

  /** Asks which flows use the IdPs the plan deletes or disables (the core says why if it can't). */
  async loadImpacts(): Promise<void> {
    const ids = this.outgoing
      .filter((i) => i.action === "delete" || i.action === "disable")
      .map((i) => i.idp_id);
    this.impacts = await checkImpacts(ids);
  }

  /** Asks the backend for its copy; on failure the local plan stays, with the reason shown. */
  async loadRemote(): Promise<void> {
    try {
      this.plan = await commands.syncPlan();
      this.remote = true;
      this.remoteProblem = null;
    } catch (error) {
      this.remote = false;
      this.remoteProblem = toProblem(error);
    }
  }

  async push(): Promise<void> {
    if (this.pushing) return;
    this.pushing = true;
    this.pushProgress = null;
    this.pushReport = null;
    this.pushProblem = null;
    // Listening starts before the push, so its first count is not missed.
    const listening = onPushProgress((progress) => {
      if (this.pushing) this.pushProgress = progress;
    }).catch(() => null);
    const unlisten = await listening;
    try {
      this.pushReport = await commands.syncPush();
    } catch (error) {
      this.pushProblem = toProblem(error);
    } finally {
      this.pushing = false;
      this.pushProgress = null;
      if (unlisten) stopListening(unlisten);
    }
    this.remote = false;
    await this.load();
  }

  async resolve(id: IdpId, keepMine: boolean): Promise<void> {
    if (this.resolving !== null) return;
    this.resolving = id;
    this.resolveProblem = null;
    try {
      const report = await commands.resolveConflict(id, keepMine);
      if (report) this.pushReport = report;
    } catch (error) {
      this.resolveProblem = toProblem(error).message;
    } finally {
      this.resolving = null;
    }
    this.remote = false;
    await this.load();
  }

  /**
   * Makes the IdP's refused changes sendable again (after the admin fixed the IdP); the next
   * push sends them under new keys. The plan reloads either way.
   */
  async retry(id: IdpId): Promise<void> {
    if (this.retrying !== null) return;
    this.retrying = id;
    this.retryProblem = null;
    try {
      await commands.retryFailedChanges(id);
    } catch (error) {
      this.retryProblem = toProblem(error).message;
    } finally {
      this.retrying = null;
    }
    this.remote = false;
    await this.load();
  }
}

/** The push's result in one sentence. */
/** Whether a push left nothing behind: no conflict, no failure, nothing waiting. */
export function isComplete(report: PushReport): boolean {
  return report.conflicts.length + report.failed.length + report.waiting.length === 0;
}

export function describeReport(report: PushReport): string {
  const parts: string[] = [];
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? "" : "s"}`;
  parts.push(`${n(report.pushed.length, "change")} pushed`);
  if (report.conflicts.length > 0) parts.push(`${n(report.conflicts.length, "conflict")} to resolve`);
  if (report.failed.length > 0) parts.push(`${report.failed.length} refused by the backend`);
  if (report.waiting.length > 0) parts.push(`${report.waiting.length} waiting`);
  return `${parts.join(", ")}.`;
}
