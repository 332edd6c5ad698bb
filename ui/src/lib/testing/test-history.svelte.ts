// The recorded test runs of one saved IdP (redacted by the core: claim values read
// "[redacted]"), and their export as a JSON file for a support ticket.
import { commands, toProblem } from "../ipc/commands";
import type { IdpId, Problem, TestReport } from "../ipc/types";

export class TestHistory {
  readonly id: IdpId;
  /** Newest first, as the core lists them. */
  runs: TestReport[] = $state.raw([]);
  loading = $state(false);
  loaded = $state(false);
  problem: Problem | null = $state(null);
  exporting = $state(false);
  /** Where the last export was written. */
  exportedTo: string | null = $state(null);
  exportProblem: Problem | null = $state(null);
  #seq = 0;

  constructor(id: IdpId) {
    this.id = id;
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    this.loading = true;
    this.problem = null;
    try {
      const runs = await commands.testHistory(this.id);
      if (seq !== this.#seq) return;
      this.runs = runs;
      this.loaded = true;
    } catch (error) {
      if (seq === this.#seq) this.problem = toProblem(error);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  async export(): Promise<boolean> {
    if (this.exporting) return false;
    this.exporting = true;
    this.exportedTo = null;
    this.exportProblem = null;
    try {
      this.exportedTo = await commands.exportTestHistory(this.id);
      return true;
    } catch (error) {
      this.exportProblem = toProblem(error);
      return false;
    } finally {
      this.exporting = false;
    }
  }
}
