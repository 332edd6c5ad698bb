import { describe, expect, it } from "vitest";
import { expiryBadge } from "./expiry";

describe("expiryBadge", () => {
  it("says nothing without a date or while more than 30 days are left", () => {
    expect(expiryBadge({ state: "no_date" }, null)).toBeNull();
    expect(expiryBadge({ state: "fine", days_left: 31 }, "2027-01-01")).toBeNull();
  });

  it("reminds in amber from 30 days ahead, counting the days left", () => {
    expect(expiryBadge({ state: "due_soon", days_left: 30 }, "2026-12-30")).toMatchObject({
      text: "Secret expires in 30 days",
      tone: "warning",
    });
    expect(expiryBadge({ state: "due_soon", days_left: 1 }, "2026-12-01")?.text).toBe("Secret expires in 1 day");
    expect(expiryBadge({ state: "due_soon", days_left: 0 }, "2026-11-30")?.text).toBe("Secret expires today");
    expect(expiryBadge({ state: "due_soon", days_left: 10 }, "2026-12-10")?.title).toContain("2026-12-10");
  });

  it("turns red once expired, saying the platform refuses sign-ins", () => {
    const badge = expiryBadge({ state: "expired", days_ago: 1 }, "2026-11-29");
    expect(badge).toMatchObject({ text: "Secret expired", tone: "danger" });
    expect(badge?.title).toContain("refuses");
  });
});
