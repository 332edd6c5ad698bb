// The list's reminder of a client credential's expiry, from what the core computed
// (eca_model::credential_expiry, the one rule): amber from 30 days ahead, red once expired. The
// badge names the credential (secret or signing key); its title is the core's reminder text.
import type { IdpSummary } from "../ipc/types";

export type ExpiryBadge = { text: string; tone: "warning" | "danger"; title: string };

type ExpiryOf = Pick<IdpSummary, "credential_expiry" | "client_auth_method" | "credential_reminder">;

/** The badge a list row shows, or null while no reminder is due. */
export function expiryBadge(row: ExpiryOf): ExpiryBadge | null {
  const what = row.client_auth_method === "private_key_jwt" ? "Signing key" : "Secret";
  const title = row.credential_reminder ?? "";
  const expiry = row.credential_expiry;
  switch (expiry.state) {
    case "due_soon": {
      const days = expiry.days_left;
      const when = days === 0 ? "today" : `in ${days} day${days === 1 ? "" : "s"}`;
      return { text: `${what} expires ${when}`, tone: "warning", title };
    }
    case "expired":
      return { text: `${what} expired`, tone: "danger", title };
    default:
      return null;
  }
}
