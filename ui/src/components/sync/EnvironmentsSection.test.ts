// "Environments" in Settings against a mocked core: the list in promotion order with the current
// one marked, adding one (its key sent once, the form cleared), the core's refusals next to their
// fields, making another current, and a refusal that concerns no field.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Environment } from "../../lib/ipc/types";
import { mockCore, problem } from "../../test/fixtures";
import EnvironmentsSection from "./EnvironmentsSection.svelte";

const env = (name: string, current: boolean, has_api_key = true): Environment => ({
  name,
  backend_url: `https://${name}.msg.example`,
  workspace_id: "acme",
  current,
  has_api_key,
});

describe("EnvironmentsSection", () => {
  it("lists the environments and marks the current one", async () => {
    mockCore({ list_environments: () => [env("sandbox", true), env("production", false, false)] });
    render(EnvironmentsSection);
    const sandbox = await screen.findByRole("listitem", { name: "sandbox" });
    expect(within(sandbox).getByText("Current")).toBeInTheDocument();
    const production = screen.getByRole("listitem", { name: "production" });
    expect(within(production).queryByText("Current")).not.toBeInTheDocument();
    expect(within(production).getByText("No API key stored")).toBeInTheDocument();
    expect(within(production).getByRole("button", { name: "Make production current" })).toBeInTheDocument();
  });

  it("adds an environment with its key, then clears the form", async () => {
    let stored = [env("sandbox", true)];
    const calls = mockCore({
      list_environments: () => stored,
      add_environment: () => {
        stored = [...stored, env("production", false)];
        return stored[1];
      },
    });
    render(EnvironmentsSection);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Environment name"), "production");
    await user.type(screen.getByLabelText("Environment backend URL"), "https://production.msg.example");
    await user.type(screen.getByLabelText("Environment workspace ID"), "acme");
    await user.type(screen.getByLabelText(/Environment API key/), "prod-key-0123456789");
    await user.click(screen.getByRole("button", { name: "Add environment" }));

    expect(await screen.findByRole("listitem", { name: "production" })).toBeInTheDocument();
    expect(calls.find((c) => c.cmd === "add_environment")?.args).toEqual({
      name: "production",
      settings: { backend_url: "https://production.msg.example", workspace_id: "acme" },
      apiKey: "prod-key-0123456789",
    });
    expect(screen.getByLabelText(/Environment API key/)).toHaveValue("");
  });

  it("shows the core's refusal next to the field it concerns", async () => {
    mockCore({
      list_environments: () => [],
      add_environment: () => {
        throw problem("validation", "The sync settings are not usable.", [
          { field: "environment_name", message: "is already the name of another environment" },
          { field: "workspace_id", message: "must be 1 to 63 lowercase letters" },
          { field: "name", message: "is required" },
        ]);
      },
    });
    render(EnvironmentsSection);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Environment name"), "sandbox");
    await user.click(screen.getByRole("button", { name: "Add environment" }));
    expect(
      await screen.findByText("Environment name is already the name of another environment"),
    ).toBeInTheDocument();
    expect(screen.getByLabelText(/Environment workspace ID/)).toHaveAccessibleDescription(
      /Workspace ID must be 1 to 63 lowercase letters/,
    );
    expect(screen.queryByText(/Name is required/)).not.toBeInTheDocument();
  });

  it("makes another environment current, and shows a refusal that concerns no field", async () => {
    let stored = [env("sandbox", true), env("production", false)];
    const calls = mockCore({
      list_environments: () => stored,
      use_environment: () => {
        stored = [env("sandbox", false), env("production", true)];
        return stored[1];
      },
      remove_environment: () => {
        throw problem("validation", '"production" is the current sync environment: make another environment current before removing it.');
      },
    });
    render(EnvironmentsSection);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Make production current" }));
    const production = await screen.findByRole("listitem", { name: "production" });
    expect(await within(production).findByText("Current")).toBeInTheDocument();
    expect(calls.find((c) => c.cmd === "use_environment")?.args).toEqual({ name: "production" });

    await user.click(screen.getByRole("button", { name: "Remove production" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("make another environment current");
  });
});
