// The "Settings" screen against a mocked core: the write-only API key, save, errors next to
// their fields, and the connection test's outcomes.
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { SyncSetup } from "../lib/ipc/types";
import { mockCore, problem } from "../test/fixtures";
import SettingsView from "./SettingsView.svelte";

const stored: SyncSetup = {
  settings: { backend_url: "https://msg.example", workspace_id: "acme" },
  has_api_key: true,
};
const empty: SyncSetup = { settings: null, has_api_key: false };

describe("SettingsView", () => {
  it("shows the stored settings and only whether an API key is stored", async () => {
    mockCore({ get_sync_settings: () => stored });
    render(SettingsView);

    expect(screen.getByRole("heading", { name: "Settings" })).toBeInTheDocument();
    expect(await screen.findByLabelText("Backend URL")).toHaveValue("https://msg.example");
    expect(screen.getByLabelText("Workspace ID")).toHaveValue("acme");
    expect(screen.getByText("An API key is stored")).toBeInTheDocument();
    expect(screen.queryByLabelText("API key", { selector: "input" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Replace API key" })).toBeInTheDocument();
  });

  it("saves the settings and a new API key, then forgets the key it sent", async () => {
    const calls = mockCore({
      get_sync_settings: () => empty,
      save_sync_settings: () => ({
        settings: { backend_url: "http://127.0.0.1:8787", workspace_id: "dev" },
        has_api_key: true,
      }),
    });
    render(SettingsView);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Backend URL"), "http://127.0.0.1:8787");
    await user.type(screen.getByLabelText("Workspace ID"), "dev");
    await user.type(screen.getByLabelText("API key", { selector: "input" }), "eca_dev_key");
    await user.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByText("Saved the sync settings.")).toBeInTheDocument();
    const save = calls.find((c) => c.cmd === "save_sync_settings");
    expect(save?.args).toEqual({
      settings: { backend_url: "http://127.0.0.1:8787", workspace_id: "dev" },
      apiKey: "eca_dev_key",
      startAfresh: false,
    });
    expect(screen.queryByLabelText("API key", { selector: "input" })).not.toBeInTheDocument();
    expect(screen.getByText("An API key is stored")).toBeInTheDocument();
  });

  it("keeps the stored key unless the admin replaces it", async () => {
    const calls = mockCore({ get_sync_settings: () => stored, save_sync_settings: () => stored });
    render(SettingsView);
    const user = userEvent.setup();
    await user.clear(await screen.findByLabelText("Workspace ID"));
    await user.type(screen.getByLabelText("Workspace ID"), "acme");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Saved the sync settings.");
    expect(calls.find((c) => c.cmd === "save_sync_settings")?.args.apiKey).toBeNull();

    await user.click(screen.getByRole("button", { name: "Replace API key" }));
    expect(screen.getByLabelText("API key", { selector: "input" })).toHaveFocus();
  });

  it("shows required fields and the core's refusal next to the field", async () => {
    mockCore({
      get_sync_settings: () => empty,
      save_sync_settings: () => {
        throw problem(
          "validation",
          "The sync settings are not usable: Backend URL: must use https (plain http is allowed only to this computer).",
          [{ field: "backend_url", message: "must use https (plain http is allowed only to this computer)" }],
        );
      },
    });
    render(SettingsView);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Save" }));
    expect(screen.getByLabelText("Backend URL")).toHaveAccessibleDescription(/Enter the backend URL/);
    expect(screen.getByLabelText("Workspace ID")).toHaveAttribute("aria-invalid", "true");

    await user.type(screen.getByLabelText("Backend URL"), "http://msg.example");
    await user.type(screen.getByLabelText("Workspace ID"), "dev");
    await user.type(screen.getByLabelText("API key", { selector: "input" }), "k");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() =>
      expect(screen.getByLabelText("Backend URL")).toHaveAccessibleDescription(/must use https/),
    );
    expect(screen.getByLabelText("Workspace ID")).not.toHaveAttribute("aria-invalid");
  });

  it("reports a working connection with the number of IdPs", async () => {
    mockCore({ get_sync_settings: () => stored, test_backend_connection: () => 3 });
    render(SettingsView);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Test connection" }));
    expect(await screen.findByText("Connection works")).toBeInTheDocument();
    expect(screen.getByText(/has 3 identity providers/)).toBeInTheDocument();
  });

  it("puts a refused API key next to the key and an unreachable backend next to the URL", async () => {
    const refused = "The backend refused the API key (HTTP 401). Enter a new API key.";
    let answer = problem("unauthorized", refused, [{ field: "api_key", message: refused }]);
    mockCore({
      get_sync_settings: () => stored,
      test_backend_connection: () => {
        throw answer;
      },
    });
    render(SettingsView);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Test connection" }));
    expect(await screen.findByText("Connection failed")).toBeInTheDocument();
    const key = screen.getByRole("group", { name: "API key" });
    expect(within(key).getByRole("alert")).toHaveTextContent(/refused the API key/);

    const unreachable = "The backend cannot be reached. Connection refused.";
    answer = problem("backend_unreachable", unreachable, [{ field: "backend_url", message: unreachable }]);
    await user.click(screen.getByRole("button", { name: "Test connection" }));
    await waitFor(() =>
      expect(screen.getByLabelText("Backend URL")).toHaveAccessibleDescription(/cannot be reached/),
    );
  });

  it("asks for a new API key when the URL moves, and starts afresh only once confirmed", async () => {
    const needKey =
      'enter the API key of the workspace "acme" at https://new.example: the stored key was entered for the workspace "acme" at https://msg.example and is never sent anywhere else';
    const confirm =
      'Moving sync from the workspace "acme" at https://msg.example to the workspace "acme" at https://new.example starts sync afresh. Confirm to go ahead.';
    const moved: SyncSetup = {
      settings: { backend_url: "https://new.example", workspace_id: "acme" },
      has_api_key: true,
    };
    const calls = mockCore({
      get_sync_settings: () => stored,
      save_sync_settings: (args) => {
        if (args.apiKey === null) throw problem("validation", needKey, [{ field: "api_key", message: needKey }]);
        if (!args.startAfresh) throw problem("confirmation_needed", confirm);
        return moved;
      },
    });
    render(SettingsView);
    const user = userEvent.setup();
    const url = await screen.findByLabelText("Backend URL");
    await user.clear(url);
    await user.type(url, "https://new.example");
    await user.click(screen.getByRole("button", { name: "Save" }));

    const key = await screen.findByLabelText("API key", { selector: "input" });
    expect(key).toHaveAccessibleDescription(/stored key was entered for .*msg\.example/);
    await user.type(key, "new-workspace-key");
    await user.click(screen.getByRole("button", { name: "Save" }));

    const dialog = await screen.findByRole("alertdialog", { name: "Move sync to another backend?" });
    expect(dialog).toHaveTextContent(/starts sync afresh/);
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(screen.queryByText("Saved the sync settings.")).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Save" }));
    const again = await screen.findByRole("alertdialog");
    await user.click(within(again).getByRole("button", { name: "Move and start afresh" }));
    expect(await screen.findByText("Saved the sync settings.")).toBeInTheDocument();
    const saves = calls.filter((c) => c.cmd === "save_sync_settings").map((c) => c.args);
    expect(saves.map((a) => [a.apiKey, a.startAfresh])).toEqual([
      [null, false],
      ["new-workspace-key", false],
      ["new-workspace-key", false],
      ["new-workspace-key", true],
    ]);
    expect(saves[3]?.settings).toEqual({ backend_url: "https://new.example", workspace_id: "acme" });
  });
});
