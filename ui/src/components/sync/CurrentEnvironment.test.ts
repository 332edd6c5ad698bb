// The top bar's current environment against a mocked core: its name once sync is set up, nothing
// before (or when the core cannot say).
import { render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { mockCore, problem } from "../../test/fixtures";
import CurrentEnvironment from "./CurrentEnvironment.svelte";

const env = (name: string, current: boolean) => ({
  name,
  backend_url: `https://${name}.msg.example`,
  workspace_id: "acme",
  current,
  has_api_key: true,
});

describe("CurrentEnvironment", () => {
  it("names the current environment", async () => {
    mockCore({ list_environments: () => [env("sandbox", false), env("production", true)] });
    render(CurrentEnvironment);
    expect(await screen.findByLabelText("Current environment")).toHaveTextContent("Environment: production");
  });

  it("shows nothing before sync is set up, or when the core cannot say", async () => {
    const calls = mockCore({ list_environments: () => [] });
    const { unmount } = render(CurrentEnvironment);
    await vi.waitFor(() => expect(calls.length).toBe(1));
    expect(screen.queryByLabelText("Current environment")).not.toBeInTheDocument();
    unmount();
    mockCore({
      list_environments: () => {
        throw problem("storage", "The database cannot be read.");
      },
    });
    render(CurrentEnvironment);
    expect(screen.queryByLabelText("Current environment")).not.toBeInTheDocument();
  });
});
