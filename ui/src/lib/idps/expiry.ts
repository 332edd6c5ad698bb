// The list's reminder of a client credential's expiry, from the state the core computed
// (eca_model::credential_expiry, the one rule): amber from 30 days ahead, red once expired.
import type { CredentialExpiry } from "../ipc/types";

export type ExpiryBadge = { text: string; tone: "warning" | "danger"; title: string };

/** The badge a list row shows, or null while no reminder is due. */
export function expiryBadge(expiry: CredentialExpiry, expiresOn: string | null): ExpiryBadge | null {
  const on = expiresOn ?? "";
  switch (expiry.state) {
    case "due_soon": {
      const days = expiry.days_left;
      const when = days === 0 ? "today" : `in ${days} day${days === 1 ? "" : "s"}`;
      return {
        text: `Secret expires ${when}`,
        tone: "warning",
        title: `The client secret expires on ${on}. Create a new one at the identity provider, enter it with its expiry date, and push it before then.`,
      };
    }
    case "expired":
      return {
        text: "Secret expired",
        tone: "danger",
        title: `The client secret expired on ${on}: the platform refuses customer sign-ins with it. Create a new one at the identity provider, enter it with its expiry date, and push it.`,
      };
    default:
      return null;
  }
}
