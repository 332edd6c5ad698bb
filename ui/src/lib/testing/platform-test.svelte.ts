// One "Test on the platform" of a saved IdP, as the form shows it. The core runs the whole test
// in one command (`test_on_platform`), which answers with the report once the browser came back
// to the app's deep link, the test timed out, or it was cancelled.
// Invariants:
// - A test that cannot start because the IdP is not pushed (or changed since) is a
//   `not_pushed` problem: `needsPush` offers "Push now", which pushes and, when that left
//   nothing of this IdP behind, starts the test again.
// - The report lives in this object only; nothing here stores it.
import { commands, toProblem } from "../ipc/commands";
import type { IdpId, PlatformTestReport, Problem } from "../ipc/types";

export class PlatformTest {
  readonly idpId: IdpId;
  readonly idpName: string;
  running = $state(false);
  report: PlatformTestReport | null = $state.raw(null);
  problem: Problem | null = $state.raw(null);
  pushing = $state(false);
  cancelling = $state(false);

  constructor(idpId: IdpId, idpName: string) {
    this.idpId = idpId;
    this.idpName = idpName;
  }

  /** The IdP must be pushed before the platform can test it. */
  get needsPush(): boolean {
    return this.problem?.code === "not_pushed";
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.problem = null;
    this.report = null;
    try {
      this.report = await commands.testOnPlatform(this.idpId);
    } catch (error) {
      this.problem = toProblem(error);
    } finally {
      this.running = false;
    }
  }

  async cancel(): Promise<void> {
    if (!this.running || this.cancelling) return;
    this.cancelling = true;
    try {
      await commands.cancelPlatformTest(this.idpId);
    } catch (error) {
      this.problem = toProblem(error);
    } finally {
      this.cancelling = false;
    }
  }

  /** Pushes every pending change, then tests again if this IdP is now pushed. */
  async pushNow(): Promise<void> {
    if (this.pushing) return;
    this.pushing = true;
    try {
      const pushed = await commands.syncPush();
      const left = [...pushed.conflicts, ...pushed.failed, ...pushed.waiting];
      if (left.includes(this.idpId)) {
        this.problem = {
          code: "not_pushed",
          message: `The push did not go through for "${this.idpName}": see Pending changes.`,
          fields: [],
        };
        return;
      }
    } catch (error) {
      this.problem = toProblem(error);
      return;
    } finally {
      this.pushing = false;
    }
    await this.start();
  }
}
