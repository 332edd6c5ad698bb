// The impact of disabling or deleting an IdP: which chat flows and Chat Desk extensions use it,
// as the core asked the backend (`idp_impact`). The sentence shown is the core's `summary`.
// Invariant: a check never stands in the admin's way: when it cannot be made, the action goes
// on (the dialogs say why usage is unknown).
import { commands } from "../ipc/commands";
import type { IdpId, IdpImpact } from "../ipc/types";

/** The impact of disabling or deleting `id`; null only when the core itself could not be asked. */
export async function checkImpact(id: IdpId): Promise<IdpImpact | null> {
  try {
    const [found] = await commands.idpImpact([id]);
    return found ?? null;
  } catch {
    return null;
  }
}

/** The impact of each of `ids`, by IdP; empty when the core could not be asked. */
export async function checkImpacts(ids: IdpId[]): Promise<Map<IdpId, IdpImpact>> {
  if (ids.length === 0) return new Map();
  try {
    return new Map((await commands.idpImpact(ids)).map((i) => [i.idp_id, i]));
  } catch {
    return new Map();
  }
}

/** Whether flows or extensions are known to use the IdP. */
export function isUsed(impact: IdpImpact | null): boolean {
  return impact?.check.state === "checked" && impact.check.usages.length > 0;
}

/** Whether a disable asks first: the core's rule (`IdpImpact.disable_asks_first`). */
export function disableNeedsConfirmation(impact: IdpImpact | null): boolean {
  return impact?.disable_asks_first ?? false;
}
