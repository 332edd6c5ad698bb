// A run's state from the core's events: early events are held for the run id, other runs'
// events are ignored, and listening stops with the run.
import { describe, expect, it } from "vitest";
import { coreEmits, deferred, mockCore, problem, step, testReport } from "../../test/fixtures";
import type { StartTestRequest } from "../ipc/types";
import { TestRun } from "./test-run.svelte";

const request = { id: null, fields: {}, secret: { kind: "keep" } } as unknown as StartTestRequest;

describe("TestRun", () => {
  it("replays progress and the report that arrive before the run id", async () => {
    const finished: string[] = [];
    mockCore({
      start_test_login: async () => {
        // The core starts the run before it answers.
        await coreEmits("test-run://progress", { run_id: "run-7", steps: [step("discovery", "running")] });
        await coreEmits("test-run://progress", { run_id: "other", steps: [step("discovery", "failed")] });
        await coreEmits("test-run://finished", testReport({ run_id: "run-7", outcome: "failed" }));
        return "run-7";
      },
    });
    const run = new TestRun("Okta", { onfinished: (r) => finished.push(r.run_id) });

    expect(await run.start(request)).toBeNull();
    expect(run.runId).toBe("run-7");
    expect(run.report?.outcome).toBe("failed");
    expect(run.ended).toBe(true);
    expect(finished).toEqual(["run-7"]);
    run.dispose();
  });

  it("follows only its own run, and nothing after dispose", async () => {
    mockCore({ start_test_login: () => "run-1", cancel_test_login: () => true });
    const run = new TestRun("Okta");
    await run.start(request);

    await coreEmits("test-run://progress", { run_id: "run-1", steps: [step("discovery", "passed", 12)] });
    expect(run.steps).toEqual([step("discovery", "passed", 12)]);
    await coreEmits("test-run://progress", { run_id: "run-2", steps: [step("discovery", "failed", 5)] });
    await coreEmits("test-run://finished", testReport({ run_id: "run-2" }));
    expect(run.steps).toEqual([step("discovery", "passed", 12)]);
    expect(run.report).toBeNull();

    run.dispose();
    await coreEmits("test-run://progress", { run_id: "run-1", steps: [step("jwks", "passed", 3)] });
    expect(run.steps).toEqual([step("discovery", "passed", 12)]);
  });

  it("cancels a run that is dropped while it goes on", async () => {
    const calls = mockCore({ start_test_login: () => "run-1", cancel_test_login: () => true });
    const run = new TestRun("Okta");
    await run.start(request);
    run.dispose();
    expect(calls.filter((c) => c.cmd === "cancel_test_login")).toEqual([
      { cmd: "cancel_test_login", args: { runId: "run-1" } },
    ]);
  });

  it("does not cancel a run that has ended", async () => {
    const calls = mockCore({ start_test_login: () => "run-1", cancel_test_login: () => true });
    const run = new TestRun("Okta");
    await run.start(request);
    await coreEmits("test-run://finished", testReport({ run_id: "run-1" }));
    run.dispose();
    expect(calls.some((c) => c.cmd === "cancel_test_login")).toBe(false);
  });

  it("returns the problem of a refused start and stops listening", async () => {
    const sent = problem("validation", "Client ID is required", [{ field: "client_id", message: "is required" }]);
    mockCore({
      start_test_login: () => {
        throw sent;
      },
    });
    const run = new TestRun("Okta");
    expect(await run.start(request)).toEqual(sent);
    await coreEmits("test-run://progress", { run_id: "run-1", steps: [step("discovery", "running")] });
    expect(run.steps).toEqual([]);
  });

  it("shows a cancel the core confirmed before the report arrives", async () => {
    const answer = deferred<boolean>();
    mockCore({ start_test_login: () => "run-1", cancel_test_login: () => answer.promise });
    const run = new TestRun("Okta");
    await run.start(request);
    const cancelling = run.cancel();
    expect(run.cancelling).toBe(true);
    expect(run.running).toBe(true);
    answer.resolve(true);
    await cancelling;
    expect(run.cancelAnswer).toBe("cancelled");
    expect(run.running).toBe(false);
    expect(run.ended).toBe(true);
    run.dispose();
  });
});
