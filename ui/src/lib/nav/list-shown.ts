// The start-up mark: once per run, when the IdP list (the first screen) has been painted with
// its rows, the shell is told (`list_shown`, a fixed line on stderr that `make bench` times from
// exec). Invariant: at most one call per run, made after a paint, carrying no data; a failure is
// ignored (the mark is only for measuring).
import { tick } from "svelte";
import { commands } from "../ipc/commands";

let told = false;

/** Resolves at the next animation frame. */
const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

/**
 * Call when the list's rows are in the state: after Svelte's DOM update, the first frame
 * callback runs before the paint that shows them and the second one after it.
 */
export async function markListShown(): Promise<void> {
  if (told) return;
  told = true;
  await tick();
  await frame();
  await frame();
  try {
    await commands.listShown();
  } catch {
    // Only the benchmark reads the mark: nothing for the admin to do.
  }
}
