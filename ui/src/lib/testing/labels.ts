// Human labels for "Test Configuration": outcomes, steps (as the Rust `StepName::label` names
// them, so the app, the CLI and the exported history read the same) and step statuses.
import { STEP_LABELS as GENERATED_STEP_LABELS } from "../ipc/bindings";
import type { StepName, StepStatus, TestOutcome } from "../ipc/types";

export const OUTCOME_LABELS: Record<TestOutcome, string> = {
  passed: "Passed",
  failed: "Failed",
  cancelled: "Cancelled",
  timed_out: "Timed out",
};

/** From the Rust `StepName::label`. */
export const STEP_LABELS: Readonly<Record<StepName, string>> = GENERATED_STEP_LABELS;

/** A step's state in the checklist: what the core reported, or not reached (yet). */
export type ItemStatus = StepStatus | "pending" | "not_run";

export const STATUS_LABELS: Record<ItemStatus, string> = {
  running: "Running…",
  passed: "Passed",
  warning: "Warning",
  failed: "Failed",
  skipped: "Skipped",
  pending: "Pending",
  not_run: "Not run",
};
