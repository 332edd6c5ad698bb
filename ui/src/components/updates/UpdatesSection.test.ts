// "Updates" in Settings against a mocked core: the version and the URL as stored, each outcome
// of "Check for updates" (not configured, a build that cannot verify, up to date, a newer
// release with its notes), "Download and verify", and the core's refusals shown as it words them.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { UpdateCheck, UpdateSetup } from "../../lib/ipc/types";
import { mockCore, problem } from "../../test/fixtures";
import UpdatesSection from "./UpdatesSection.svelte";

const manifest = "https://releases.example/eca-admin/latest.json";
const setup = (url: string | null, canVerify = true): UpdateSetup => ({
  settings: { manifest_url: url },
  current_version: "0.1.0",
  can_verify: canVerify,
});
const available: UpdateCheck = {
  status: "available",
  current_version: "0.1.0",
  version: "0.2.0",
  notes: "Faster sync.",
  date: "2026-11-30T12:00:00Z",
};

async function checkForUpdates() {
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Check for updates" }));
  return user;
}

describe("UpdatesSection", () => {
  it("shows the version and the stored URL; none by default", async () => {
    mockCore({ get_update_settings: () => setup(null) });
    render(UpdatesSection);
    expect(await screen.findByText("0.1.0")).toBeInTheDocument();
    expect(screen.getByLabelText(/Update manifest URL/)).toHaveValue("");
  });

  it("says updates are not configured when there is no URL", async () => {
    const calls = mockCore({
      get_update_settings: () => setup(null),
      check_for_updates: () => ({ status: "not_configured", current_version: "0.1.0" }),
    });
    render(UpdatesSection);
    await checkForUpdates();
    expect(await screen.findByText("Updates are not configured")).toBeInTheDocument();
    expect(calls.filter((c) => c.cmd === "save_update_settings")).toEqual([]);
  });

  it("says a build without a key cannot verify updates", async () => {
    mockCore({
      get_update_settings: () => setup(manifest, false),
      check_for_updates: () => ({ status: "cannot_verify", current_version: "0.1.0" }),
    });
    render(UpdatesSection);
    await checkForUpdates();
    expect(await screen.findByText("This build cannot verify updates")).toBeInTheDocument();
    expect(screen.getByText(/does not offer updates/)).toBeInTheDocument();
  });

  it("says you're up to date", async () => {
    mockCore({
      get_update_settings: () => setup(manifest),
      check_for_updates: () => ({ status: "up_to_date", current_version: "0.1.0" }),
    });
    render(UpdatesSection);
    await checkForUpdates();
    expect(await screen.findByText("You're up to date")).toBeInTheDocument();
    expect(screen.getByText("ECA Admin 0.1.0 is the newest version.")).toBeInTheDocument();
  });

  it("saves an edited URL before checking it", async () => {
    const calls = mockCore({
      get_update_settings: () => setup(null),
      save_update_settings: (args) => setup((args.settings as { manifest_url: string }).manifest_url),
      check_for_updates: () => ({ status: "up_to_date", current_version: "0.1.0" }),
    });
    render(UpdatesSection);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText(/Update manifest URL/), ` ${manifest} `);
    await user.click(screen.getByRole("button", { name: "Check for updates" }));
    await screen.findByText("You're up to date");
    const commands = calls.map((c) => c.cmd).filter((c) => c !== "get_update_settings");
    expect(commands).toEqual(["save_update_settings", "check_for_updates"]);
    expect(calls.find((c) => c.cmd === "save_update_settings")?.args).toEqual({
      settings: { manifest_url: manifest },
    });
  });

  it("shows the core's refusal of a URL next to the field, and does not check", async () => {
    const calls = mockCore({
      get_update_settings: () => setup(null),
      save_update_settings: () => {
        throw problem("validation", "Update manifest URL must use https", [
          {
            field: "update_manifest_url",
            message: "must use https (http is allowed only for localhost, for development)",
          },
        ]);
      },
    });
    render(UpdatesSection);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText(/Update manifest URL/), "http://releases.example/x.json");
    await user.click(screen.getByRole("button", { name: "Check for updates" }));
    expect(
      await screen.findByText("Update manifest URL must use https (http is allowed only for localhost, for development)"),
    ).toBeInTheDocument();
    expect(calls.some((c) => c.cmd === "check_for_updates")).toBe(false);
  });

  it("offers a newer version with its notes, then downloads, verifies and saves it", async () => {
    const calls = mockCore({
      get_update_settings: () => setup(manifest),
      check_for_updates: () => available,
      download_update: () => ({
        version: "0.2.0",
        size: 4_500_000,
        path: "/home/admin/Downloads/eca-admin_0.2.0_amd64.deb",
      }),
    });
    render(UpdatesSection);
    const user = await checkForUpdates();
    expect(await screen.findByText("Version 0.2.0 is available")).toBeInTheDocument();
    expect(screen.getByText("Faster sync.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Download and verify" }));
    expect(await screen.findByText("Signature verified")).toBeInTheDocument();
    const saved = screen.getByText(/Version 0.2.0 \(4.5 MB\) was downloaded, its signature verified/);
    expect(saved).toHaveTextContent("saved as /home/admin/Downloads/eca-admin_0.2.0_amd64.deb.");
    expect(calls.filter((c) => c.cmd === "download_update")).toHaveLength(1);
  });

  it("shows a refused signature as the core words it", async () => {
    const refusal =
      "Version 0.2.0 was refused: it is signed by another key than the one this build trusts.";
    mockCore({
      get_update_settings: () => setup(manifest),
      check_for_updates: () => available,
      download_update: () => {
        throw problem("update_refused", refusal);
      },
    });
    render(UpdatesSection);
    const user = await checkForUpdates();
    await user.click(await screen.findByRole("button", { name: "Download and verify" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Update refused");
    expect(alert).toHaveTextContent(refusal);
    expect(screen.queryByText("Signature verified")).not.toBeInTheDocument();
  });

  it("shows an unreachable manifest as a failed check", async () => {
    const unreachable = `Cannot reach the update manifest at ${manifest} (connection refused).`;
    mockCore({
      get_update_settings: () => setup(manifest),
      check_for_updates: () => {
        throw problem("update_check_failed", unreachable);
      },
    });
    render(UpdatesSection);
    await checkForUpdates();
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Couldn't check for updates");
    expect(alert).toHaveTextContent(unreachable);
  });
});
