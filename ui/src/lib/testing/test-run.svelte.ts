// One "Test Configuration" run as the test panel shows it: the steps the core reports as it
// goes, and the final report.
// Invariants:
// - It listens from just before `start_test_login` until `dispose`, and only to its own run:
//   the core starts the run before it answers with the run id, so events that arrive in
//   between are held and replayed once the id is known; events of other runs are ignored.
// - The finished report carries the verified identity with its claim values. It lives in this
//   object only: nothing here stores it, and it goes when the panel drops the run.
// - Disposing a run that is still going cancels it: nobody is left to see its result.
import { commands, toProblem } from "../ipc/commands";
import { onTestFinished, onTestProgress, stopListening, type TestProgress } from "../ipc/events";
import type { IdpId, Problem, StartTestRequest, Step, TestReport } from "../ipc/types";
import { savedTestRequest } from "./request";
import { checklist, waitingForBrowser, type ChecklistItem } from "./steps";

export type TestRunOptions = {
  /** Called once with the report, e.g. to refresh the list's "Last test" column. */
  onfinished?: (report: TestReport) => void;
};

/** What the core said to a cancel that arrived before the run's report. */
export type CancelAnswer = "cancelled" | "already_ended";

type Held = { steps?: Step[]; report?: TestReport };

export class TestRun {
  /** The IdP's name when the test started (a draft may be renamed meanwhile). */
  readonly idpName: string;
  runId: string | null = $state(null);
  steps: Step[] = $state.raw([]);
  report: TestReport | null = $state.raw(null);
  cancelling = $state(false);
  /** Set when a cancel was answered before the report arrived; the report may still follow. */
  cancelAnswer: CancelAnswer | null = $state(null);
  cancelError: string | null = $state(null);

  readonly #onfinished: ((report: TestReport) => void) | undefined;
  #unlisten: (() => void)[] = [];
  #held = new Map<string, Held>();
  #started = false;
  #disposed = false;

  constructor(idpName: string, options: TestRunOptions = {}) {
    this.idpName = idpName;
    this.#onfinished = options.onfinished;
  }

  /** Started, and neither finished nor cancelled: the panel offers Cancel only. */
  get running(): boolean {
    return this.runId !== null && this.report === null && this.cancelAnswer === null;
  }

  get ended(): boolean {
    return this.report !== null || this.cancelAnswer !== null;
  }

  get checklist(): ChecklistItem[] {
    return checklist(this.steps, this.ended);
  }

  get waitingForBrowser(): boolean {
    return this.running && waitingForBrowser(this.steps);
  }

  /**
   * Listens, then asks the core to start. Returns null once the run is under way, else the
   * problem (a `validation` problem names the fields at fault); a failed start listens no more.
   */
  async start(request: StartTestRequest): Promise<Problem | null> {
    if (this.#started || this.#disposed) return { code: "internal", message: "This test has already started.", fields: [] };
    this.#started = true;
    const listeners = await Promise.allSettled([
      onTestProgress((p) => this.#progress(p)),
      onTestFinished((r) => this.#finished(r)),
    ]);
    for (const l of listeners) if (l.status === "fulfilled") this.#unlisten.push(l.value);
    const refused = listeners.find((l) => l.status === "rejected");
    if (refused) {
      this.dispose();
      return { ...toProblem(refused.reason), message: `Can't follow the test's progress: ${toProblem(refused.reason).message}` };
    }
    try {
      const runId = await commands.startTestLogin(request);
      this.runId = runId;
      const held = this.#held.get(runId);
      this.#held.clear();
      if (held?.steps) this.steps = held.steps;
      if (held?.report) this.#finish(held.report);
      // Dropped while the core was starting it: stop it now that it can be named.
      if (this.#disposed && this.report === null) void commands.cancelTestLogin(runId).catch(() => {});
      return null;
    } catch (error) {
      this.dispose();
      return toProblem(error);
    }
  }

  #progress(progress: TestProgress): void {
    if (this.runId === null) {
      this.#hold(progress.run_id).steps = progress.steps;
      return;
    }
    if (progress.run_id !== this.runId || this.report !== null) return;
    this.steps = progress.steps;
  }

  #finished(report: TestReport): void {
    if (this.runId === null) {
      this.#hold(report.run_id).report = report;
      return;
    }
    if (report.run_id !== this.runId || this.report !== null) return;
    this.#finish(report);
  }

  #hold(runId: string): Held {
    let held = this.#held.get(runId);
    if (!held) this.#held.set(runId, (held = {}));
    return held;
  }

  #finish(report: TestReport): void {
    this.report = report;
    this.steps = report.steps;
    this.#onfinished?.(report);
  }

  /** Asks the core to stop the run; its report (outcome "cancelled") follows as an event. */
  async cancel(): Promise<void> {
    const runId = this.runId;
    if (runId === null || !this.running || this.cancelling) return;
    this.cancelling = true;
    this.cancelError = null;
    try {
      const cancelled = await commands.cancelTestLogin(runId);
      if (this.report === null) this.cancelAnswer = cancelled ? "cancelled" : "already_ended";
    } catch (error) {
      this.cancelError = `Couldn't cancel the test: ${toProblem(error).message}`;
    } finally {
      this.cancelling = false;
    }
  }

  /** Stops listening (and cancels a run still going). Safe to call more than once. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const unlisten of this.#unlisten) stopListening(unlisten);
    this.#unlisten = [];
    this.#held.clear();
    if (this.runId !== null && this.running) void commands.cancelTestLogin(this.runId).catch(() => {});
  }
}

export type SavedTestStart = { run: TestRun } | { problem: Problem; name: string | null };

/**
 * Tests a saved IdP as stored (the list's row action): reads it, then starts a run with its
 * stored secret. The problem says why it couldn't start; `name` is the IdP's, if it was read.
 */
export async function startSavedTest(id: IdpId, options: TestRunOptions = {}): Promise<SavedTestStart> {
  let name: string | null = null;
  try {
    const config = await commands.getIdp(id);
    name = config.name;
    const run = new TestRun(config.name, options);
    const problem = await run.start(savedTestRequest(config));
    return problem ? { problem, name } : { run };
  } catch (error) {
    return { problem: toProblem(error), name };
  }
}
