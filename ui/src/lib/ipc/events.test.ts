// The typed listeners hear the core's events by their contract names, and stop cleanly, even
// when stopped before listening has started.
import { describe, expect, it } from "vitest";
import { coreEmits, coreSaw, mockCore, step, testReport } from "../../test/fixtures";
import { listening, onCallbackRefused, onTestFinished, onTestProgress } from "./events";

describe("events", () => {
  it("delivers each event's payload to its listener", async () => {
    mockCore({});
    const heard: unknown[] = [];
    const stops = await Promise.all([
      onTestProgress((p) => heard.push(["progress", p.run_id, p.steps.length])),
      onTestFinished((r) => heard.push(["finished", r.outcome])),
      onCallbackRefused((r) => heard.push(["refused", r.reason])),
    ]);
    await coreEmits("test-run://progress", { run_id: "run-1", steps: [step("discovery", "running")] });
    await coreEmits("test-run://finished", testReport({ outcome: "timed_out" }));
    await coreEmits("test-run://callback-refused", { reason: "replay" });
    expect(heard).toEqual([
      ["progress", "run-1", 1],
      ["finished", "timed_out"],
      ["refused", "replay"],
    ]);
    stops.forEach((stop) => stop());
  });

  it("stops listening, also when stopped before listening has started", async () => {
    mockCore({});
    const heard: string[] = [];
    const stopLater = listening(onCallbackRefused((r) => heard.push(`later:${r.reason}`)));
    const stopAtOnce = listening(onCallbackRefused((r) => heard.push(`at once:${r.reason}`)));
    stopAtOnce();
    // Both have listened, and the one stopped at once has stopped.
    await coreSaw("listen", "test-run://callback-refused", 2);
    await coreSaw("unlisten", "test-run://callback-refused");
    await coreEmits("test-run://callback-refused", { reason: "1" });
    stopLater();
    await coreEmits("test-run://callback-refused", { reason: "2" });
    expect(heard).toEqual(["later:1"]);
  });
});
