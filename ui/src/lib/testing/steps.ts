// The test panel's checklist: every step of the protocol in order, each with what the core
// reported about it. Pure, so it is recomputed from each progress event.
import type { Step, StepName } from "../ipc/types";
import { STEP_LABELS, type ItemStatus } from "./labels";

/** Protocol order: the order the core runs them in. */
export const STEP_ORDER: readonly StepName[] = [
  "discovery",
  "jwks",
  "pushed_authorization",
  "authorization",
  "redirect_received",
  "state_and_issuer",
  "code_exchange",
  "id_token_verification",
  "userinfo",
];

/**
 * Steps the core reports only when they happen: the push of an IdP that advertises PAR
 * (RFC 9126). An IdP without it has no such step, rather than one that never runs.
 */
const ONLY_WHEN_REPORTED: ReadonlySet<StepName> = new Set(["pushed_authorization"]);

export type ChecklistItem = {
  name: StepName;
  label: string;
  status: ItemStatus;
  /** Null while the step runs or hasn't. */
  ms: number | null;
  detail: string;
};

/**
 * The eight steps in protocol order, and the PAR push when reported. A step the core hasn't
 * reported is "pending" while the run goes on and "not run" once it has ended (a failure stops
 * the run early). The core also reports steps that don't apply (e.g. JWKS for OAuth 2.0), as
 * skipped.
 */
export function checklist(steps: readonly Step[], ended: boolean): ChecklistItem[] {
  const shown = STEP_ORDER.filter((name) => !ONLY_WHEN_REPORTED.has(name) || steps.some((s) => s.name === name));
  return shown.map((name) => {
    const step = steps.find((s) => s.name === name);
    if (!step) return { name, label: STEP_LABELS[name], status: ended ? "not_run" : "pending", ms: null, detail: "" };
    return {
      name,
      label: STEP_LABELS[name],
      status: step.status,
      ms: step.status === "running" ? null : step.ms,
      detail: step.detail,
    };
  });
}

/** How long a run took: the sum of its steps' times. */
export function totalMs(steps: readonly Step[]): number {
  return steps.reduce((sum, s) => sum + s.ms, 0);
}

/** True while the login waits for the admin in the system browser. */
export function waitingForBrowser(steps: readonly Step[]): boolean {
  return steps.some((s) => s.name === "authorization" && s.status === "running");
}
