// The events the Rust core sends to the window, one typed listener per event, so no component
// spells an event name. The names and payloads match the `*_EVENT` constants of src-tauri/app
// (test_login.rs, commands/sync.rs).
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { PushProgress, Step, TestReport } from "./bindings";

/** The whole step list of a run, after each change. */
export type TestProgress = { run_id: string; steps: Step[] };
/** A login callback arrived that matched no pending login (a replay, a stale tab…). */
export type CallbackRefused = { reason: string };

type Payloads = {
  "test-run://progress": TestProgress;
  /** The finished run, with the full identity (claim values): show it, never store it. */
  "test-run://finished": TestReport;
  "test-run://callback-refused": CallbackRefused;
  /** How far a push has got, after each change it deals with. */
  "sync://push-progress": PushProgress;
};

/** Resolves once the core delivers `event` to `handler`; the result stops listening. */
function on<E extends keyof Payloads>(event: E, handler: (payload: Payloads[E]) => void): Promise<UnlistenFn> {
  return listen<Payloads[E]>(event, (e) => handler(e.payload));
}

export function onTestProgress(handler: (progress: TestProgress) => void): Promise<UnlistenFn> {
  return on("test-run://progress", handler);
}

export function onTestFinished(handler: (report: TestReport) => void): Promise<UnlistenFn> {
  return on("test-run://finished", handler);
}

export function onCallbackRefused(handler: (refusal: CallbackRefused) => void): Promise<UnlistenFn> {
  return on("test-run://callback-refused", handler);
}

export function onPushProgress(handler: (progress: PushProgress) => void): Promise<UnlistenFn> {
  return on("sync://push-progress", handler);
}

/** Stops a listener, whatever the (already gone) backend says about it. */
export function stopListening(unlisten: UnlistenFn): void {
  try {
    // Tauri's unlisten is async despite its type; a rejection here has no one to tell.
    void Promise.resolve(unlisten() as unknown).catch(() => {});
  } catch {
    /* already stopped */
  }
}

/**
 * A listener as a synchronous teardown, for `$effect`: stops it even when the teardown runs
 * before `listen` has resolved (a component unmounted at once).
 */
export function listening(started: Promise<UnlistenFn>): () => void {
  let stop: UnlistenFn | null = null;
  let stopped = false;
  started
    .then((unlisten) => {
      if (stopped) stopListening(unlisten);
      else stop = unlisten;
    })
    .catch((error: unknown) => console.warn("Could not listen to the core's events.", error));
  return () => {
    stopped = true;
    if (stop) stopListening(stop);
    stop = null;
  };
}
