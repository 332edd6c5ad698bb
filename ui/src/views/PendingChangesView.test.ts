// The "Pending changes" screen against a mocked core: the offline plan, the three-way plan
// with drift and conflicts, the push with its progress bar and result, resolutions, and the
// retry of a change the backend refused.
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Router } from "../lib/nav/router.svelte";
import type { PlanItem, PushReport, SyncChange, SyncPlan } from "../lib/ipc/types";
import { coreEmits, deferred, mockCore, problem } from "../test/fixtures";
import PendingChangesView from "./PendingChangesView.svelte";

const OKTA = "00000000-0000-4000-8000-00000000000a";
const GITHUB = "00000000-0000-4000-8000-00000000000b";
const ENTRA = "00000000-0000-4000-8000-00000000000c";

function item(overrides: Partial<PlanItem>): PlanItem {
  return {
    idp_id: OKTA,
    name: "Okta",
    status: "outgoing",
    action: "create",
    remote_change: "none",
    local_changes: [],
    remote_changes: [],
    ...overrides,
  };
}

function change(overrides: Partial<SyncChange>): SyncChange {
  return {
    seq: 1,
    idp_id: OKTA,
    kind: "create",
    secret_changed: true,
    created_at: "2026-11-24T12:00:00Z",
    idempotency_key: "k",
    attempts: 0,
    last_error: null,
    next_attempt_at: null,
    state: "pending",
    ...overrides,
  };
}

const created = item({
  local_changes: [
    { field: "name", before: null, after: "Okta" },
    { field: "client_secret", before: null, after: "changed" },
  ],
});
const localPlan: SyncPlan = { items: [created] };
const report: PushReport = { pushed: [OKTA], conflicts: [], failed: [], waiting: [] };

function renderView(router = new Router({ name: "pending" })) {
  render(PendingChangesView, { router });
  return router;
}

describe("PendingChangesView", () => {
  it("shows the plan against the last sync when the backend is not set up", async () => {
    mockCore({
      sync_changes: () => [change({})],
      local_sync_plan: () => localPlan,
      sync_plan: () => {
        throw problem("sync_not_configured", "Sync is not set up. Enter the backend URL and workspace in the sync settings.");
      },
    });
    const router = renderView();

    expect(screen.getByRole("heading", { name: "Pending changes" })).toBeInTheDocument();
    const okta = await screen.findByRole("listitem", { name: "Okta" });
    expect(within(okta).getByLabelText("Action: create")).toBeInTheDocument();
    expect(within(okta).getByLabelText("State: pending")).toBeInTheDocument();
    expect(within(okta).queryByRole("button", { name: "Retry" }), "only a failed change is retried").toBeNull();
    expect(within(okta).getByText("Client secret").nextElementSibling).toHaveTextContent("changed");
    expect(within(okta).getByText("Name").nextElementSibling).toHaveTextContent(/^Okta$/);
    expect(await screen.findByText("Compared with the last sync only")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Open settings" }));
    expect(router.route).toEqual({ name: "settings" });
  });

  it("shows drift apart and conflicts with keep mine / take theirs", async () => {
    const calls = mockCore({
      sync_changes: () => [change({ idp_id: GITHUB, kind: "update" })],
      local_sync_plan: () => ({ items: [] }),
      sync_plan: () => ({
        items: [
          item({
            idp_id: GITHUB,
            name: "GitHub",
            status: "conflict",
            action: "none",
            remote_change: "updated",
            local_changes: [{ field: "client_id", before: "a", after: "mine" }],
            remote_changes: [{ field: "client_id", before: "a", after: "theirs" }],
          }),
          item({
            idp_id: ENTRA,
            name: "Entra ID",
            status: "drift",
            action: "none",
            remote_change: "updated",
            remote_changes: [{ field: "notes", before: "", after: "by Bob" }],
          }),
        ],
      }),
      resolve_conflict: () => report,
    });
    renderView();

    const conflicts = await screen.findByRole("list", { name: "Conflicts" });
    const github = within(conflicts).getByRole("listitem", { name: "GitHub" });
    expect(within(github).getByText("conflict")).toBeInTheDocument();
    expect(within(github).getByText("a → mine")).toBeInTheDocument();
    expect(within(github).getByText("a → theirs")).toBeInTheDocument();
    expect(within(github).getAllByText("Client ID"), "fields read as the form labels them").toHaveLength(2);
    expect(within(github).queryByText("client_id")).not.toBeInTheDocument();

    const drift = screen.getByRole("list", { name: "Changed on the backend" });
    expect(within(drift).getByRole("listitem", { name: "Entra ID" })).toHaveTextContent("by Bob");
    expect(within(drift).getByText("Notes")).toBeInTheDocument();
    expect(within(drift).queryByRole("button", { name: "Keep mine" })).not.toBeInTheDocument();
    expect(screen.getByText(/Nothing to push/)).toBeInTheDocument();

    await userEvent.click(within(github).getByRole("button", { name: "Keep mine" }));
    await waitFor(() => expect(calls.some((c) => c.cmd === "resolve_conflict")).toBe(true));
    expect(calls.find((c) => c.cmd === "resolve_conflict")?.args).toEqual({ id: GITHUB, keepMine: true });
    expect(await screen.findByText("1 change pushed.")).toBeInTheDocument();
  });

  it("takes theirs with keepMine false", async () => {
    const calls = mockCore({
      sync_changes: () => [change({ state: "conflict" })],
      local_sync_plan: () => localPlan,
      sync_plan: () => ({ items: [item({ status: "conflict", action: "none" })] }),
      resolve_conflict: () => null,
    });
    renderView();
    const conflicts = await screen.findByRole("list", { name: "Conflicts" });
    const okta = within(conflicts).getByRole("listitem", { name: "Okta" });
    await userEvent.click(within(okta).getByRole("button", { name: "Take theirs" }));
    await waitFor(() =>
      expect(calls.find((c) => c.cmd === "resolve_conflict")?.args).toEqual({ id: OKTA, keepMine: false }),
    );
  });

  it("pushes with a progress bar, then shows the result and reloads", async () => {
    const push = deferred<PushReport>();
    let pushed = false;
    const calls = mockCore({
      sync_changes: () => (pushed ? [] : [change({})]),
      local_sync_plan: () => (pushed ? { items: [] } : localPlan),
      sync_plan: () => (pushed ? { items: [] } : localPlan),
      sync_push: () => push.promise,
    });
    renderView();
    await screen.findByRole("listitem", { name: "Okta" });
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Push" }));
    const bar = await screen.findByRole("progressbar", { name: "Pushing changes" });
    expect(bar).not.toHaveAttribute("aria-valuenow");
    expect(screen.getByRole("button", { name: "Push" })).toBeDisabled();

    // The core counts the changes as it deals with them; the bar becomes determinate.
    await waitFor(() => expect(calls.some((c) => c.cmd === "sync_push")).toBe(true));
    await coreEmits("sync://push-progress", { done: 0, total: 2 });
    await coreEmits("sync://push-progress", { done: 1, total: 2 });
    const counted = screen.getByRole("progressbar", { name: "Pushing changes" });
    expect(counted).toHaveAttribute("aria-valuenow", "1");
    expect(counted).toHaveAttribute("aria-valuemax", "2");
    expect(screen.getByText("1 / 2")).toBeInTheDocument();

    pushed = true;
    push.resolve(report);
    expect(await screen.findByText("1 change pushed.")).toBeInTheDocument();
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("listitem", { name: "Okta" })).not.toBeInTheDocument());
    expect(calls.filter((c) => c.cmd === "sync_push")).toHaveLength(1);
  });

  it("never calls a push that left changes behind finished", async () => {
    mockCore({
      sync_changes: () => [change({})],
      local_sync_plan: () => localPlan,
      sync_plan: () => localPlan,
      sync_push: () => ({ pushed: [], conflicts: [], failed: [], waiting: [OKTA] }),
    });
    renderView();
    await screen.findByRole("listitem", { name: "Okta" });
    await userEvent.click(screen.getByRole("button", { name: "Push" }));
    expect(await screen.findByText("Push incomplete")).toBeInTheDocument();
    expect(screen.getByText("0 changes pushed, 1 waiting.")).toBeInTheDocument();
    expect(screen.queryByText("Push finished")).not.toBeInTheDocument();
  });

  it("reports a push the backend stopped, and keeps the changes", async () => {
    mockCore({
      sync_changes: () => [change({})],
      local_sync_plan: () => localPlan,
      sync_plan: () => localPlan,
      sync_push: () => {
        throw problem("unauthorized", "The backend refused the API key (HTTP 401).");
      },
    });
    const router = renderView();
    await screen.findByRole("listitem", { name: "Okta" });
    await userEvent.click(screen.getByRole("button", { name: "Push" }));
    expect(await screen.findByText("Push stopped")).toBeInTheDocument();
    expect(screen.getByText(/refused the API key/)).toBeInTheDocument();
    expect(screen.getByRole("listitem", { name: "Okta" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Open settings" }));
    expect(router.route).toEqual({ name: "settings" });
  });

  it("shows a failed change with the backend's reason", async () => {
    mockCore({
      sync_changes: () => [change({ state: "failed", last_error: "The backend answered HTTP 422: bad issuer." })],
      local_sync_plan: () => localPlan,
      sync_plan: () => localPlan,
    });
    renderView();
    const okta = await screen.findByRole("listitem", { name: "Okta" });
    expect(within(okta).getByLabelText("State: failed")).toBeInTheDocument();
    expect(okta).toHaveTextContent("HTTP 422: bad issuer.");
  });

  it("retries a failed change with its IdP's id, then reloads the plan", async () => {
    let retried = false;
    const calls = mockCore({
      sync_changes: () =>
        retried
          ? [change({ idempotency_key: "k2" })]
          : [change({ state: "failed", attempts: 1, last_error: "The backend answered HTTP 422: bad issuer." })],
      local_sync_plan: () => localPlan,
      sync_plan: () => localPlan,
      retry_failed_changes: () => {
        retried = true;
        return null;
      },
    });
    renderView();
    const okta = await screen.findByRole("listitem", { name: "Okta" });
    const retry = within(okta).getByRole("button", { name: "Retry" });
    expect(retry).toHaveAccessibleDescription(expect.stringContaining("HTTP 422: bad issuer."));
    const loads = () => calls.filter((c) => c.cmd === "sync_changes").length;
    expect(loads()).toBe(1);

    await userEvent.click(retry);
    await waitFor(() => expect(within(okta).getByLabelText("State: pending")).toBeInTheDocument());
    expect(calls.filter((c) => c.cmd === "retry_failed_changes")).toEqual([
      { cmd: "retry_failed_changes", args: { id: OKTA } },
    ]);
    expect(loads(), "the outbox and plan reload").toBe(2);
    expect(calls.filter((c) => c.cmd === "sync_plan").length).toBe(2);
    expect(within(okta).queryByRole("button", { name: "Retry" })).toBeNull();
    expect(okta).not.toHaveTextContent("bad issuer");
  });

  it("shows the failed change a later edit waits behind, with Retry", async () => {
    mockCore({
      sync_changes: () => [
        change({ seq: 1, state: "failed", last_error: "The backend answered HTTP 422: bad issuer." }),
        change({ seq: 2, kind: "disable", idempotency_key: "k2" }),
      ],
      local_sync_plan: () => localPlan,
      sync_plan: () => localPlan,
    });
    renderView();
    const okta = await screen.findByRole("listitem", { name: "Okta" });
    expect(within(okta).getByLabelText("State: failed")).toBeInTheDocument();
    expect(okta).toHaveTextContent("HTTP 422: bad issuer.");
    expect(within(okta).getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });

  it("reports a retry that failed, and still reloads", async () => {
    const calls = mockCore({
      sync_changes: () => [change({ state: "failed", last_error: "HTTP 422" })],
      local_sync_plan: () => localPlan,
      sync_plan: () => localPlan,
      retry_failed_changes: () => {
        throw problem("storage", "The database is locked by another program.");
      },
    });
    renderView();
    const okta = await screen.findByRole("listitem", { name: "Okta" });
    await userEvent.click(within(okta).getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The database is locked by another program.");
    await waitFor(() => expect(calls.filter((c) => c.cmd === "sync_changes")).toHaveLength(2));
    expect(within(okta).getByLabelText("State: failed")).toBeInTheDocument();
  });
  it("shows what a delete or disable breaks: the flows and extensions that use the IdP", async () => {
    const deleted = item({ action: "delete" });
    const disabled = item({ idp_id: GITHUB, name: "GitHub", action: "disable" });
    const usedBy =
      "Used by 1 flow and 1 Chat Desk extension: Order status › OAuth Request, Chat Desk extension CRM.";
    const calls = mockCore({
      sync_changes: () => [change({ kind: "delete" }), change({ seq: 2, idp_id: GITHUB, kind: "update" })],
      local_sync_plan: () => ({ items: [deleted, disabled] }),
      sync_plan: () => ({ items: [deleted, disabled] }),
      idp_impact: () => [
        {
          idp_id: OKTA,
          check: {
            state: "checked",
            usages: [
              { kind: "chat_flow_node", id: "n1", name: "Order status", node: "OAuth Request" },
              { kind: "chat_desk_extension", id: "e1", name: "CRM", node: null },
            ],
          },
          summary: usedBy,
          disable_asks_first: true,
        },
        {
          idp_id: GITHUB,
          check: { state: "checked", usages: [] },
          summary: "Not used by any flow or Chat Desk extension.",
          disable_asks_first: false,
        },
      ],
    });
    renderView();
    const okta = await screen.findByRole("listitem", { name: "Okta" });
    expect(await within(okta).findByText(usedBy)).toBeInTheDocument();
    const github = screen.getByRole("listitem", { name: "GitHub" });
    expect(within(github).getByText("Not used by any flow or Chat Desk extension.")).toBeInTheDocument();
    expect(calls.find((c) => c.cmd === "idp_impact")?.args).toEqual({ ids: [OKTA, GITHUB] });
  });
});
