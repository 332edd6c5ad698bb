// Human labels for "Test Configuration": outcomes, steps (as the Rust `StepName::label` names
// them, so the app, the CLI and the exported history read the same) and step statuses.
import type { StepName, StepStatus, TestOutcome } from "../ipc/types";

export const OUTCOME_LABELS: Record<TestOutcome, string> = {
  passed: "Passed",
  failed: "Failed",
  cancelled: "Cancelled",
  timed_out: "Timed out",
};

export const STEP_LABELS: Record<StepName, string> = {
  discovery: "Discovery",
  jwks: "Signing keys (JWKS)",
  authorization: "Authorization in the browser",
  redirect_received: "Redirect received",
  state_and_issuer: "State and issuer checks",
  code_exchange: "Code exchange",
  id_token_verification: "ID token verification",
  userinfo: "Userinfo",
};

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
