// Words for the sync states and actions, shared by the list's badge and "Pending changes".
import type { ChangeState, FieldChange, SyncAction, SyncBadge } from "../ipc/types";

export const BADGE_LABELS: Record<SyncBadge, string> = {
  draft: "draft",
  pending: "pending",
  synced: "synced",
  conflict: "conflict",
  failed: "failed",
};

export const ACTION_LABELS: Record<SyncAction, string> = {
  create: "create",
  update: "update",
  delete: "delete",
  enable: "enable",
  disable: "disable",
  none: "none",
};

export const CHANGE_STATE_LABELS: Record<ChangeState, string> = {
  pending: "pending",
  failed: "failed",
  conflict: "conflict",
};

/**
 * How a field's change reads, in Pending changes and in an IdP's History; the secret only ever
 * as "changed"/"removed", whatever values arrive with it.
 */
export function fieldChangeText(change: FieldChange): string {
  if (change.field === "client_secret") return change.after === "removed" ? "removed" : "changed";
  const show = (v: string | null) => (v === null || v === "" ? "(empty)" : v);
  // A field the other side never had (a create): its value alone reads best.
  if (change.before === null) return show(change.after);
  if (change.after === null) return `${show(change.before)} → (none)`;
  return `${show(change.before)} → ${show(change.after)}`;
}
