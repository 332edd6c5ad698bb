// Notices about login callbacks the core refused (no pending login matched: a replayed or
// stale redirect, a login from a closed test). They inform and never block: the admin
// dismisses them, and only the latest few are kept.
import { listening, onCallbackRefused } from "../ipc/events";

export type RefusedCallback = { id: number; reason: string };

const KEEP = 3;

export class RefusedCallbacks {
  notices: RefusedCallback[] = $state.raw([]);
  #seq = 0;

  /** Starts listening; returns the teardown (for `$effect`). */
  listen(): () => void {
    return listening(onCallbackRefused(({ reason }) => this.add(reason)));
  }

  add(reason: string): void {
    this.notices = [...this.notices, { id: ++this.#seq, reason }].slice(-KEEP);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }
}
