// The test panel against a mocked core: the checklist follows progress events, the outcome
// banner and the verified identity follow the report, and Cancel asks the core to stop.
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { StartTestRequest } from "../../lib/ipc/types";
import { TestRun } from "../../lib/testing/test-run.svelte";
import { coreEmits, identity, mockCore, passedSteps, step, testReport } from "../../test/fixtures";
import TestPanel from "./TestPanel.svelte";

const request = { id: null, fields: {}, secret: { kind: "keep" } } as unknown as StartTestRequest;

async function openPanel(handlers: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  const calls = mockCore({ start_test_login: () => "run-1", cancel_test_login: () => true, ...handlers });
  const run = new TestRun("Okta");
  expect(await run.start(request)).toBeNull();
  const onclose = vi.fn();
  render(TestPanel, { run, onclose });
  const dialog = screen.getByRole("dialog", { name: "Test Configuration: Okta" });
  return { calls, run, onclose, dialog };
}

/** The checklist row of a step, by its label. */
function stepRow(label: string): HTMLElement {
  const list = screen.getByRole("list", { name: "Steps" });
  const row = within(list)
    .getAllByRole("listitem")
    .find((li) => li.textContent?.includes(label));
  if (!row) throw new Error(`no step ${label}`);
  return row;
}

describe("TestPanel", () => {
  it("shows the live checklist and waits for the browser", async () => {
    const { dialog } = await openPanel();
    // Focus is inside the dialog, on the one action a running test has.
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    expect(within(dialog).queryByRole("button", { name: "Close" })).not.toBeInTheDocument();
    expect(stepRow("Discovery")).toHaveTextContent("Pending");

    await coreEmits("test-run://progress", {
      run_id: "run-1",
      steps: [step("discovery", "passed", 120, "Issuer matches."), step("jwks", "running")],
    });
    expect(stepRow("Discovery")).toHaveTextContent("Passed");
    expect(stepRow("Discovery")).toHaveTextContent("120 ms");
    expect(stepRow("Discovery")).toHaveTextContent("Issuer matches.");
    expect(stepRow("Signing keys (JWKS)")).toHaveTextContent("Running…");
    expect(screen.getByRole("progressbar")).toHaveAccessibleName("Testing the configuration…");

    await coreEmits("test-run://progress", {
      run_id: "run-1",
      steps: [
        step("discovery", "passed", 120),
        step("jwks", "warning", 80, "The JWKS has a key without kid."),
        step("authorization", "running", 0, "Opened the browser."),
      ],
    });
    expect(stepRow("Signing keys (JWKS)")).toHaveTextContent("Warning");
    expect(stepRow("Authorization in the browser")).toHaveTextContent("Running…");
    expect(screen.getByRole("progressbar")).toHaveAccessibleName("Waiting for the login in your browser…");
    expect(screen.getByRole("list", { name: "Steps" })).toHaveAttribute("aria-busy", "true");
    expect(stepRow("Userinfo")).toHaveTextContent("Pending");
  });

  it("shows the verified identity of a passed test", async () => {
    const { dialog, onclose } = await openPanel();
    await coreEmits("test-run://finished", testReport({ run_id: "run-1" }));

    const banner = within(dialog).getByRole("status");
    expect(banner).toHaveTextContent("Configuration verified");
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();
    expect(stepRow("Userinfo")).toHaveTextContent("Passed");

    const section = within(dialog).getByRole("region", { name: "Verified identity" });
    expect(within(section).getByRole("group", { name: "Customer identifier" })).toHaveTextContent(
      "alice@example.com",
    );
    expect(within(section).getByRole("group", { name: "Customer identifier" })).toHaveTextContent("email");
    expect(section).toHaveTextContent("openid");
    expect(section).toHaveTextContent("3600 s (1 hour)");
    expect(section).toHaveTextContent("eyJh… (812 characters)");
    expect(section).toHaveTextContent("None issued");
    expect(section).not.toHaveTextContent("No ID token was verified");

    const header = within(section).getByRole("table", { name: "ID token header" });
    expect(within(header).getByRole("row", { name: "alg RS256" })).toBeInTheDocument();
    const claims = within(section).getByRole("table", { name: "ID token claims" });
    expect(within(claims).getByRole("row", { name: "email_verified true" })).toBeInTheDocument();
    expect(within(claims).getByRole("rowheader", { name: "exp" }).nextElementSibling).toHaveTextContent(
      "1735693200 (2025-01-01T01:00:00Z)",
    );
    const userinfo = within(section).getByRole("table", { name: "Userinfo claims" });
    expect(within(userinfo).getByRole("row", { name: "name Alice Example" })).toBeInTheDocument();

    // The run has ended: Close replaces Cancel and takes the focus.
    const close = within(dialog).getByRole("button", { name: "Close" });
    await waitFor(() => expect(close).toHaveFocus());
    expect(within(dialog).queryByRole("button", { name: "Cancel" })).not.toBeInTheDocument();
    await userEvent.click(close);
    expect(onclose).toHaveBeenCalledOnce();
  });

  it("renders claim values as text, never as HTML", async () => {
    const { dialog } = await openPanel();
    const hostile = '<img src=x onerror="window.pwned=1">';
    await coreEmits(
      "test-run://finished",
      testReport({ run_id: "run-1", identity: identity({ userinfo_claims: { name: hostile }, customer_id: hostile }) }),
    );
    const userinfo = within(dialog).getByRole("table", { name: "Userinfo claims" });
    expect(userinfo).toHaveTextContent(hostile);
    expect(within(dialog).getByRole("group", { name: "Customer identifier" })).toHaveTextContent(hostile);
    expect(dialog.querySelector("img")).toBeNull();
  });

  it("says plainly when no ID token was verified (plain OAuth 2.0)", async () => {
    const { dialog } = await openPanel();
    await coreEmits(
      "test-run://finished",
      testReport({
        run_id: "run-1",
        steps: [
          step("discovery", "skipped", 0, "OAuth 2.0: no discovery."),
          step("jwks", "skipped"),
          ...passedSteps().slice(2, 6),
          step("id_token_verification", "skipped", 0, "OAuth 2.0: no ID token."),
          step("userinfo", "passed", 90),
        ],
        identity: identity({
          id_token_verified: false,
          id_token_header: null,
          id_token_claims: null,
          id_token_lifetime: null,
          customer_id_claim: "id",
          customer_id: "583231",
          userinfo_claims: { id: 583231, login: "octocat" },
        }),
      }),
    );
    const section = within(dialog).getByRole("region", { name: "Verified identity" });
    expect(section).toHaveTextContent(
      "No ID token was verified: this is a plain OAuth 2.0 IdP; the identity comes from its profile endpoint.",
    );
    expect(within(section).getByRole("group", { name: "Customer identifier" })).toHaveTextContent("583231");
    expect(within(section).queryByRole("table", { name: "ID token claims" })).not.toBeInTheDocument();
    expect(within(section).getByRole("table", { name: /userinfo/i })).toHaveTextContent("octocat");
    expect(stepRow("ID token verification")).toHaveTextContent("Skipped");
  });

  it("shows a failure with its message and how to fix it in an alert", async () => {
    const { dialog } = await openPanel();
    await coreEmits("test-run://finished", {
      ...testReport({ run_id: "run-1", outcome: "failed", identity: null }),
      steps: [...passedSteps().slice(0, 5), step("code_exchange", "failed", 210, "invalid_client")],
      error: {
        code: "invalid_client",
        message: "The IdP rejected the client secret (invalid_client).",
        fix: "Check the secret, or switch to client_secret_post.",
      },
    });
    const alert = within(dialog).getByRole("alert");
    expect(alert).toHaveTextContent("Test failed");
    expect(alert).toHaveTextContent("The IdP rejected the client secret (invalid_client).");
    expect(alert).toHaveTextContent("How to fix");
    expect(alert).toHaveTextContent("Check the secret, or switch to client_secret_post.");
    expect(within(dialog).queryByRole("status")).not.toBeInTheDocument();
    expect(within(dialog).queryByRole("region", { name: "Verified identity" })).not.toBeInTheDocument();
    expect(stepRow("Code exchange")).toHaveTextContent("Failed");
    expect(stepRow("ID token verification")).toHaveTextContent("Not run");
  });

  it("reports a timed-out login as a failure", async () => {
    const { dialog } = await openPanel();
    await coreEmits(
      "test-run://finished",
      testReport({
        run_id: "run-1",
        outcome: "timed_out",
        identity: null,
        error: { code: "timeout", message: "No redirect arrived within 5 minutes.", fix: "Register the redirect URI." },
      }),
    );
    const alert = within(dialog).getByRole("alert");
    expect(alert).toHaveTextContent("Test timed out");
    expect(alert).toHaveTextContent("Register the redirect URI.");
  });

  it("cancels through cancel_test_login, and only closes once the run has ended", async () => {
    const { dialog, calls, onclose } = await openPanel();
    await coreEmits("test-run://progress", { run_id: "run-1", steps: [step("authorization", "running")] });

    // Escape doesn't walk away from a login in progress.
    await userEvent.keyboard("{Escape}");
    expect(onclose).not.toHaveBeenCalled();

    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls.filter((c) => c.cmd === "cancel_test_login")).toEqual([
      { cmd: "cancel_test_login", args: { runId: "run-1" } },
    ]);
    expect(await within(dialog).findByRole("status")).toHaveTextContent("Test cancelled");
    await coreEmits("test-run://finished", testReport({ run_id: "run-1", outcome: "cancelled", identity: null }));
    expect(within(dialog).getByRole("status")).toHaveTextContent("Test cancelled");
    expect(stepRow("Authorization in the browser")).toHaveTextContent("Passed");

    await userEvent.keyboard("{Escape}");
    expect(onclose).toHaveBeenCalledOnce();
  });

  it("keeps Cancel available when the core couldn't cancel", async () => {
    const { dialog } = await openPanel({
      cancel_test_login: () => {
        throw { code: "internal", message: "The run is busy.", fields: [] };
      },
    });
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("Couldn't cancel the test: The run is busy.");
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toBeEnabled();
  });
});
