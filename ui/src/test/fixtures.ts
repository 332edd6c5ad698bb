// Test data and a recording IPC mock: each test says which commands the "core" answers and
// how, and can assert on exactly what the UI sent.
import { mockIPC } from "@tauri-apps/api/mocks";
import type { IdpConfig, IdpSummary, Problem } from "../lib/ipc/types";

export type Call = { cmd: string; args: Record<string, unknown> };
type Handler = (args: Record<string, unknown>) => unknown;

/** Installs the mock; a command without a handler fails the way a missing command would. */
export function mockCore(handlers: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const handler = handlers[cmd];
    if (!handler) throw problem("internal", `no mock for ${cmd}`);
    return handler(args);
  });
  return calls;
}

export function problem(code: Problem["code"], message: string, fields: Problem["fields"] = []): Problem {
  return { code, message, fields };
}

let seq = 0;
function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

export function summary(overrides: Partial<IdpSummary> = {}): IdpSummary {
  seq += 1;
  return {
    id: uuid(seq),
    name: `IdP ${seq}`,
    protocol: "oidc",
    host: `idp${seq}.example.com`,
    enabled: true,
    has_secret: true,
    updated_at: "2025-01-01T00:00:00Z",
    ...overrides,
  };
}

export function manySummaries(count: number): IdpSummary[] {
  return Array.from({ length: count }, (_, i) =>
    summary({ id: uuid(1_000_000 + i), name: `Provider ${String(i).padStart(5, "0")}` }),
  );
}

export function config(overrides: Partial<IdpConfig> = {}): IdpConfig {
  return {
    id: uuid(424242),
    name: "Okta",
    protocol: "oidc",
    issuer: "https://okta.example.com",
    authorization_endpoint: "https://okta.example.com/authorize",
    token_endpoint: "https://okta.example.com/token",
    userinfo_endpoint: "https://okta.example.com/userinfo",
    jwks_uri: "https://okta.example.com/keys",
    client_id: "eca-client",
    client_auth_method: "client_secret_basic",
    scopes: ["openid", "profile", "email"],
    extra_params: [{ key: "prompt", value: "login" }],
    redirect_uris: ["https://platform.example.com/callback"],
    customer_id_claim: "sub",
    enabled: true,
    notes: "",
    has_secret: true,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-02T00:00:00Z",
    ...overrides,
  };
}

/** A promise the test resolves or rejects when it chooses, to look at in-flight states. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
