// A login callback the core refused shows as a notice that blocks nothing and can be dismissed.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { coreEmits, coreSaw, mockCore } from "../../test/fixtures";
import CallbackNotices from "./CallbackNotices.svelte";

describe("CallbackNotices", () => {
  it("shows each refused callback until dismissed", async () => {
    mockCore({});
    render(CallbackNotices);
    const region = screen.getByRole("status");
    expect(region.textContent?.trim()).toBe("");

    // Listening starts when the shell mounts, a round trip later.
    await coreSaw("listen", "test-run://callback-refused");
    await coreEmits("test-run://callback-refused", { reason: "No test login is waiting for this callback." });
    expect(region).toHaveTextContent("A sign-in callback was ignored");
    expect(region).toHaveTextContent("No test login is waiting for this callback.");

    await userEvent.click(within(region).getByRole("button", { name: "Dismiss" }));
    expect(region).not.toHaveTextContent("No test login is waiting");
  });

  it("keeps only the latest three", async () => {
    mockCore({});
    render(CallbackNotices);
    await coreSaw("listen", "test-run://callback-refused");
    for (const n of [1, 2, 3, 4]) await coreEmits("test-run://callback-refused", { reason: `Refused #${n}.` });
    const region = screen.getByRole("status");
    expect(within(region).getAllByRole("button", { name: "Dismiss" })).toHaveLength(3);
    expect(region).not.toHaveTextContent("Refused #1.");
    expect(region).toHaveTextContent("Refused #4.");
  });
});
