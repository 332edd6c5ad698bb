// The shell's navigation between the three sections, by keyboard too.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { Router } from "./lib/nav/router.svelte";
import { mockCore, problem } from "./test/fixtures";

describe("App", () => {
  it("moves between Identity providers, Pending changes and Settings", async () => {
    mockCore({
      list_idps: () => [],
      sync_states: () => [],
      sync_changes: () => [],
      local_sync_plan: () => ({ items: [] }),
      sync_plan: () => {
        throw problem("sync_not_configured", "Sync is not set up.");
      },
      get_sync_settings: () => ({ settings: null, has_api_key: false }),
    });
    const router = new Router();
    render(App, { router });
    const nav = screen.getByRole("navigation", { name: "Main" });
    const user = userEvent.setup();

    await user.click(within(nav).getByRole("button", { name: "Pending changes" }));
    expect(await screen.findByRole("heading", { name: "Pending changes" })).toBeInTheDocument();
    expect(within(nav).getByRole("button", { name: "Pending changes" })).toHaveAttribute("aria-current", "page");
    expect(within(nav).getByRole("button", { name: "Identity providers" })).not.toHaveAttribute("aria-current");

    // Keyboard: the nav buttons are in the tab order and work with Enter.
    within(nav).getByRole("button", { name: "Settings" }).focus();
    await user.keyboard("{Enter}");
    expect(await screen.findByRole("heading", { name: "Settings" })).toBeInTheDocument();
    expect(router.route).toEqual({ name: "settings" });

    await user.click(within(nav).getByRole("button", { name: "Identity providers" }));
    expect(await screen.findByRole("heading", { name: "Embedded Client Authentication" })).toBeInTheDocument();
  });
});
