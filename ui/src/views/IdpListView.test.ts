// The list screen against a mocked core: rows, empty state, search, toggles, delete, and
// virtualisation with 10,000 IdPs.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Router } from "../lib/nav/router.svelte";
import type { IdpImpact, IdpUsage, ProblemCode, StartTestRequest } from "../lib/ipc/types";
import {
  config,
  coreEmits,
  deferred,
  manySummaries,
  mockCore,
  problem,
  step,
  summary,
  testReport,
} from "../test/fixtures";
import IdpListView from "./IdpListView.svelte";

const okta = summary({ name: "Okta", host: "okta.example.com", protocol: "oidc" });
const github = summary({ name: "GitHub", host: "github.com", protocol: "oauth2", enabled: false });
const entra = summary({ name: "Entra ID", host: "login.microsoftonline.com", protocol: "oidc" });

const twoUsages: IdpUsage[] = [
  { kind: "chat_flow_node", id: "node-1", name: "Order status", node: "OAuth Request" },
  { kind: "chat_desk_extension", id: "ext-1", name: "CRM", node: null },
];
const USED_BY =
  "Used by 1 flow and 1 Chat Desk extension: Order status › OAuth Request, Chat Desk extension CRM.";

/** What the core answers when the backend knows these usages of `id` (its summary is Rust's). */
function impact(id: string, usages: IdpUsage[]): IdpImpact {
  return {
    idp_id: id,
    check: { state: "checked", usages },
    summary: usages.length ? USED_BY : "Not used by any flow or Chat Desk extension.",
    disable_asks_first: usages.length > 0,
  };
}

/** An unchecked usage; whether the disable asks first is the core's rule, given here. */
function unchecked(id: string, code: ProblemCode, reason: string, asksFirst: boolean): IdpImpact {
  return {
    idp_id: id,
    check: { state: "unchecked", code, reason },
    summary: `Couldn't check which flows use it: ${reason}`,
    disable_asks_first: asksFirst,
  };
}

function renderList(router = new Router()) {
  render(IdpListView, { router });
  return router;
}

/** The body rows (the header row has aria-rowindex 1). */
function bodyRows(): HTMLElement[] {
  return screen
    .getAllByRole("row")
    .filter((row) => row.getAttribute("aria-rowindex") !== "1");
}

describe("IdpListView", () => {
  it("lists the IdPs with protocol labels and hosts, sorted by name", async () => {
    mockCore({ list_idps: () => [okta, github, entra] });
    renderList();

    expect(screen.getByRole("heading", { name: "Embedded Client Authentication" })).toBeInTheDocument();
    const table = await screen.findByRole("table", { name: "Identity providers" });
    for (const header of ["Name", "Protocol", "Issuer host", "Enabled", "Last test"]) {
      expect(within(table).getByRole("columnheader", { name: header })).toBeInTheDocument();
    }
    const rows = bodyRows();
    expect(rows.map((r) => within(r).getAllByRole("cell")[0]!.textContent?.trim())).toEqual([
      "Entra ID",
      "GitHub",
      "Okta",
    ]);
    const githubRow = rows[1]!;
    expect(within(githubRow).getByText("OAuth 2.0")).toBeInTheDocument();
    expect(within(githubRow).getByText("github.com")).toBeInTheDocument();
    expect(within(rows[2]!).getByText("OpenID Connect")).toBeInTheDocument();
    expect(screen.getByRole("switch", { name: "Enable GitHub" })).not.toBeChecked();
    expect(screen.getByRole("switch", { name: "Enable Okta" })).toBeChecked();
    expect(screen.getByRole("button", { name: "Delete Okta" })).toHaveTextContent("X");
    // The add button sits above the table too.
    expect(screen.getByRole("button", { name: "Add New Identity Provider" })).toBeInTheDocument();
  });

  it("shows each IdP's sync state as a labelled badge, and none when the core can't say", async () => {
    mockCore({
      list_idps: () => [okta, github, entra],
      sync_states: () => [
        { idp_id: okta.id, state: "synced" },
        { idp_id: github.id, state: "conflict" },
        { idp_id: entra.id, state: "pending" },
      ],
    });
    renderList();
    await screen.findByRole("table", { name: "Identity providers" });
    expect(within(screen.getByRole("table")).getByRole("columnheader", { name: "Sync" })).toBeInTheDocument();
    const rowOf = (name: string) => bodyRows().find((r) => within(r).queryByRole("button", { name }))!;
    await waitFor(() => expect(within(rowOf("Okta")).getByLabelText("Sync state: synced")).toHaveTextContent("synced"));
    expect(within(rowOf("GitHub")).getByLabelText("Sync state: conflict")).toBeInTheDocument();
    expect(within(rowOf("Entra ID")).getByLabelText("Sync state: pending")).toBeInTheDocument();
  });

  it("marks an IdP whose stored secret needs re-entry, and only that one", async () => {
    const moved = summary({ name: "Moved", secret_set_aside: true });
    mockCore({ list_idps: () => [okta, moved] });
    renderList();

    await screen.findByRole("table", { name: "Identity providers" });
    const [movedRow, oktaRow] = bodyRows();
    const badge = within(movedRow!).getByText("Re-enter secret");
    expect(badge).toHaveAttribute("title", expect.stringContaining("not used or pushed"));
    expect(within(oktaRow!).queryByText("Re-enter secret")).toBeNull();
  });

  it("reminds of a secret expiring within 30 days in amber, and of an expired signing key in red", async () => {
    const due = summary({
      name: "Due",
      credential_expires_on: "2026-12-10",
      credential_expiry: { state: "due_soon", days_left: 10 },
      credential_reminder: "The client secret expires on 2026-12-10, in 10 days: …",
    });
    const expired = summary({
      name: "Expired",
      client_auth_method: "private_key_jwt",
      credential_expires_on: "2026-11-01",
      credential_expiry: { state: "expired", days_ago: 29 },
      credential_reminder: "The signing key expired on 2026-11-01: the platform refuses …",
    });
    const later = summary({
      name: "Later",
      credential_expires_on: "2027-06-30",
      credential_expiry: { state: "fine", days_left: 212 },
    });
    mockCore({ list_idps: () => [due, expired, later] });
    renderList();

    await screen.findByRole("table", { name: "Identity providers" });
    const [dueRow, expiredRow, laterRow] = bodyRows();
    const soon = within(dueRow!).getByText("Secret expires in 10 days");
    expect(soon).toHaveClass("warning");
    expect(soon).toHaveAttribute("title", expect.stringContaining("2026-12-10"));
    const gone = within(expiredRow!).getByText("Signing key expired");
    expect(gone).toHaveClass("danger");
    expect(gone).toHaveAttribute("title", expect.stringContaining("refuses"));
    expect(within(laterRow!).queryByText(/Secret expire/)).toBeNull();
  });

  it("lists the IdPs without badges when the sync states can't be read", async () => {
    mockCore({
      list_idps: () => [okta],
      sync_states: () => {
        throw problem("storage", "locked");
      },
    });
    renderList();
    await screen.findByRole("table", { name: "Identity providers" });
    expect(screen.getByRole("button", { name: "Okta" })).toBeInTheDocument();
    expect(screen.queryByLabelText(/Sync state/)).not.toBeInTheDocument();
  });

  it("invites adding the first IdP when there are none", async () => {
    mockCore({ list_idps: () => [] });
    const router = renderList();

    expect(await screen.findByText("No identity providers yet")).toBeInTheDocument();
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
    const add = screen.getAllByRole("button", { name: "Add New Identity Provider" });
    expect(add).toHaveLength(1);
    await userEvent.click(add[0]!);
    expect(router.route).toEqual({ name: "add" });
  });

  it("shows a load failure with a retry", async () => {
    let fail = true;
    mockCore({
      list_idps: () => {
        if (fail) throw problem("storage", "The database is locked by another program.");
        return [okta];
      },
    });
    renderList();

    expect(await screen.findByRole("alert")).toHaveTextContent("The database is locked by another program.");
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("button", { name: "Okta" })).toBeInTheDocument();
  });

  it("filters by name, host and protocol", async () => {
    mockCore({ list_idps: () => [okta, github, entra] });
    renderList();
    await screen.findByRole("table");
    const search = screen.getByRole("searchbox", { name: "Search identity providers" });

    await userEvent.type(search, "okta");
    expect(bodyRows()).toHaveLength(1);
    expect(screen.getByRole("button", { name: "Okta" })).toBeInTheDocument();

    await userEvent.clear(search);
    await userEvent.type(search, "microsoftonline");
    expect(bodyRows()).toHaveLength(1);
    expect(screen.getByRole("button", { name: "Entra ID" })).toBeInTheDocument();

    await userEvent.clear(search);
    await userEvent.type(search, "oauth");
    expect(bodyRows()).toHaveLength(1);
    expect(screen.getByRole("button", { name: "GitHub" })).toBeInTheDocument();

    await userEvent.clear(search);
    await userEvent.type(search, "OpenID");
    expect(bodyRows()).toHaveLength(2);

    await userEvent.clear(search);
    await userEvent.type(search, "nothing-like-this");
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
    expect(screen.getByText(/No identity providers match/)).toBeInTheDocument();
  });

  it("opens the edit form from a row's name", async () => {
    mockCore({ list_idps: () => [okta, github] });
    const router = renderList();
    await userEvent.click(await screen.findByRole("button", { name: "GitHub" }));
    expect(router.route).toEqual({ name: "edit", id: github.id });
  });

  it("disables at once through set_idp_enabled when nothing uses the IdP", async () => {
    const reply = deferred<unknown>();
    const calls = mockCore({
      list_idps: () => [okta],
      idp_impact: () => [impact(okta.id, [])],
      set_idp_enabled: () => reply.promise,
    });
    renderList();
    const toggle = await screen.findByRole("switch", { name: "Enable Okta" });

    await userEvent.click(toggle);
    await waitFor(() =>
      expect(calls.filter((c) => c.cmd === "set_idp_enabled")).toEqual([
        { cmd: "set_idp_enabled", args: { id: okta.id, enabled: false } },
      ]),
    );
    expect(calls.find((c) => c.cmd === "idp_impact")?.args).toEqual({ ids: [okta.id] });
    expect(screen.queryByRole("dialog"), "nothing to confirm").not.toBeInTheDocument();
    // Shown at once, and locked while the core answers.
    expect(toggle).not.toBeChecked();
    expect(toggle).toBeDisabled();

    reply.resolve({ ...okta, enabled: false });
    await waitFor(() => expect(toggle).toBeEnabled());
    expect(toggle).not.toBeChecked();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("names the flows that use the IdP and disables only on confirmation", async () => {
    const calls = mockCore({
      list_idps: () => [okta],
      idp_impact: () => [impact(okta.id, twoUsages)],
      set_idp_enabled: () => ({ ...okta, enabled: false }),
    });
    renderList();
    const toggle = await screen.findByRole("switch", { name: "Enable Okta" });

    await userEvent.click(toggle);
    let dialog = await screen.findByRole("dialog", { name: "Disable “Okta”?" });
    expect(within(dialog).getByRole("status")).toHaveTextContent(USED_BY);
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls.some((c) => c.cmd === "set_idp_enabled")).toBe(false);
    expect(toggle, "cancelled: still enabled").toBeChecked();

    await userEvent.click(toggle);
    dialog = await screen.findByRole("dialog", { name: "Disable “Okta”?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Disable" }));
    await waitFor(() => expect(toggle).not.toBeChecked());
    expect(calls.filter((c) => c.cmd === "set_idp_enabled")).toHaveLength(1);
  });

  it("asks before a disable when the core says to (the backend could not say), with why, and not when it says not", async () => {
    let check = unchecked(okta.id, "backend_unreachable", "The backend cannot be reached.", true);
    const calls = mockCore({
      list_idps: () => [okta],
      idp_impact: () => [check],
      set_idp_enabled: () => ({ ...okta, enabled: false }),
    });
    renderList();
    const toggle = await screen.findByRole("switch", { name: "Enable Okta" });
    await userEvent.click(toggle);
    const dialog = await screen.findByRole("dialog", { name: "Disable “Okta”?" });
    expect(within(dialog).getByRole("status")).toHaveTextContent(
      "Couldn't check which flows use it: The backend cannot be reached.",
    );
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));

    check = unchecked(okta.id, "sync_not_configured", "sync is not set up.", false);
    await userEvent.click(toggle);
    await waitFor(() => expect(calls.filter((c) => c.cmd === "set_idp_enabled")).toHaveLength(1));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("names the flows that use the IdP in the delete dialog, and deletes only once they are known", async () => {
    const reply = deferred<unknown>();
    mockCore({ list_idps: () => [okta], idp_impact: () => reply.promise, delete_idp: () => null });
    renderList();
    await userEvent.click(await screen.findByRole("button", { name: "Delete Okta" }));
    const dialog = screen.getByRole("dialog", { name: "Delete “Okta”?" });
    expect(within(dialog).getByRole("status")).toHaveTextContent("Checking which flows use it…");
    const remove = within(dialog).getByRole("button", { name: "Delete" });
    expect(remove, "not before the impact is known").toBeDisabled();
    reply.resolve([impact(okta.id, twoUsages)]);
    await waitFor(() => expect(within(dialog).getByRole("status")).toHaveTextContent(USED_BY));
    expect(remove).toBeEnabled();
  });

  it("reverts the toggle and reports the error when the core refuses", async () => {
    mockCore({
      list_idps: () => [okta],
      set_idp_enabled: () => {
        throw problem("storage", "The database is read-only.");
      },
    });
    renderList();
    const toggle = await screen.findByRole("switch", { name: "Enable Okta" });

    await userEvent.click(toggle);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Couldn't disable “Okta”: The database is read-only.");
    expect(toggle).toBeChecked();
    expect(toggle).toBeEnabled();
  });

  it("asks in a dialog before deleting, and deletes only on confirmation", async () => {
    const calls = mockCore({ list_idps: () => [okta, github], delete_idp: () => null });
    renderList();

    await userEvent.click(await screen.findByRole("button", { name: "Delete Okta" }));
    let dialog = screen.getByRole("dialog", { name: "Delete “Okta”?" });
    expect(calls.some((c) => c.cmd === "delete_idp")).toBe(false);
    // The safe choice has the focus.
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();

    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(calls.some((c) => c.cmd === "delete_idp")).toBe(false);
    expect(screen.getByRole("button", { name: "Okta" })).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Delete Okta" }));
    dialog = screen.getByRole("dialog", { name: "Delete “Okta”?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete" }));

    await waitFor(() => expect(screen.queryByRole("button", { name: "Okta" })).not.toBeInTheDocument());
    expect(calls.filter((c) => c.cmd === "delete_idp")).toEqual([
      { cmd: "delete_idp", args: { id: okta.id } },
    ]);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "GitHub" })).toBeInTheDocument();
  });

  it("closes the delete dialog with Escape", async () => {
    const calls = mockCore({ list_idps: () => [okta], delete_idp: () => null });
    renderList();
    await userEvent.click(await screen.findByRole("button", { name: "Delete Okta" }));
    expect(screen.getByRole("dialog")).toBeInTheDocument();
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(calls.some((c) => c.cmd === "delete_idp")).toBe(false);
  });

  it("keeps the row and reports a failed delete", async () => {
    mockCore({
      list_idps: () => [okta],
      delete_idp: () => {
        throw problem("keyring", "The keyring is locked. Unlock it and try again.");
      },
    });
    renderList();
    await userEvent.click(await screen.findByRole("button", { name: "Delete Okta" }));
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("The keyring is locked");
    expect(screen.getByRole("button", { name: "Okta" })).toBeInTheDocument();
  });

  it("reaches every control of a row with the keyboard", async () => {
    mockCore({ list_idps: () => [okta] });
    renderList();
    const search = await screen.findByRole("searchbox", { name: "Search identity providers" });
    search.focus();
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Okta" })).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole("switch", { name: "Enable Okta" })).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Test Okta" })).toHaveFocus();
    await userEvent.tab();
    expect(screen.getByRole("button", { name: "Delete Okta" })).toHaveFocus();
    await userEvent.keyboard("{Enter}");
    expect(screen.getByRole("dialog", { name: "Delete “Okta”?" })).toBeInTheDocument();
  });

  it("renders only the visible rows of 10,000 IdPs", async () => {
    const items = manySummaries(10_000);
    mockCore({ list_idps: () => items });
    renderList();

    const table = await screen.findByRole("table", { name: "Identity providers" });
    expect(table).toHaveAttribute("aria-rowcount", "10001");
    const rendered = bodyRows();
    expect(rendered.length).toBeGreaterThan(5);
    expect(rendered.length).toBeLessThan(60);
    expect(rendered[0]).toHaveAttribute("aria-rowindex", "2");
    expect(screen.queryByRole("button", { name: "Provider 05000" })).not.toBeInTheDocument();

    // Scroll to row 5000 (48 px rows under a 36 px header).
    table.scrollTop = 36 + 5000 * 48;
    await fireEvent.scroll(table);
    expect(screen.getByRole("button", { name: "Provider 05000" })).toBeInTheDocument();
    const after = bodyRows();
    expect(after.length).toBeLessThan(60);
    const indexes = after.map((r) => Number(r.getAttribute("aria-rowindex")));
    expect(indexes).toContain(5002);
    expect(indexes).not.toContain(2);
  });
});

describe("IdpListView: Test Configuration", () => {
  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

  it("shows the last test's outcome as a labelled badge with how long ago", async () => {
    mockCore({
      list_idps: () => [
        summary({ name: "Alpha", last_test: { outcome: "passed", finished_at: minutesAgo(5) } }),
        summary({ name: "Bravo", last_test: { outcome: "failed", finished_at: minutesAgo(120) } }),
        summary({ name: "Charlie", last_test: { outcome: "cancelled", finished_at: minutesAgo(0) } }),
        summary({ name: "Delta", last_test: { outcome: "timed_out", finished_at: minutesAgo(60 * 24) } }),
        summary({ name: "Echo", last_test: null }),
      ],
    });
    renderList();
    await screen.findByRole("table");
    const lastTest = (row: HTMLElement) => within(row).getAllByRole("cell")[4]!;
    const rows = bodyRows();
    expect(lastTest(rows[0]!)).toHaveTextContent(/^Passed 5 minutes ago$/);
    expect(lastTest(rows[1]!)).toHaveTextContent(/^Failed 2 hours ago$/);
    expect(lastTest(rows[2]!)).toHaveTextContent(/^Cancelled just now$/);
    expect(lastTest(rows[3]!)).toHaveTextContent(/^Timed out yesterday$/);
    expect(lastTest(rows[4]!).textContent?.trim()).toBe("");
    expect(within(lastTest(rows[0]!)).getByText("5 minutes ago")).toHaveAttribute("datetime");
  });

  it("tests a row's IdP as stored, with its stored secret", async () => {
    const stored = config({ id: okta.id, name: "Okta", test_redirect: "loopback" });
    const calls = mockCore({
      list_idps: () => [okta, github],
      get_idp: () => stored,
      start_test_login: () => "run-1",
    });
    renderList();
    await userEvent.click(await screen.findByRole("button", { name: "Test Okta" }));

    const dialog = await screen.findByRole("dialog", { name: "Test Configuration: Okta" });
    expect(calls.filter((c) => c.cmd === "get_idp")).toEqual([{ cmd: "get_idp", args: { id: okta.id } }]);
    const { id: _i, has_secret: _h, secret_entered_for: _s, created_at: _c, updated_at: _u, ...fields } = stored;
    expect(calls.filter((c) => c.cmd === "start_test_login").map((c) => c.args.request as StartTestRequest)).toEqual([
      { id: okta.id, fields, secret: { kind: "keep" } },
    ]);
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
  });

  it("refreshes the list when the run finishes, so the Last test column updates", async () => {
    let tested = false;
    const calls = mockCore({
      list_idps: () => [
        tested ? { ...okta, last_test: { outcome: "failed", finished_at: new Date().toISOString() } } : okta,
      ],
      get_idp: () => config({ id: okta.id, name: "Okta" }),
      start_test_login: () => "run-1",
    });
    renderList();
    await userEvent.click(await screen.findByRole("button", { name: "Test Okta" }));
    const dialog = await screen.findByRole("dialog", { name: "Test Configuration: Okta" });
    await coreEmits("test-run://progress", { run_id: "run-1", steps: [step("authorization", "running")] });
    expect(within(dialog).getByRole("progressbar")).toHaveAccessibleName("Waiting for the login in your browser…");
    expect(calls.filter((c) => c.cmd === "list_idps")).toHaveLength(1);

    tested = true;
    await coreEmits("test-run://finished", {
      ...testReport({ run_id: "run-1", outcome: "failed", identity: null }),
      error: { code: "state", message: "The state did not match.", fix: "Start a new test." },
    });
    await waitFor(() => expect(calls.filter((c) => c.cmd === "list_idps")).toHaveLength(2));
    await waitFor(() => expect(within(bodyRows()[0]!).getAllByRole("cell")[4]).toHaveTextContent("Failed"));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("The state did not match.");

    await userEvent.click(within(dialog).getByRole("button", { name: "Close" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    // The table stayed (no loading state) and focus went back to the row's button.
    expect(screen.getByRole("button", { name: "Test Okta" })).toHaveFocus();
  });

  it("cancels a row's test from the panel", async () => {
    const calls = mockCore({
      list_idps: () => [okta],
      get_idp: () => config({ id: okta.id, name: "Okta" }),
      start_test_login: () => "run-5",
      cancel_test_login: () => true,
    });
    renderList();
    await userEvent.click(await screen.findByRole("button", { name: "Test Okta" }));
    const dialog = await screen.findByRole("dialog", { name: "Test Configuration: Okta" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls.filter((c) => c.cmd === "cancel_test_login")).toEqual([
      { cmd: "cancel_test_login", args: { runId: "run-5" } },
    ]);
  });

  it("reports a row's test that couldn't start", async () => {
    mockCore({
      list_idps: () => [okta],
      get_idp: () => config({ id: okta.id, name: "Okta" }),
      start_test_login: () => {
        throw problem("validation", "Client ID is required", [{ field: "client_id", message: "is required" }]);
      },
    });
    renderList();
    await userEvent.click(await screen.findByRole("button", { name: "Test Okta" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Couldn't test “Okta”: Client ID is required");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});
