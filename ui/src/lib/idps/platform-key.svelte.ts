// The platform's public keys for an IdP's private_key_jwt client, as the synced backend shows
// them: what the admin registers at the IdP beside this computer's key, for customer sign-in.
// Invariants: only public material ever reaches this class (the platform's private key never
// leaves the platform); "sync not set up" and "not pushed yet" are states, not problems.
import { commands, toProblem } from "../ipc/commands";
import type { IdpId, PlatformKeyView, Problem } from "../ipc/types";

export class PlatformKey {
  view: PlatformKeyView | null = $state.raw(null);
  busy = $state(false);
  problem: Problem | null = $state.raw(null);

  constructor(private readonly id: IdpId) {}

  /** Asks the platform (again: after a push, the keys are there). */
  async load(): Promise<void> {
    this.busy = true;
    this.problem = null;
    try {
      this.view = await commands.platformPublicKey(this.id);
    } catch (error) {
      this.problem = toProblem(error);
    } finally {
      this.busy = false;
    }
  }
}
