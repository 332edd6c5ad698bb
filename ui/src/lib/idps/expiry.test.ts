import { describe, expect, it } from "vitest";
import { expiryBadge } from "./expiry";
import { summary } from "../../test/fixtures";

const reminder = "The client secret expires on 2026-12-10, in 10 days: create a new one …";

describe("expiryBadge", () => {
  it("says nothing without a date or while more than 30 days are left", () => {
    expect(expiryBadge(summary({ credential_expiry: { state: "no_date" } }))).toBeNull();
    expect(expiryBadge(summary({ credential_expiry: { state: "fine", days_left: 31 } }))).toBeNull();
  });

  it("reminds in amber from 30 days ahead, counting the days left, with the core's reminder as its title", () => {
    const due = (days_left: number) =>
      expiryBadge(summary({ credential_expiry: { state: "due_soon", days_left }, credential_reminder: reminder }));
    expect(due(30)).toEqual({ text: "Secret expires in 30 days", tone: "warning", title: reminder });
    expect(due(1)?.text).toBe("Secret expires in 1 day");
    expect(due(0)?.text).toBe("Secret expires today");
  });

  it("turns red once expired", () => {
    const badge = expiryBadge(summary({ credential_expiry: { state: "expired", days_ago: 1 }, credential_reminder: reminder }));
    expect(badge).toMatchObject({ text: "Secret expired", tone: "danger", title: reminder });
  });

  it("names the signing key for private_key_jwt", () => {
    const row = summary({ client_auth_method: "private_key_jwt", credential_expiry: { state: "due_soon", days_left: 3 } });
    expect(expiryBadge(row)?.text).toBe("Signing key expires in 3 days");
    expect(expiryBadge({ ...row, credential_expiry: { state: "expired", days_ago: 2 } })?.text).toBe("Signing key expired");
  });
});
