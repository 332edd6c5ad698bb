// The platform's redirect URI in the IdP form: read-only with Copy when sync is set up, a note
// saying where to set it up otherwise.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockCore, problem } from "../../test/fixtures";
import PlatformRedirect from "./PlatformRedirect.svelte";

const URI = "https://platform.example/v1/oauth/callback";

describe("PlatformRedirect", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the platform's redirect URI read-only, and copies it", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    mockCore({ platform_info: () => ({ redirect_uri: URI, link_base: "https://platform.example/l/" }) });
    render(PlatformRedirect);

    const field = await screen.findByRole("textbox", { name: "Platform redirect URI" });
    expect(field).toHaveValue(URI);
    expect(field).toHaveAttribute("readonly");
    expect(field).toHaveAccessibleDescription(/Register this at the IdP for customer sign-in/);

    await userEvent.click(screen.getByRole("button", { name: "Copy" }));
    expect(writeText).toHaveBeenCalledWith(URI);
    expect(screen.getByRole("button", { name: "Copied" })).toBeInTheDocument();
  });

  it("says where to set up sync when there is no backend", async () => {
    mockCore({
      platform_info: () => {
        throw problem("sync_not_configured", "Sync is not set up.");
      },
    });
    render(PlatformRedirect);
    expect(await screen.findByText(/Set up sync in Settings to see the platform's redirect URI/)).toBeInTheDocument();
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Copy" })).not.toBeInTheDocument();
  });
});
