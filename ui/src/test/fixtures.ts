// Test data and a recording IPC mock: each test says which commands the "core" answers and
// how, and can assert on exactly what the UI sent. Events are mocked too: `emit` from a test
// reaches the UI's `listen`, as an event from the core would.
import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { tick } from "svelte";
import type {
  IdpConfig,
  IdpSummary,
  Problem,
  Step,
  StepName,
  StepStatus,
  TestReport,
  VerifiedIdentity,
} from "../lib/ipc/types";

export type Call = { cmd: string; args: Record<string, unknown> };
type Handler = (args: Record<string, unknown>) => unknown;

/**
 * Installs the mock; a command without a handler fails the way a missing command would.
 * Event plugin calls (listen, unlisten, emit) are handled by Tauri's event mock, not recorded.
 */
export function mockCore(handlers: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const handler = handlers[cmd];
    if (!handler) throw problem("internal", `no mock for ${cmd}`);
    return handler(args);
  }, { shouldMockEvents: true });
  noticeListens();
  return calls;
}

/** How many times the UI called `listen` / `unlisten` per event since the last `mockCore`. */
const eventCalls = new Map<string, number>();
const awaitingEventCalls: Array<{ key: string; count: number; resume: () => void }> = [];

/** Wraps the mocked `invoke` so that the UI's `listen` and `unlisten` are seen by `coreSaw`. */
function noticeListens(): void {
  eventCalls.clear();
  const internals = (window as unknown as { __TAURI_INTERNALS__: { invoke: Invoke } }).__TAURI_INTERNALS__;
  const invoke = internals.invoke;
  internals.invoke = async (cmd, args, options) => {
    const answer = await invoke(cmd, args, options);
    const call = cmd.match(/^plugin:event\|(listen|unlisten)$/)?.[1];
    if (call) {
      const key = `${call} ${String((args as { event?: unknown }).event)}`;
      const count = (eventCalls.get(key) ?? 0) + 1;
      eventCalls.set(key, count);
      for (const waiter of awaitingEventCalls.filter((w) => w.key === key && w.count <= count)) {
        awaitingEventCalls.splice(awaitingEventCalls.indexOf(waiter), 1);
        waiter.resume();
      }
    }
    return answer;
  };
}
type Invoke = (cmd: string, args?: unknown, options?: unknown) => Promise<unknown>;

/**
 * Resolves once the UI has called `listen` (or `unlisten`) for `event` `count` times: a component
 * subscribes as it mounts, a round trip later.
 */
export function coreSaw(call: "listen" | "unlisten", event: string, count = 1): Promise<void> {
  const key = `${call} ${event}`;
  if ((eventCalls.get(key) ?? 0) >= count) return Promise.resolve();
  return new Promise((resume) => awaitingEventCalls.push({ key, count, resume }));
}

/** Sends an event as the core would (by its literal name: the names are the contract). */
export async function coreEmits(event: string, payload: unknown): Promise<void> {
  await emit(event, payload);
  await tick();
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
    secret_set_aside: false,
    updated_at: "2025-01-01T00:00:00Z",
    last_test: null,
    credential_expires_on: null,
    credential_expiry: { state: "no_date" },
    client_auth_method: "client_secret_basic",
    credential_reminder: null,
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
    test_redirect: "deep_link",
    claim_mapping: [{ claim: "email", variable: "customer_email" }],
    channel_binding: true,
    loopback_port: null,
    id_token_signing_algs: ["RS256", "HS256"],
    credential_expires_on: "2027-03-31",
    has_secret: true,
    secret_entered_for: { token_origin: "https://okta.example.com", client_id: "eca-client" },
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

export function step(name: StepName, status: StepStatus, ms = 0, detail = ""): Step {
  return { name, status, ms, detail };
}

/** The steps of a fully verified OpenID Connect login. */
export function passedSteps(): Step[] {
  return [
    step("discovery", "passed", 120, "Issuer matches."),
    step("jwks", "passed", 80, "2 signing keys."),
    step("authorization", "passed", 4200, "Login completed in the browser."),
    step("redirect_received", "passed", 1, "Deep link received."),
    step("state_and_issuer", "passed", 1, "state and iss match."),
    step("code_exchange", "passed", 230, "Tokens received."),
    step("id_token_verification", "passed", 3, "RS256 signature, iss, aud, exp, nonce verified."),
    step("userinfo", "passed", 95, "sub matches the ID token."),
  ];
}

export function identity(overrides: Partial<VerifiedIdentity> = {}): VerifiedIdentity {
  return {
    id_token_verified: true,
    id_token_header: { alg: "RS256", kid: "key-1", typ: "JWT" },
    id_token_claims: {
      iss: "https://okta.example.com",
      sub: "00u1abcd",
      aud: "eca-client",
      email: "alice@example.com",
      email_verified: true,
      iat: 1_735_689_600,
      exp: 1_735_693_200,
    },
    userinfo_claims: { sub: "00u1abcd", name: "Alice Example", email: "alice@example.com" },
    customer_id_claim: "email",
    customer_id: "alice@example.com",
    granted_scopes: ["openid", "profile", "email"],
    access_token_masked: "eyJh… (812 characters)",
    refresh_token_masked: null,
    access_token_expires_in: 3600,
    id_token_lifetime: 3600,
    ...overrides,
  };
}

export function testReport(overrides: Partial<TestReport> = {}): TestReport {
  return {
    run_id: "run-1",
    idp_id: config().id,
    idp_name: "Okta",
    started_at: "2025-01-02T10:00:00Z",
    finished_at: "2025-01-02T10:00:05Z",
    outcome: "passed",
    redirect_uri: "com.ecaadmin.desktop:/oauth/callback",
    steps: passedSteps(),
    error: null,
    identity: identity(),
    ...overrides,
  };
}
