import { afterEach, describe, expect, it, vi } from "vitest";
import { mockCore } from "../../test/fixtures";
import { markListShown } from "./list-shown";

describe("markListShown", () => {
  afterEach(() => vi.restoreAllMocks());

  it("tells the shell once per run, only after the frame that follows the paint", async () => {
    const calls = mockCore({ list_shown: () => null });
    const frames: FrameRequestCallback[] = [];
    vi.spyOn(window, "requestAnimationFrame").mockImplementation((callback) => frames.push(callback));
    const shown = () => calls.filter((c) => c.cmd === "list_shown").length;

    const first = markListShown();
    await vi.waitFor(() => expect(frames).toHaveLength(1));
    expect(shown(), "not before the paint").toBe(0);
    frames[0]?.(0);
    await vi.waitFor(() => expect(frames).toHaveLength(2));
    expect(shown(), "not in the frame before the paint").toBe(0);
    frames[1]?.(0);
    await first;
    expect(shown()).toBe(1);

    await markListShown();
    expect(shown(), "a second list (back from the form) is not a start-up").toBe(1);
    expect(frames).toHaveLength(2);
  });
});
