// The checklist: protocol order, and what an unreported step reads as.
import { describe, expect, it } from "vitest";
import { step } from "../../test/fixtures";
import { checklist, totalMs, waitingForBrowser } from "./steps";

describe("checklist", () => {
  it("lists all eight steps in protocol order, whatever order they were reported in", () => {
    const items = checklist([step("jwks", "passed", 80), step("discovery", "passed", 120)], false);
    expect(items.map((i) => i.label)).toEqual([
      "Discovery",
      "Signing keys (JWKS)",
      "Authorization in the browser",
      "Redirect received",
      "State and issuer checks",
      "Code exchange",
      "ID token verification",
      "Userinfo",
    ]);
    expect(items[0]).toMatchObject({ status: "passed", ms: 120 });
    expect(items[1]).toMatchObject({ status: "passed", ms: 80 });
  });

  it("shows unreported steps as pending while running and as not run once ended", () => {
    const steps = [step("discovery", "failed", 40, "404")];
    expect(checklist(steps, false)[1]!.status).toBe("pending");
    expect(checklist(steps, true)[1]!.status).toBe("not_run");
    expect(checklist(steps, true)[0]).toMatchObject({ status: "failed", detail: "404" });
  });

  it("shows the PAR push, in its place, only when the core reported one", () => {
    const without = checklist([step("discovery", "passed"), step("jwks", "passed")], true);
    expect(without.map((i) => i.name)).not.toContain("pushed_authorization");
    expect(without).toHaveLength(8);

    const pushed = step("pushed_authorization", "passed", 30, "The IdP requires PAR: the request went to …");
    const items = checklist([step("discovery", "passed"), step("jwks", "passed"), pushed], false);
    expect(items.map((i) => i.name).slice(0, 4)).toEqual(["discovery", "jwks", "pushed_authorization", "authorization"]);
    expect(items[2]).toMatchObject({ label: "Pushed authorization (PAR)", status: "passed", ms: 30 });
    expect(items[3]!.status).toBe("pending");
  });

  it("has no time for a running step", () => {
    expect(checklist([step("authorization", "running", 0)], false)[2]!.ms).toBeNull();
  });
});

describe("run helpers", () => {
  it("sums the step times", () => {
    expect(totalMs([step("discovery", "passed", 120), step("jwks", "warning", 80)])).toBe(200);
    expect(totalMs([])).toBe(0);
  });

  it("knows when the login waits in the browser", () => {
    expect(waitingForBrowser([step("discovery", "passed"), step("authorization", "running")])).toBe(true);
    expect(waitingForBrowser([step("authorization", "passed"), step("code_exchange", "running")])).toBe(false);
  });
});
