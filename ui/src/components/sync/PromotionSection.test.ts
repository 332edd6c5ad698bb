// "Promote" in Pending changes against a mocked core: each IdP's eligibility with the reason of a
// refusal, the promotion of the eligible ones, and a button that stays off when none is.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Promotion, PromotionItem } from "../../lib/ipc/types";
import { mockCore } from "../../test/fixtures";
import PromotionSection from "./PromotionSection.svelte";

const ready: PromotionItem = {
  idp_id: "00000000-0000-4000-8000-000000000001",
  idp_name: "Acme Okta",
  refusal: null,
  reason: null,
  on_target: false,
};
const edited: PromotionItem = {
  idp_id: "00000000-0000-4000-8000-000000000002",
  idp_name: "Edited",
  refusal: "edited_since_test",
  reason: '"Edited" was not tested on sandbox since it was last edited: push and test it on the platform there again.',
  on_target: true,
};
const plan = (items: PromotionItem[]): Promotion => ({ from: "sandbox", to: "production", items });

describe("PromotionSection", () => {
  it("shows each IdP's eligibility and promotes the eligible ones", async () => {
    const calls = mockCore({
      promotion_plan: () => plan([ready, edited]),
      promote: () => ({
        promotion: plan([{ ...ready, on_target: true }, edited]),
        push: { pushed: [ready.idp_id], conflicts: [], failed: [], waiting: [] },
      }),
    });
    render(PromotionSection);
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Check what can be promoted" }));

    const refused = await screen.findByRole("listitem", { name: "Edited" });
    expect(within(refused).getByText(/not tested on sandbox since it was last edited/)).toBeInTheDocument();
    expect(within(screen.getByRole("listitem", { name: "Acme Okta" })).getByText("Ready (new)")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Promote to production" }));
    expect(await screen.findByText("Promoted 1 IdP(s) to production.")).toBeInTheDocument();
    expect(calls.find((c) => c.cmd === "promote")?.args).toEqual({ to: null, ids: [] });
    expect(within(screen.getByRole("listitem", { name: "Acme Okta" })).getByText("Ready (update)")).toBeInTheDocument();
  });

  it("offers no promotion when every IdP is refused", async () => {
    mockCore({ promotion_plan: () => plan([edited]) });
    render(PromotionSection);
    await userEvent.setup().click(screen.getByRole("button", { name: "Check what can be promoted" }));
    expect(await screen.findByRole("button", { name: "Promote to production" })).toBeDisabled();
  });
});
