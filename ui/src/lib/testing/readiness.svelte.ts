// "Check readiness": what would stop a test login, checked by the core without opening the
// browser, for the draft as it was when checked.
// Invariant: only the answer to the latest check is kept (an older one arriving late is dropped).
import { commands, toProblem } from "../ipc/commands";
import type { Problem, ReadinessReport, StartTestRequest } from "../ipc/types";

export class Readiness {
  checking = $state(false);
  report: ReadinessReport | null = $state.raw(null);
  /** A failure that names no field (field errors go to the form). */
  problem: Problem | null = $state(null);
  #seq = 0;

  /** Returns the problem when the check could not run, so the caller can mark fields. */
  async check(request: StartTestRequest): Promise<Problem | null> {
    const seq = ++this.#seq;
    this.checking = true;
    this.problem = null;
    try {
      const report = await commands.checkReadiness(request);
      if (seq === this.#seq) this.report = report;
      return null;
    } catch (error) {
      const problem = toProblem(error);
      if (seq === this.#seq) {
        this.report = null;
        if (!(problem.code === "validation" && problem.fields.length > 0)) this.problem = problem;
      }
      return problem;
    } finally {
      if (seq === this.#seq) this.checking = false;
    }
  }

  clear(): void {
    this.#seq += 1;
    this.checking = false;
    this.report = null;
    this.problem = null;
  }
}
