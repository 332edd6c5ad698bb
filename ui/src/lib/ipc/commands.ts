// The one place the UI talks to the Rust core. The typed wrappers are generated from the Rust
// commands (`bindings.ts`, written by tauri-specta: `make bindings`); this file adds only what is
// not generated: every rejection turned into a `Problem`.
import { commands as generated, PROBLEM_CODES, type Problem } from "./bindings";

/** True when `value` has the shape of the `Problem` every failing command rejects with. */
export function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === "string" &&
    (PROBLEM_CODES as readonly string[]).includes(v.code) &&
    typeof v.message === "string" &&
    Array.isArray(v.fields) &&
    v.fields.every(
      (f: unknown) =>
        typeof f === "object" &&
        f !== null &&
        typeof (f as Record<string, unknown>).field === "string" &&
        typeof (f as Record<string, unknown>).message === "string",
    )
  );
}

/**
 * Any rejection as a `Problem`. A command that is missing, a panic or a plain string error
 * (e.g. from Tauri itself) becomes an `internal` problem with a readable message.
 */
export function toProblem(error: unknown): Problem {
  if (isProblem(error)) return error;
  let message: string;
  if (typeof error === "string") message = error;
  else if (error instanceof Error) message = error.message;
  else if (typeof error === "object" && error !== null && "message" in error)
    message = String((error as { message: unknown }).message);
  else message = "Something went wrong.";
  return { code: "internal", message: message || "Something went wrong.", fields: [] };
}

type Generated = typeof generated;

/**
 * Every Rust command as a typed function (`commands.saveIdp(request)`), as generated, except that
 * it rejects with a `Problem` whatever went wrong.
 */
export const commands = Object.fromEntries(
  Object.entries(generated).map(([name, command]) => [
    name,
    async (...args: unknown[]) => {
      try {
        return await (command as (...args: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        throw toProblem(error);
      }
    },
  ]),
) as Generated;
