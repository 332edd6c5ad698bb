// "Start from": the preset an admin adding an IdP starts from, its parameter values, and its
// hints.
// Invariants: the presets are the core's (`PRESETS` in the bindings, from presets.json); the
// fill is the core's too (`fill_from_preset`, the function `eca idp add --preset` uses), so a
// parameter is checked in one place. Filling writes the draft's fields; the admin may edit them
// all afterwards.
import { PRESETS } from "../ipc/bindings";
import { commands, toProblem } from "../ipc/commands";
import type { PresetFill } from "../ipc/types";

/** A preset as the bindings carry it (Rust's `preset::Preset`, a read-only constant). */
export type Preset = {
  readonly id: string;
  readonly name: string;
  readonly redirect: "any" | "loopback_only";
  readonly hints: readonly string[];
  readonly params: readonly {
    readonly name: string;
    readonly label: string;
    readonly example: string;
    readonly help: string;
  }[];
};

/** Every preset, in the order "Start from" lists them. */
export const PRESET_LIST: readonly Preset[] = PRESETS;

export class StartFrom {
  /** The chosen preset's id; "" before a choice. */
  presetId = $state("");
  /** The chosen preset's parameter values, as typed. */
  params: Record<string, string> = $state({});
  /** Why the last fill was refused (a parameter missing or not in its form). */
  problem: string | null = $state(null);
  filling = $state(false);
  /** Whether the draft holds what the chosen preset filled. */
  filled = $state(false);

  readonly #apply: (fill: PresetFill) => void;

  constructor(apply: (fill: PresetFill) => void) {
    this.#apply = apply;
  }

  get preset(): Preset | null {
    return PRESET_LIST.find((p) => p.id === this.presetId) ?? null;
  }

  /** The chosen IdP refuses the app's private-use scheme: only the loopback redirect works. */
  get loopbackOnly(): boolean {
    return this.preset?.redirect === "loopback_only";
  }

  /** Chooses a preset; one that needs no parameter fills the form at once. */
  async choose(id: string): Promise<void> {
    this.presetId = id;
    this.problem = null;
    this.filled = false;
    this.params = Object.fromEntries((this.preset?.params ?? []).map((p) => [p.name, ""]));
    if (this.preset && this.preset.params.length === 0) await this.fill();
  }

  /**
   * A saved IdP: the preset its issuer belongs to, if any (the core reads it back from the
   * issuer), so its hints show again. Feedback only: a failure leaves none chosen.
   */
  async recognise(issuer: string): Promise<void> {
    try {
      this.presetId = (await commands.recognisePreset(issuer)) ?? "";
    } catch {
      /* hints only */
    }
  }

  /** Fills the form from the chosen preset and its parameters; false when refused. */
  async fill(): Promise<boolean> {
    if (!this.preset) return false;
    this.filling = true;
    this.problem = null;
    try {
      this.#apply(await commands.fillFromPreset(this.presetId, { ...this.params }));
      this.filled = true;
      return true;
    } catch (error) {
      this.problem = toProblem(error).message;
      return false;
    } finally {
      this.filling = false;
    }
  }
}
