// Formatting of times, durations, lifetimes and claim values.
import { describe, expect, it } from "vitest";
import { claimDate, claimText, duration, lifetime, relativeTime } from "./format";

const NOW = Date.parse("2025-03-01T12:00:00Z");

describe("format", () => {
  it("says how long ago a run finished", () => {
    expect(relativeTime("2025-03-01T11:59:40Z", NOW)).toBe("just now");
    expect(relativeTime("2025-03-01T11:55:00Z", NOW)).toBe("5 minutes ago");
    expect(relativeTime("2025-03-01T09:00:00Z", NOW)).toBe("3 hours ago");
    expect(relativeTime("2025-02-28T12:00:00Z", NOW)).toBe("yesterday");
    expect(relativeTime("not a time", NOW)).toBe("");
  });

  it("formats durations and token lifetimes", () => {
    expect(duration(840)).toBe("840 ms");
    expect(duration(2400)).toBe("2.4 s");
    expect(duration(65_000)).toBe("1 min 05 s");
    expect(lifetime(3600)).toBe("3600 s (1 hour)");
    expect(lifetime(5430)).toBe("5430 s (1 hour 30 minutes 30 seconds)");
    expect(lifetime(45)).toBe("45 s (45 seconds)");
  });

  it("shows claim values as text and dates time claims", () => {
    expect(claimText("alice")).toBe("alice");
    expect(claimText(true)).toBe("true");
    expect(claimText(["a", "b"])).toBe('["a","b"]');
    expect(claimText({ country: "NL" })).toBe('{"country":"NL"}');
    expect(claimDate("exp", 1_735_693_200)).toBe("2025-01-01T01:00:00Z");
    expect(claimDate("sub", 1_735_693_200)).toBeNull();
    expect(claimDate("exp", "soon")).toBeNull();
  });
});
