// The public half of an IdP's private_key_jwt signing key, as the form shows it.
// Invariants: only public material ever reaches this class (the core returns the JWK, JWKS and
// certificate, never the private key); a key is made only when the admin presses
// "Generate key" or "Replace key".
import { commands, toProblem } from "../ipc/commands";
import type { IdpId, Problem, PublicKeyView } from "../ipc/types";

export class SigningKey {
  view: PublicKeyView | null = $state.raw(null);
  loaded = $state(false);
  busy = $state(false);
  problem: Problem | null = $state.raw(null);

  constructor(private readonly id: IdpId) {}

  async load(): Promise<void> {
    await this.#run(async () => {
      this.view = await commands.idpPublicKey(this.id);
    });
    this.loaded = true;
  }

  /** Makes the key (or a new one in place of the old, which the IdP must then forget). */
  async generate(replace: boolean): Promise<void> {
    await this.#run(async () => {
      this.view = await commands.generateIdpKey(this.id, replace);
    });
  }

  async #run(step: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.problem = null;
    try {
      await step();
    } catch (error) {
      this.problem = toProblem(error);
    } finally {
      this.busy = false;
    }
  }
}
