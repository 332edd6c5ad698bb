// The audit history of one saved IdP: each creation, edit, toggle and import, newest first, as
// the core recorded it in the same transaction as the change. The core records the client
// secret only as "changed" or "removed", never its value.
import { commands, toProblem } from "../ipc/commands";
import type { AuditEntry, IdpId, Problem } from "../ipc/types";

export class IdpHistory {
  readonly id: IdpId;
  /** Newest first, as the core lists them. */
  entries: AuditEntry[] = $state.raw([]);
  loaded = $state(false);
  problem: Problem | null = $state(null);
  #seq = 0;

  constructor(id: IdpId) {
    this.id = id;
  }

  /** (Re)loads the entries; an answer overtaken by a later load is dropped. */
  async load(): Promise<void> {
    const seq = ++this.#seq;
    this.problem = null;
    try {
      const entries = await commands.idpHistory(this.id);
      if (seq !== this.#seq) return;
      this.entries = entries;
      this.loaded = true;
    } catch (error) {
      if (seq === this.#seq) this.problem = toProblem(error);
    }
  }
}
