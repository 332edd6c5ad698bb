// Which screen is shown, and the guard that lets a screen with unsaved edits veto leaving it.
// Every navigation goes through `navigate`, so the guard covers Cancel and the app's nav alike.
import type { IdpId } from "../ipc/types";

export type Route =
  | { name: "list" }
  | { name: "add" }
  | { name: "edit"; id: IdpId }
  | { name: "pending" }
  | { name: "settings" };

/** Resolves true when leaving is fine (nothing to lose, or the admin chose to discard). */
export type LeaveGuard = () => Promise<boolean>;

export class Router {
  route: Route = $state({ name: "list" });
  /** A one-off confirmation for the next screen, e.g. "Saved “Okta”." */
  notice: string | null = $state(null);
  #guard: LeaveGuard | null = null;

  constructor(initial: Route = { name: "list" }) {
    this.route = initial;
  }

  /** Installs a guard; returns its removal (a no-op if another guard replaced it since). */
  guard(guard: LeaveGuard): () => void {
    this.#guard = guard;
    return () => {
      if (this.#guard === guard) this.#guard = null;
    };
  }

  /** Shows `to` unless the current screen's guard says no. `force` skips the guard (after a save). */
  async navigate(to: Route, options: { force?: boolean; notice?: string } = {}): Promise<boolean> {
    if (!options.force && this.#guard && !(await this.#guard())) return false;
    this.#guard = null;
    this.notice = options.notice ?? null;
    this.route = to;
    return true;
  }
}
