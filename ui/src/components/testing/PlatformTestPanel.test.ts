// The "Test on the platform" dialog against a mocked core: the wait, Cancel, and the outcome
// with the platform's steps and the explanation of a difference from this computer.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { PlatformTestReport } from "../../lib/ipc/types";
import { PlatformTest } from "../../lib/testing/platform-test.svelte";
import { config, deferred, mockCore, passedSteps, step } from "../../test/fixtures";
import PlatformTestPanel from "./PlatformTestPanel.svelte";

const URI = "http://127.0.0.1:8787/v1/oauth/callback";

function report(overrides: Partial<PlatformTestReport> = {}): PlatformTestReport {
  return {
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
    ...overrides,
  };
}

function open(test: PlatformTest) {
  const onclose = vi.fn();
  render(PlatformTestPanel, { test, onclose });
  return { onclose, dialog: screen.getByRole("dialog", { name: "Test on the platform: Okta" }) };
}

describe("PlatformTestPanel", () => {
  it("waits for the browser, and Cancel asks the core to stop this IdP's test", async () => {
    const answer = deferred<PlatformTestReport>();
    const calls = mockCore({ test_on_platform: () => answer.promise, cancel_platform_test: () => true });
    const test = new PlatformTest(config().id, "Okta");
    const running = test.start();
    const { dialog } = open(test);
    expect(screen.getByRole("progressbar")).toHaveAccessibleName(/through the platform/);
    expect(screen.getByRole("list", { name: "Steps on the platform" })).toHaveAttribute("aria-busy", "true");

    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls.find((c) => c.cmd === "cancel_platform_test")?.args).toEqual({ id: config().id });
    answer.resolve(
      report({
        outcome: "cancelled",
        steps: [],
        error: { code: "cancelled", message: "Cancelled before the platform had a result.", fix: "Register it." },
        explanation: {
          cause: "redirect_uri_not_registered",
          message: "Passes from this computer, fails on the platform: the IdP refused the platform's redirect URI.",
          fix: `Register ${URI} at the IdP.`,
        },
      }),
    );
    await running;
    expect(await within(dialog).findByText("Test cancelled")).toBeInTheDocument();
    expect(dialog).toHaveTextContent("Cancelled before the platform had a result.");
    const why = within(dialog).getByRole("region", { name: "Why it differs from this computer" });
    expect(why).toHaveTextContent(`Register ${URI} at the IdP.`);
    expect(within(dialog).getByRole("button", { name: "Close" })).toBeInTheDocument();
  });

  it("shows the platform's steps and the customer it verified", async () => {
    mockCore({ test_on_platform: () => report() });
    const test = new PlatformTest(config().id, "Okta");
    await test.start();
    const { dialog } = open(test);
    expect(within(dialog).getByRole("status")).toHaveTextContent("Verified on the platform");
    const steps = within(dialog).getByRole("list", { name: "Steps on the platform" });
    expect(within(steps).getAllByRole("listitem")).toHaveLength(8);
    expect(steps).toHaveTextContent("Userinfo");
    expect(dialog).toHaveTextContent(`Platform redirect URI used: ${URI}`);
    expect(dialog).toHaveTextContent("alice@example.com");
  });

  it("explains why the platform fails where this computer passes", async () => {
    mockCore({
      test_on_platform: () =>
        report({
          outcome: "failed",
          steps: [step("discovery", "passed", 5), step("code_exchange", "failed", 9, "The IdP refused the client.")],
          failed_step: "code_exchange",
          error: { code: "invalid_client", message: "The IdP refused the client secret.", fix: "Check the secret." },
          customer_id: null,
          explanation: {
            cause: "platform_secret",
            message:
              "Passes from this computer, fails on the platform: the IdP refused the client secret the platform holds (invalid_client): it is not the one you tested with.",
            fix: "Push the secret you tested with.",
          },
        }),
    });
    const test = new PlatformTest(config().id, "Okta");
    await test.start();
    const { dialog } = open(test);
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Failed on the platform");
    expect(within(dialog).getByRole("alert")).toHaveTextContent("The IdP refused the client secret.");
    expect(dialog).not.toHaveTextContent("Check the secret.");
    const why = within(dialog).getByRole("region", { name: "Why it differs from this computer" });
    expect(why).toHaveTextContent("Passes from this computer, fails on the platform");
    expect(why).toHaveTextContent("Push the secret you tested with.");
    const steps = within(dialog).getByRole("list", { name: "Steps on the platform" });
    const failed = within(steps)
      .getAllByRole("listitem")
      .find((li) => li.textContent?.includes("Code exchange"));
    expect(failed).toHaveTextContent("The IdP refused the client.");
    expect(dialog).not.toHaveTextContent("alice@example.com");
  });
});
