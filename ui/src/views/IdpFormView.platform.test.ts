// "Test on the platform" from a saved IdP's form: refused until the IdP is pushed, with "Push
// now", which pushes and then runs the test; a draft that was never saved cannot be tested.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { PlatformTestReport } from "../lib/ipc/types";
import { Router } from "../lib/nav/router.svelte";
import { config, mockCore, passedSteps, problem } from "../test/fixtures";
import IdpFormView from "./IdpFormView.svelte";

const URI = "http://127.0.0.1:8787/v1/oauth/callback";

const passed: PlatformTestReport = {
  test_id: "00000000-0000-4000-8000-000000000001",
  request_id: "00000000-0000-4000-8000-000000000002",
  idp_id: config().id,
  idp_name: "Okta",
  started_at: "2025-01-02T10:00:00Z",
  finished_at: "2025-01-02T10:00:05Z",
  outcome: "passed",
  redirect_uri: URI,
  steps: passedSteps(),
  failed_step: null,
  error: null,
  customer_id: "alice@example.com",
  claims: {},
  explanation: null,
};

function renderForm(id: string | null) {
  const router = new Router(id === null ? { name: "add" } : { name: "edit", id });
  render(IdpFormView, { router, id });
}

describe("IdpFormView: Test on the platform", () => {
  it("offers Push now when the IdP is not pushed, then tests it", async () => {
    let pushed = false;
    const calls = mockCore({
      get_idp: () => config(),
      platform_info: () => ({ redirect_uri: URI, link_base: "http://127.0.0.1:8787/l/" }),
      test_on_platform: () => {
        if (!pushed) throw problem("not_pushed", '"Okta" changed here since it was last pushed. Push first.');
        return passed;
      },
      sync_push: () => {
        pushed = true;
        return { pushed: [config().id], conflicts: [], failed: [], waiting: [] };
      },
    });
    renderForm(config().id);
    await screen.findByRole("heading", { name: "Edit Okta" });
    expect(await screen.findByRole("textbox", { name: "Platform redirect URI" })).toHaveValue(URI);

    await userEvent.click(screen.getByRole("button", { name: "Test on the platform" }));
    expect(await screen.findByText(/changed here since it was last pushed/)).toBeInTheDocument();
    expect(screen.queryByRole("dialog", { name: /Test on the platform/ })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Push now" }));
    const dialog = await screen.findByRole("dialog", { name: "Test on the platform: Okta" });
    expect(await within(dialog).findByText("Verified on the platform")).toBeInTheDocument();
    expect(calls.map((c) => c.cmd).filter((c) => c === "sync_push" || c === "test_on_platform")).toEqual([
      "test_on_platform",
      "sync_push",
      "test_on_platform",
    ]);
    expect(calls.filter((c) => c.cmd === "test_on_platform").every((c) => c.args.id === config().id)).toBe(true);

    await userEvent.click(within(dialog).getByRole("button", { name: "Close" }));
    expect(screen.queryByRole("dialog", { name: /Test on the platform/ })).not.toBeInTheDocument();
  });

  it("is not offered for an IdP that was never saved", async () => {
    mockCore({
      platform_info: () => {
        throw problem("sync_not_configured", "Sync is not set up.");
      },
    });
    renderForm(null);
    expect(await screen.findByRole("button", { name: "Test on the platform" })).toBeDisabled();
    expect(screen.getByText("Save and push the identity provider to test it on the platform.")).toBeInTheDocument();
    expect(await screen.findByText(/Set up sync in Settings/)).toBeInTheDocument();
  });
});
