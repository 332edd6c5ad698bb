// Guards closing the app window while there are unsaved edits. `beforeunload` does not fire
// when a Tauri window is closed, so this listens for Tauri's close request instead.
// Needs the `core:window:allow-destroy` permission to close the window after the admin
// agrees; without it the guard steps aside, so the next close request goes through.
import { isTauri } from "@tauri-apps/api/core";
import { getCurrentWindow } from "@tauri-apps/api/window";

/** Installs the guard (a no-op outside Tauri, e.g. in tests); returns its removal. */
export function guardWindowClose(mayClose: () => Promise<boolean>): () => void {
  if (!isTauri()) return () => {};
  const win = getCurrentWindow();
  let unlisten: (() => void) | null = null;
  let removed = false;

  void win
    .onCloseRequested(async (event) => {
      event.preventDefault();
      if (!(await mayClose())) return;
      unlisten?.();
      unlisten = null;
      try {
        await win.destroy();
      } catch (error) {
        console.warn("Could not close the window; the next close request will.", error);
      }
    })
    .then((stop) => {
      if (removed) stop();
      else unlisten = stop;
    })
    .catch((error: unknown) => console.warn("Could not guard the window against closing.", error));

  return () => {
    removed = true;
    unlisten?.();
    unlisten = null;
  };
}
