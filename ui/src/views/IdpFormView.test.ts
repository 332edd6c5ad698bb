// The add/edit form against a mocked core: what it sends, where errors land, discovery, the
// unsaved-changes guard and the write-only client secret.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type {
  AuditEntry,
  DiscoveryInfo,
  IdpConfig,
  IssuerDiscovery,
  SaveIdpRequest,
  StartTestRequest,
} from "../lib/ipc/types";
import { Router } from "../lib/nav/router.svelte";
import {
  config,
  coreEmits,
  deferred,
  mockCore,
  problem,
  step,
  testReport,
  type Call,
} from "../test/fixtures";
import IdpFormView from "./IdpFormView.svelte";

function renderForm(id: string | null = null) {
  const router = new Router(id === null ? { name: "add" } : { name: "edit", id });
  render(IdpFormView, { router, id });
  return router;
}

function saved(calls: Call[]): SaveIdpRequest[] {
  return calls.filter((c) => c.cmd === "save_idp").map((c) => c.args.request as SaveIdpRequest);
}

function echoSave(args: Record<string, unknown>, extra: Partial<IdpConfig> = {}) {
  const request = args.request as SaveIdpRequest;
  return {
    idp: { ...config(), ...request.fields, id: request.id ?? config().id, ...extra },
    secret_error: null,
  };
}

const info: DiscoveryInfo = {
  issuer: "https://login.example.com",
  authorization_endpoint: "https://login.example.com/oauth2/authorize",
  token_endpoint: "https://login.example.com/oauth2/token",
  userinfo_endpoint: "https://login.example.com/oauth2/userinfo",
  jwks_uri: "https://login.example.com/oauth2/keys",
  code_challenge_methods_supported: ["S256"],
  token_endpoint_auth_methods_supported: ["client_secret_basic", "private_key_jwt"],
  scopes_supported: ["openid", "email", "profile", "offline_access"],
  id_token_signing_alg_values_supported: ["RS256"],
  token_endpoint_auth_signing_alg_values_supported: ["RS256", "ES256"],
  authorization_response_iss_parameter_supported: true,
  pushed_authorization_request_endpoint: null,
  require_pushed_authorization_requests: false,
};
/** What the core answers for `info`: S256 and client_secret_basic are advertised. */
const discovery: IssuerDiscovery = {
  info,
  advice: {
    pkce: null,
    unadvertised_methods: [
      { method: "client_secret_post", warning: "The IdP does not advertise client_secret_post for its token endpoint." },
      { method: "none", warning: "The IdP does not advertise none for its token endpoint." },
    ],
  },
};

async function fillRequired() {
  await userEvent.type(screen.getByLabelText("Name"), "Contoso");
  await userEvent.type(screen.getByLabelText("Issuer URL"), "https://login.example.com");
  await userEvent.type(screen.getByLabelText("Authorization endpoint"), "https://login.example.com/a");
  await userEvent.type(screen.getByLabelText("Token endpoint"), "https://login.example.com/t");
  await userEvent.type(screen.getByLabelText("JWKS URI"), "https://login.example.com/k");
  await userEvent.type(screen.getByLabelText("Client ID"), "eca");
}

describe("IdpFormView: adding", () => {
  it("sends every field with the defaults and returns to the list", async () => {
    const calls = mockCore({ save_idp: (args) => echoSave(args), check_idp: () => [] });
    const router = renderForm();

    expect(screen.getByRole("heading", { name: "Add New Identity Provider" })).toBeInTheDocument();
    await fillRequired();
    await userEvent.type(screen.getByLabelText("Scopes"), " offline_access");
    await userEvent.type(screen.getByLabelText("Redirect URIs"), "https://a.example.com/cb{Enter}{Enter}https://b.example.com/cb");
    await userEvent.click(screen.getByRole("button", { name: "Add parameter" }));
    await userEvent.type(screen.getByLabelText("Parameter 1 name"), "prompt");
    await userEvent.type(screen.getByLabelText("Parameter 1 value"), "login");
    await userEvent.click(screen.getByRole("button", { name: "Use email" }));
    await userEvent.type(screen.getByLabelText("Notes"), "Pilot customers");
    await userEvent.type(screen.getByLabelText("Client secret"), "s3cr3t");
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));

    await waitFor(() => expect(router.route).toEqual({ name: "list" }));
    expect(router.notice).toBe("Saved “Contoso”.");
    expect(saved(calls)).toEqual([
      {
        id: null,
        fields: {
          name: "Contoso",
          protocol: "oidc",
          issuer: "https://login.example.com",
          authorization_endpoint: "https://login.example.com/a",
          token_endpoint: "https://login.example.com/t",
          userinfo_endpoint: null,
          jwks_uri: "https://login.example.com/k",
          client_id: "eca",
          client_auth_method: "client_secret_basic",
          scopes: ["openid", "profile", "email", "offline_access"],
          extra_params: [{ key: "prompt", value: "login" }],
          redirect_uris: ["https://a.example.com/cb", "https://b.example.com/cb"],
          customer_id_claim: "email",
          enabled: true,
          notes: "Pilot customers",
          test_redirect: "deep_link",
          claim_mapping: [],
          channel_binding: false,
          loopback_port: null,
          id_token_signing_algs: [],
          credential_expires_on: null,
        },
        secret: { kind: "replace", value: "s3cr3t" },
      },
    ]);
  });

  it("drops the OIDC-only fields for OAuth 2.0", async () => {
    const calls = mockCore({ save_idp: (args) => echoSave(args), check_idp: () => [] });
    renderForm();
    await fillRequired();
    await userEvent.selectOptions(screen.getByLabelText("Protocol"), "oauth2");

    expect(screen.queryByLabelText("Issuer URL")).not.toBeInTheDocument();
    expect(screen.queryByLabelText("JWKS URI")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Fetch from issuer" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));

    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    const fields = saved(calls)[0]!.fields;
    expect(fields.protocol).toBe("oauth2");
    expect(fields.issuer).toBeNull();
    expect(fields.jwks_uri).toBeNull();
  });

  it("shows validation errors next to their fields", async () => {
    mockCore({
      check_idp: () => [],
      save_idp: () => {
        throw problem("validation", "2 fields need attention", [
          { field: "token_endpoint", message: "must use https (or http on a loopback address)" },
          { field: "name", message: "An identity provider named “Contoso” already exists." },
        ]);
      },
    });
    const router = renderForm();
    await fillRequired();
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));

    const token = screen.getByLabelText("Token endpoint");
    await waitFor(() => expect(token).toHaveAttribute("aria-invalid", "true"));
    expect(token).toHaveAccessibleDescription(
      "Token endpoint must use https (or http on a loopback address)",
    );
    const tokenError = document.getElementById(token.getAttribute("aria-describedby")!.split(" ")[0]!);
    expect(tokenError).toHaveTextContent("Token endpoint must use https");

    const name = screen.getByLabelText("Name");
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveAccessibleDescription("An identity provider named “Contoso” already exists.");

    // Fields without a problem stay clean, and the first invalid field gets the focus.
    expect(screen.getByLabelText("Authorization endpoint")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByLabelText("Client ID")).not.toHaveAttribute("aria-invalid");
    expect(name).toHaveFocus();
    expect(router.route).toEqual({ name: "add" });
  });

  it("shows other problems in a banner and stays", async () => {
    mockCore({
      check_idp: () => [],
      save_idp: () => {
        throw problem("storage", "The database is locked by another program.");
      },
    });
    const router = renderForm();
    await fillRequired();
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("The database is locked by another program.");
    expect(router.route).toEqual({ name: "add" });
    expect(screen.getByLabelText("Name")).toHaveValue("Contoso");
  });

  it("checks a field when the admin leaves it, showing only visited fields", async () => {
    const calls = mockCore({
      check_idp: () => [
        { field: "issuer", message: "must use https" },
        { field: "client_id", message: "is required" },
      ],
    });
    renderForm();
    const issuer = screen.getByLabelText("Issuer URL");
    await userEvent.type(issuer, "http://login.example.com");
    await userEvent.tab();

    await waitFor(() => expect(issuer).toHaveAttribute("aria-invalid", "true"));
    expect(issuer).toHaveAccessibleDescription(expect.stringContaining("Issuer URL must use https"));
    expect(screen.getByLabelText("Client ID")).not.toHaveAttribute("aria-invalid");
    const check = calls.find((c) => c.cmd === "check_idp")!;
    expect(check.args.id).toBeNull();
    expect((check.args.fields as { issuer: string }).issuer).toBe("http://login.example.com");
  });
});

describe("IdpFormView: discovery", () => {
  it("fills the endpoints from the issuer and shows what the IdP supports", async () => {
    const calls = mockCore({ discover_issuer: () => discovery, check_idp: () => [] });
    renderForm();
    await userEvent.type(screen.getByLabelText("Issuer URL"), "https://login.example.com");
    await userEvent.click(screen.getByRole("button", { name: "Fetch from issuer" }));

    await waitFor(() =>
      expect(screen.getByLabelText("Authorization endpoint")).toHaveValue(info.authorization_endpoint),
    );
    expect(calls.find((c) => c.cmd === "discover_issuer")?.args).toEqual({ issuer: "https://login.example.com" });
    expect(screen.getByLabelText("Token endpoint")).toHaveValue(info.token_endpoint);
    expect(screen.getByLabelText("Userinfo endpoint")).toHaveValue(info.userinfo_endpoint);
    expect(screen.getByLabelText("JWKS URI")).toHaveValue(info.jwks_uri);

    const supported = screen.getByRole("region", { name: "What the identity provider supports" });
    expect(within(supported).getByText("offline_access")).toBeInTheDocument();
    expect(within(supported).getByText("private_key_jwt")).toBeInTheDocument();
    // S256 is there and client_secret_basic is advertised: nothing to warn about.
    expect(within(supported).queryByText("Check before saving")).not.toBeInTheDocument();

    // Still editable after filling.
    const token = screen.getByLabelText("Token endpoint");
    await userEvent.clear(token);
    await userEvent.type(token, "https://other.example.com/token");
    expect(token).toHaveValue("https://other.example.com/token");
  });

  it("says whether the IdP requires PAR, offers it, or does not advertise it", async () => {
    const par = (endpoint: string | null, required: boolean): IssuerDiscovery => ({
      ...discovery,
      info: { ...info, pushed_authorization_request_endpoint: endpoint, require_pushed_authorization_requests: required },
    });
    for (const [answer, shown] of [
      [par("https://login.example.com/par", true), "required"],
      [par("https://login.example.com/par", false), "available"],
      [par(null, false), "Not advertised"],
    ] as const) {
      mockCore({ discover_issuer: () => answer, check_idp: () => [] });
      renderForm();
      await userEvent.type(screen.getByLabelText("Issuer URL"), "https://login.example.com");
      await userEvent.click(screen.getByRole("button", { name: "Fetch from issuer" }));
      const supported = await screen.findByRole("region", { name: "What the identity provider supports" });
      const label = within(supported).getByText("Pushed authorization (PAR)");
      expect(label.nextElementSibling).toHaveTextContent(shown);
      cleanup();
    }
  });

  it("warns when S256 PKCE or the chosen auth method isn't advertised", async () => {
    mockCore({
      discover_issuer: () => ({
        ...discovery,
        advice: { ...discovery.advice, pkce: "The IdP does not advertise PKCE with S256 (it lists plain)." },
      }),
      check_idp: () => [],
    });
    renderForm();
    await userEvent.type(screen.getByLabelText("Issuer URL"), "https://login.example.com");
    await userEvent.click(screen.getByRole("button", { name: "Fetch from issuer" }));

    const supported = await screen.findByRole("region", { name: "What the identity provider supports" });
    expect(within(supported).getByText(/does not advertise PKCE with S256/)).toBeInTheDocument();
    expect(within(supported).queryByText(/does not advertise client_secret_post/)).not.toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText("Client authentication"), "client_secret_post");
    expect(within(supported).getByText(/does not advertise client_secret_post/)).toBeInTheDocument();
  });

  it("warns when the issuer is edited away from the one the document was fetched for", async () => {
    mockCore({ discover_issuer: () => discovery, check_idp: () => [] });
    renderForm();
    const issuer = screen.getByLabelText("Issuer URL");
    await userEvent.type(issuer, "https://login.example.com");
    await userEvent.click(screen.getByRole("button", { name: "Fetch from issuer" }));
    const supported = await screen.findByRole("region", { name: "What the identity provider supports" });
    expect(within(supported).queryByText(/must match exactly/)).not.toBeInTheDocument();

    await userEvent.type(issuer, "/");
    expect(within(supported).getByText(/must match exactly/)).toBeInTheDocument();
  });

  it("shows a discovery failure next to the issuer", async () => {
    mockCore({
      discover_issuer: () => {
        throw problem("discovery", "The issuer answered 404 for /.well-known/openid-configuration.");
      },
      check_idp: () => [],
    });
    renderForm();
    const issuer = screen.getByLabelText("Issuer URL");
    await userEvent.type(issuer, "https://login.example.com");
    await userEvent.click(screen.getByRole("button", { name: "Fetch from issuer" }));

    await waitFor(() => expect(issuer).toHaveAttribute("aria-invalid", "true"));
    expect(issuer).toHaveAccessibleDescription(expect.stringContaining("answered 404"));
    expect(screen.getByLabelText("Authorization endpoint")).toHaveValue("");
  });

  it("shows progress while fetching", async () => {
    const reply = deferred<IssuerDiscovery>();
    mockCore({ discover_issuer: () => reply.promise, check_idp: () => [] });
    renderForm();
    await userEvent.type(screen.getByLabelText("Issuer URL"), "https://login.example.com");
    await userEvent.click(screen.getByRole("button", { name: "Fetch from issuer" }));

    const busy = screen.getByRole("button", { name: "Fetching…" });
    expect(busy).toBeDisabled();
    expect(busy).toHaveAttribute("aria-busy", "true");
    reply.resolve(discovery);
    expect(await screen.findByRole("button", { name: "Fetch from issuer" })).toBeEnabled();
  });
});

describe("IdpFormView: unsaved changes", () => {
  it("leaves at once when nothing changed", async () => {
    mockCore({ get_idp: () => config() });
    const router = renderForm(config().id);
    await screen.findByRole("heading", { name: "Edit Okta" });
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(router.route).toEqual({ name: "list" });
  });

  it("asks before discarding edits, on Cancel and on navigation", async () => {
    mockCore({ get_idp: () => config(), check_idp: () => [] });
    const router = renderForm(config().id);
    const name = await screen.findByLabelText("Name");
    await userEvent.type(name, " EU");

    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    let dialog = screen.getByRole("dialog", { name: "Discard changes?" });
    expect(within(dialog).getByRole("button", { name: "Keep editing" })).toHaveFocus();
    await userEvent.click(within(dialog).getByRole("button", { name: "Keep editing" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(router.route).toEqual({ name: "edit", id: config().id });
    expect(name).toHaveValue("Okta EU");

    // Navigation from elsewhere in the app goes through the same guard.
    const leaving = router.navigate({ name: "add" });
    dialog = await screen.findByRole("dialog", { name: "Discard changes?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Discard" }));
    expect(await leaving).toBe(true);
    expect(router.route).toEqual({ name: "add" });
  });

  it("asks the window to confirm unloading only while dirty", async () => {
    mockCore({ get_idp: () => config(), check_idp: () => [] });
    renderForm(config().id);
    const name = await screen.findByLabelText("Name");

    const clean = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(clean);
    expect(clean.defaultPrevented).toBe(false);

    await userEvent.type(name, "!");
    const dirty = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(dirty);
    expect(dirty.defaultPrevented).toBe(true);
  });
});

describe("IdpFormView: client secret", () => {
  it("never shows a stored secret and keeps it when untouched", async () => {
    const calls = mockCore({ get_idp: () => config(), save_idp: (args) => echoSave(args), check_idp: () => [] });
    const router = renderForm(config().id);
    await screen.findByRole("heading", { name: "Edit Okta" });

    expect(screen.getByText("A secret is stored")).toBeInTheDocument();
    expect(screen.queryByLabelText("Client secret", { selector: "input" })).not.toBeInTheDocument();
    expect(document.querySelector('input[type="password"]')).toBeNull();

    await userEvent.type(screen.getByLabelText("Notes"), "renewed");
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(router.route).toEqual({ name: "list" }));
    expect(saved(calls)[0]).toMatchObject({ id: config().id, secret: { kind: "keep" } });
    expect(saved(calls)[0]!.fields.notes).toBe("renewed");
  });

  it("says when the stored secret needs re-entry, as the core judges the draft, until it is replaced", async () => {
    const setAside = "needs re-entry: the stored secret was entered for the token endpoint at https://okta.example.com, and the token endpoint is now at https://evil.example.";
    let moved = false;
    const calls = mockCore({
      get_idp: () => config(),
      check_idp: (args) => {
        moved = (args.fields as { token_endpoint: string }).token_endpoint.startsWith("https://evil.example");
        return moved ? [{ field: "client_secret", message: setAside }] : [];
      },
    });
    renderForm(config().id);
    await screen.findByRole("heading", { name: "Edit Okta" });
    await waitFor(() => expect(calls.some((c) => c.cmd === "check_idp")).toBe(true));
    expect(screen.queryByText(setAside)).toBeNull();

    const endpoint = screen.getByLabelText("Token endpoint");
    await userEvent.clear(endpoint);
    await userEvent.type(endpoint, "https://evil.example/token");
    await userEvent.tab();
    expect(await screen.findByText(setAside)).toBeInTheDocument();

    // Entering a new secret for the new place is the fix: the warning goes with the old one.
    await userEvent.click(screen.getByRole("button", { name: "Replace secret" }));
    expect(screen.queryByText(setAside)).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Keep stored secret" }));
    expect(screen.getByText(setAside)).toBeInTheDocument();
  });

  it("shows at once a stored secret that was set aside before the form opened", async () => {
    const setAside = "needs re-entry: entered for https://okta.example.com, now at https://moved.example.";
    mockCore({ get_idp: () => config(), check_idp: () => [{ field: "client_secret", message: setAside }] });
    renderForm(config().id);
    expect(await screen.findByText(setAside)).toBeInTheDocument();
  });

  it("replaces the secret through an empty password input", async () => {
    const calls = mockCore({ get_idp: () => config(), save_idp: (args) => echoSave(args), check_idp: () => [] });
    renderForm(config().id);
    await userEvent.click(await screen.findByRole("button", { name: "Replace secret" }));

    const input = screen.getByLabelText("Client secret");
    expect(input).toHaveAttribute("type", "password");
    expect(input).toHaveValue("");
    expect(input).toHaveFocus();
    await userEvent.type(input, "n3w-s3cret");
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));

    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.secret).toEqual({ kind: "replace", value: "n3w-s3cret" });
  });

  it("keeps the stored secret when a replacement is abandoned or left empty", async () => {
    const calls = mockCore({ get_idp: () => config(), save_idp: (args) => echoSave(args), check_idp: () => [] });
    renderForm(config().id);
    await userEvent.click(await screen.findByRole("button", { name: "Replace secret" }));
    await userEvent.type(screen.getByLabelText("Client secret"), "typo");
    await userEvent.click(screen.getByRole("button", { name: "Keep stored secret" }));
    expect(screen.getByText("A secret is stored")).toBeInTheDocument();

    // Reopened, it is empty again: the typed value was dropped.
    await userEvent.click(screen.getByRole("button", { name: "Replace secret" }));
    expect(screen.getByLabelText("Client secret")).toHaveValue("");
    await userEvent.type(screen.getByLabelText("Notes"), "x");
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.secret).toEqual({ kind: "keep" });
  });

  it("removes the stored secret on request", async () => {
    const calls = mockCore({
      get_idp: () => config(),
      save_idp: (args) => echoSave(args, { has_secret: false }),
      check_idp: () => [],
    });
    renderForm(config().id);
    await userEvent.click(await screen.findByRole("button", { name: "Remove secret" }));
    expect(screen.getByText("The stored secret will be removed when you save.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.secret).toEqual({ kind: "clear" });
  });

  it("hides the secret for public clients and sends keep", async () => {
    const calls = mockCore({ save_idp: (args) => echoSave(args), check_idp: () => [] });
    renderForm();
    await fillRequired();
    await userEvent.type(screen.getByLabelText("Client secret"), "will-not-be-sent");
    await userEvent.selectOptions(screen.getByLabelText("Client authentication"), "none");
    expect(screen.queryByLabelText("Client secret")).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.secret).toEqual({ kind: "keep" });
    expect(saved(calls)[0]!.fields.client_auth_method).toBe("none");
  });

  it("shows the signing key instead of a secret for private_key_jwt, once the IdP is saved", async () => {
    const calls = mockCore({ save_idp: (args) => echoSave(args), check_idp: () => [] });
    renderForm();
    await fillRequired();
    await userEvent.selectOptions(screen.getByLabelText("Client authentication"), "private_key_jwt");
    expect(screen.queryByLabelText("Client secret")).not.toBeInTheDocument();
    expect(screen.getByText(/Save the IdP to generate its signing key/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.secret).toEqual({ kind: "keep" });
    expect(saved(calls)[0]!.fields.client_auth_method).toBe("private_key_jwt");
  });

  it("shows a saved private_key_jwt IdP's public keys, this computer's and the platform's", async () => {
    const jwks = '{"keys":[{"kty":"RSA","kid":"k1"}]}';
    const platformJwks = '{"keys":[{"kty":"RSA","kid":"p1"}]}';
    mockCore({
      get_idp: () => ({ ...config(), client_auth_method: "private_key_jwt", has_secret: false }),
      idp_public_key: () => ({ jwk: "{}", jwks, certificate_pem: "-----BEGIN CERTIFICATE-----", kid: "k1" }),
      platform_public_key: () => ({
        state: "shown",
        keys: { jwk: "{}", jwks: platformJwks, certificate_pem: "-----BEGIN CERTIFICATE-----", kid: "p1" },
        created_at: "2026-11-30T12:00:00Z",
      }),
    });
    renderForm(config().id);
    expect(await screen.findByRole("textbox", { name: "Public keys (JWKS)" })).toHaveValue(jwks);
    expect(await screen.findByRole("textbox", { name: "Platform public keys (JWKS)" })).toHaveValue(platformJwks);
    expect(screen.queryByLabelText("Client secret")).not.toBeInTheDocument();
  });

  it("stays on the form with the keyring's error when only the secret failed", async () => {
    const calls = mockCore({
      check_idp: () => [],
      save_idp: (args) => ({
        ...echoSave(args, { id: "11111111-1111-4111-8111-111111111111", has_secret: false }),
        secret_error: "The keyring is locked. Unlock it, then save again.",
      }),
    });
    const router = renderForm();
    await fillRequired();
    await userEvent.type(screen.getByLabelText("Client secret"), "s3cr3t");
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));

    const secret = await screen.findByLabelText("Client secret");
    await waitFor(() => expect(secret).toHaveAccessibleDescription(expect.stringContaining("The keyring is locked")));
    expect(secret).toHaveAttribute("aria-invalid", "true");
    expect(router.route).toEqual({ name: "add" });
    expect(screen.getByRole("heading", { name: "Edit Contoso" })).toBeInTheDocument();

    // A retry updates the IdP that was created rather than adding a second one.
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(saved(calls)).toHaveLength(2));
    expect(saved(calls)[1]).toMatchObject({
      id: "11111111-1111-4111-8111-111111111111",
      secret: { kind: "replace", value: "s3cr3t" },
    });
  });
});

describe("IdpFormView: editing", () => {
  it("loads the IdP into the form", async () => {
    const calls = mockCore({ get_idp: () => config() });
    renderForm(config().id);

    expect(await screen.findByRole("heading", { name: "Edit Okta" })).toBeInTheDocument();
    expect(calls[0]).toEqual({ cmd: "get_idp", args: { id: config().id } });
    expect(screen.getByLabelText("Name")).toHaveValue("Okta");
    expect(screen.getByLabelText("Protocol")).toHaveValue("oidc");
    expect(screen.getByLabelText("Issuer URL")).toHaveValue("https://okta.example.com");
    expect(screen.getByLabelText("Scopes")).toHaveValue("openid profile email");
    expect(screen.getByLabelText("Parameter 1 name")).toHaveValue("prompt");
    expect(screen.getByLabelText("Redirect URIs")).toHaveValue("https://platform.example.com/callback");
    expect(screen.getByLabelText("Customer identifier claim")).toHaveValue("sub");
    expect(screen.getByRole("checkbox", { name: "Enabled" })).toBeChecked();
  });

  it("reports an IdP that no longer exists", async () => {
    mockCore({
      get_idp: () => {
        throw problem("not_found", "No identity provider with this id.");
      },
    });
    const router = renderForm(config().id);
    expect(await screen.findByRole("alert")).toHaveTextContent("No identity provider with this id.");
    await userEvent.click(screen.getByRole("button", { name: "Back to list" }));
    expect(router.route).toEqual({ name: "list" });
  });

  it("removes an extra parameter row", async () => {
    const calls = mockCore({ get_idp: () => config(), save_idp: (args) => echoSave(args), check_idp: () => [] });
    renderForm(config().id);
    await userEvent.click(await screen.findByRole("button", { name: "Remove parameter 1" }));
    expect(screen.queryByLabelText("Parameter 1 name")).not.toBeInTheDocument();
    await fireEvent.submit(screen.getByRole("button", { name: "Save Changes" }).closest("form")!);
    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.fields.extra_params).toEqual([]);
  });
});

function testsStarted(calls: Call[]): StartTestRequest[] {
  return calls.filter((c) => c.cmd === "start_test_login").map((c) => c.args.request as StartTestRequest);
}

describe("IdpFormView: Test Configuration", () => {
  it("offers the two test redirects and says they must be registered", async () => {
    mockCore({ check_idp: () => [] });
    renderForm();
    const select = screen.getByLabelText("Test redirect");
    expect(select).toHaveValue("deep_link");
    expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "Deep link (com.ecaadmin.desktop:/oauth/callback)",
      "Loopback (http://127.0.0.1:<port>/oauth/callback)",
    ]);
    expect(select).toHaveAccessibleDescription(expect.stringContaining("Register this redirect URI at the identity provider"));
    // A new IdP has no history yet.
    expect(screen.queryByRole("region", { name: "Test history" })).not.toBeInTheDocument();
  });

  it("tests the unsaved draft with the secret change Save would send, and saves nothing", async () => {
    const calls = mockCore({ check_idp: () => [], start_test_login: () => "run-1" });
    renderForm();
    await fillRequired();
    await userEvent.type(screen.getByLabelText("Client secret"), "s3cr3t");
    await userEvent.selectOptions(screen.getByLabelText("Test redirect"), "loopback");
    await userEvent.click(screen.getByRole("button", { name: "Test Configuration" }));

    const dialog = await screen.findByRole("dialog", { name: "Test Configuration: Contoso" });
    expect(testsStarted(calls)).toEqual([
      {
        id: null,
        fields: expect.objectContaining({
          name: "Contoso",
          issuer: "https://login.example.com",
          client_id: "eca",
          test_redirect: "loopback",
        }),
        secret: { kind: "replace", value: "s3cr3t" },
      },
    ]);
    expect(calls.some((c) => c.cmd === "save_idp")).toBe(false);

    await coreEmits("test-run://progress", { run_id: "run-1", steps: [step("discovery", "passed", 40)] });
    expect(within(dialog).getByRole("list", { name: "Steps" })).toHaveTextContent("40 ms");
    await coreEmits("test-run://finished", testReport({ run_id: "run-1" }));
    expect(within(dialog).getByRole("status")).toHaveTextContent("Configuration verified");
    await userEvent.click(within(dialog).getByRole("button", { name: "Close" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    // Still the unsaved draft.
    expect(screen.getByLabelText("Name")).toHaveValue("Contoso");
    expect(screen.getByText("Unsaved changes")).toBeInTheDocument();
  });

  it("tests a stored IdP's edits with the stored secret, and refreshes its history", async () => {
    const calls = mockCore({
      get_idp: () => config(),
      check_idp: () => [],
      start_test_login: () => "run-9",
      test_history: () => [],
    });
    renderForm(config().id);
    await userEvent.type(await screen.findByLabelText("Notes"), "pilot");
    await userEvent.click(screen.getByRole("button", { name: "Test Configuration" }));

    await screen.findByRole("dialog", { name: "Test Configuration: Okta" });
    const [sent] = testsStarted(calls);
    expect(sent).toMatchObject({ id: config().id, secret: { kind: "keep" } });
    expect(sent!.fields.notes).toBe("pilot");
    expect(sent!.fields.extra_params).toEqual([{ key: "prompt", value: "login" }]);

    const historyLoads = () => calls.filter((c) => c.cmd === "test_history").length;
    expect(historyLoads()).toBe(1);
    await coreEmits("test-run://finished", testReport({ run_id: "run-9", outcome: "failed", identity: null }));
    await waitFor(() => expect(historyLoads()).toBe(2));
  });

  it("shows a refused draft's errors next to the fields, without opening the panel", async () => {
    mockCore({
      check_idp: () => [],
      start_test_login: () => {
        throw problem("validation", "Client ID is required", [{ field: "client_id", message: "is required" }]);
      },
    });
    renderForm();
    await userEvent.type(screen.getByLabelText("Name"), "Contoso");
    await userEvent.click(screen.getByRole("button", { name: "Test Configuration" }));

    const clientId = screen.getByLabelText("Client ID");
    await waitFor(() => expect(clientId).toHaveAttribute("aria-invalid", "true"));
    expect(clientId).toHaveAccessibleDescription("Client ID is required");
    expect(clientId).toHaveFocus();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("reports a test that couldn't start for another reason", async () => {
    mockCore({
      check_idp: () => [],
      start_test_login: () => {
        throw problem("keyring", "The keyring is locked. Unlock it and try again.");
      },
    });
    renderForm();
    await fillRequired();
    await userEvent.click(screen.getByRole("button", { name: "Test Configuration" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Couldn't start the test");
    expect(alert).toHaveTextContent("The keyring is locked.");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("checks readiness and shows each check inline", async () => {
    const calls = mockCore({
      get_idp: () => config(),
      test_history: () => [],
      check_readiness: () => ({
        idp_name: "Okta",
        ready: false,
        checks: [
          { name: "Discovery", status: "passed", detail: "The issuer's configuration matches." },
          { name: "Redirect URI", status: "failed", detail: "The deep link scheme is not registered with the OS." },
          { name: "PKCE", status: "warning", detail: "S256 is not advertised." },
          {
            name: "Pushed authorization (PAR)",
            status: "skipped",
            detail: "Not advertised: the authorization request goes in the browser's URL.",
          },
        ],
      }),
    });
    renderForm(config().id);
    await userEvent.click(await screen.findByRole("button", { name: "Check readiness" }));

    const region = await screen.findByRole("region", { name: "Not ready: 1 check failed" });
    const checks = within(region).getAllByRole("listitem");
    expect(checks).toHaveLength(4);
    expect(checks[0]).toHaveTextContent("Discovery");
    expect(checks[0]).toHaveTextContent("Passed");
    expect(checks[1]).toHaveTextContent("Redirect URI");
    expect(checks[1]).toHaveTextContent("Failed");
    expect(checks[1]).toHaveTextContent("The deep link scheme is not registered with the OS.");
    expect(checks[2]).toHaveTextContent("Warning");
    // PAR not advertised is neither a pass nor a problem: the login just does not push.
    expect(checks[3]).toHaveTextContent("Pushed authorization (PAR)");
    expect(checks[3]).toHaveTextContent("Skipped");
    const sent = calls.find((c) => c.cmd === "check_readiness")!.args.request as StartTestRequest;
    expect(sent).toMatchObject({ id: config().id, secret: { kind: "keep" }, fields: { name: "Okta" } });
  });

  it("lists the test history and exports it", async () => {
    const calls = mockCore({
      get_idp: () => config(),
      test_history: () => [
        testReport({
          run_id: "r2",
          outcome: "failed",
          finished_at: "2025-01-03T09:30:00Z",
          steps: [step("discovery", "passed", 150), step("jwks", "failed", 50)],
          error: { code: "jwks", message: "The JWKS could not be fetched (HTTP 500).", fix: "Check the JWKS URI." },
          identity: null,
        }),
        testReport({ run_id: "r1", outcome: "passed", steps: [step("discovery", "passed", 2400)] }),
      ],
      export_test_history: () => "/home/admin/Downloads/eca-test-history-okta-20250103093000.json",
    });
    renderForm(config().id);

    const history = await screen.findByRole("region", { name: "Test history" });
    const table = await within(history).findByRole("table", { name: "Test history" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("Failed");
    expect(rows[0]).toHaveTextContent("200 ms");
    expect(rows[0]).toHaveTextContent("The JWKS could not be fetched (HTTP 500).");
    expect(rows[0]).toHaveTextContent("2025");
    expect(rows[1]).toHaveTextContent("Passed");
    expect(rows[1]).toHaveTextContent("2.4 s");
    expect(calls.find((c) => c.cmd === "test_history")?.args).toEqual({ id: config().id });

    await userEvent.click(within(history).getByRole("button", { name: "Export JSON" }));
    expect(await within(history).findByRole("status")).toHaveTextContent(
      "Saved to /home/admin/Downloads/eca-test-history-okta-20250103093000.json",
    );
    expect(calls.filter((c) => c.cmd === "export_test_history")).toEqual([
      { cmd: "export_test_history", args: { id: config().id } },
    ]);
  });

  it("offers a loopback port with the loopback redirect, shows its redirect and saves it", async () => {
    const calls = mockCore({
      get_idp: () => config({ test_redirect: "deep_link" }),
      save_idp: (args) => echoSave(args),
      check_idp: () => [],
      test_history: () => [],
    });
    renderForm(config().id);
    const select = await screen.findByLabelText("Test redirect");
    expect(screen.queryByLabelText(/Loopback port/)).not.toBeInTheDocument();
    await userEvent.selectOptions(select, "loopback");
    const port = screen.getByLabelText(/Loopback port/);
    expect(select).toHaveAccessibleDescription(expect.stringContaining("http://127.0.0.1:<port>/oauth/callback"));
    await userEvent.type(port, "8765");
    expect(select).toHaveAccessibleDescription(
      expect.stringContaining("http://127.0.0.1:8765/oauth/callback. Register exactly this redirect URI"),
    );
    expect(port).toHaveAccessibleDescription("Register exactly http://127.0.0.1:8765/oauth/callback at the identity provider.");
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.fields).toMatchObject({ test_redirect: "loopback", loopback_port: 8765 });
  });

  it("shows the core's refusal of a loopback port next to it", async () => {
    mockCore({
      get_idp: () => config({ test_redirect: "loopback", loopback_port: 8765 }),
      check_idp: (args) =>
        (args.fields as { loopback_port: number | null }).loopback_port === 80
          ? [{ field: "loopback_port", message: "must be between 1024 and 65535" }]
          : [],
      test_history: () => [],
    });
    renderForm(config().id);
    const port = await screen.findByLabelText(/Loopback port/);
    expect(port).toHaveValue("8765");
    await userEvent.clear(port);
    await userEvent.type(port, "80");
    await userEvent.tab();
    await waitFor(() => expect(port).toHaveAttribute("aria-invalid", "true"));
    expect(port).toHaveAccessibleDescription(expect.stringContaining("must be between 1024 and 65535"));
  });

  it("edits the secret's expiry date beside the secret, and hides it for a public client", async () => {
    const calls = mockCore({
      get_idp: () => config({ credential_expires_on: "2027-03-31" }),
      save_idp: (args) => echoSave(args),
      check_idp: (args) =>
        (args.fields as { credential_expires_on: string | null }).credential_expires_on === "31/03/2027"
          ? [{ field: "credential_expires_on", message: "\"31/03/2027\" is not a date: write it as YYYY-MM-DD" }]
          : [],
      test_history: () => [],
    });
    renderForm(config().id);
    const date = await screen.findByLabelText(/Secret expires on/);
    expect(date).toHaveValue("2027-03-31");
    expect(date).toHaveAccessibleDescription(expect.stringContaining("reminds you from 30 days ahead"));
    await userEvent.clear(date);
    await userEvent.type(date, "31/03/2027");
    await userEvent.tab();
    await waitFor(() => expect(date).toHaveAttribute("aria-invalid", "true"));
    expect(date).toHaveAccessibleDescription(expect.stringContaining("write it as YYYY-MM-DD"));
    await userEvent.clear(date);
    await userEvent.type(date, "2027-06-30");
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.fields.credential_expires_on).toBe("2027-06-30");

    await userEvent.selectOptions(screen.getByLabelText("Client authentication"), "none");
    expect(screen.queryByLabelText(/Secret expires on/)).not.toBeInTheDocument();
  });

  it("keeps the test redirect when saving", async () => {
    const calls = mockCore({
      get_idp: () => config({ test_redirect: "loopback" }),
      save_idp: (args) => echoSave(args),
      check_idp: () => [],
      test_history: () => [],
    });
    renderForm(config().id);
    expect(await screen.findByLabelText("Test redirect")).toHaveValue("loopback");
    await userEvent.selectOptions(screen.getByLabelText("Test redirect"), "deep_link");
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.fields.test_redirect).toBe("deep_link");
  });
});

describe("IdpFormView: history", () => {
  const entries: AuditEntry[] = [
    {
      at: "2025-01-03T09:30:00Z",
      idp_id: config().id,
      action: "update",
      changes: [
        { field: "notes", before: "", after: "pilot" },
        { field: "client_secret", before: null, after: "changed" },
      ],
    },
    {
      at: "2025-01-02T12:00:00Z",
      idp_id: config().id,
      action: "disable",
      changes: [{ field: "enabled", before: "true", after: "false" }],
    },
    {
      at: "2025-01-01T00:00:00Z",
      idp_id: config().id,
      action: "create",
      changes: [
        { field: "name", before: null, after: "Okta" },
        // The core records no value for the secret; were one ever to arrive, it stays unshown.
        { field: "client_secret", before: "hunter2-old", after: "hunter2-new" },
      ],
    },
  ];

  function rowText(entry: HTMLElement, label: string): string | null | undefined {
    return within(entry).getByText(label).nextElementSibling?.textContent;
  }

  it("lists each change, newest first, with its fields and the secret only as changed", async () => {
    const calls = mockCore({ get_idp: () => config(), test_history: () => [], idp_history: () => entries });
    renderForm(config().id);

    const section = await screen.findByRole("region", { name: "History" });
    const list = await within(section).findByRole("list", { name: "Changes, newest first" });
    expect(list, "a long history scrolls from the keyboard").toHaveAttribute("tabindex", "0");
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(3);

    expect(items[0]).toHaveAccessibleName(expect.stringMatching(/^Edited .*2025/));
    expect(within(items[0]!).getByText("Edited")).toBeInTheDocument();
    expect(items[0]!.querySelector("time")).toHaveAttribute("datetime", "2025-01-03T09:30:00Z");
    expect(rowText(items[0]!, "Notes")).toBe("(empty) → pilot");
    expect(rowText(items[0]!, "Client secret")).toBe("changed");
    expect(rowText(items[1]!, "Enabled")).toBe("true → false");
    expect(within(items[1]!).getByText("Disabled")).toBeInTheDocument();
    expect(within(items[2]!).getByText("Created")).toBeInTheDocument();
    expect(rowText(items[2]!, "Name")).toBe("Okta");
    expect(rowText(items[2]!, "Client secret")).toBe("changed");
    expect(document.body).not.toHaveTextContent(/hunter2/);
    expect(calls.filter((c) => c.cmd === "idp_history")).toEqual([{ cmd: "idp_history", args: { id: config().id } }]);
  });

  it("says when nothing is recorded, and offers a retry when loading fails", async () => {
    let fail = true;
    mockCore({
      get_idp: () => config(),
      test_history: () => [],
      idp_history: () => {
        if (fail) throw problem("storage", "The database is locked.");
        return [];
      },
    });
    renderForm(config().id);

    const section = await screen.findByRole("region", { name: "History" });
    expect(await within(section).findByRole("alert")).toHaveTextContent("The database is locked.");
    fail = false;
    await userEvent.click(within(section).getByRole("button", { name: "Retry" }));
    expect(await within(section).findByText("No changes recorded yet.")).toBeInTheDocument();
  });

  it("has no history for an IdP not saved yet", async () => {
    mockCore({ check_idp: () => [] });
    renderForm();
    await screen.findByRole("heading", { name: "Add New Identity Provider" });
    expect(screen.queryByRole("region", { name: "History" })).not.toBeInTheDocument();
  });

  it("refreshes the history after a save that keeps the form open", async () => {
    let saves = 0;
    const calls = mockCore({
      get_idp: () => config(),
      test_history: () => [],
      check_idp: () => [],
      idp_history: () => (saves === 0 ? entries.slice(1) : entries),
      save_idp: (args) => {
        saves += 1;
        return { ...echoSave(args), secret_error: "The keyring is locked. Unlock it, then save again." };
      },
    });
    renderForm(config().id);
    const section = await screen.findByRole("region", { name: "History" });
    await waitFor(() => expect(within(section).getAllByRole("listitem")).toHaveLength(2));

    await userEvent.type(screen.getByLabelText("Notes"), "pilot");
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));

    await waitFor(() => expect(within(section).getAllByRole("listitem")).toHaveLength(3));
    expect(within(section).getAllByRole("listitem")[0]).toHaveTextContent("Edited");
    expect(calls.filter((c) => c.cmd === "idp_history")).toHaveLength(2);
  });
});

describe("IdpFormView: claim mapping and channel binding", () => {
  it("adds, edits and removes mapping rows, and sends them with the channel binding", async () => {
    const calls = mockCore({ save_idp: (args) => echoSave(args), check_idp: () => [] });
    renderForm();
    await fillRequired();
    const add = screen.getByRole("button", { name: "Add mapping" });
    await userEvent.click(add);
    expect(screen.getByLabelText("Mapping 1 claim")).toHaveFocus();
    await userEvent.type(screen.getByLabelText("Mapping 1 claim"), "sub");
    await userEvent.type(screen.getByLabelText("Mapping 1 variable"), "customer_id");
    await userEvent.click(add);
    await userEvent.type(screen.getByLabelText("Mapping 2 claim"), "email");
    await userEvent.type(screen.getByLabelText("Mapping 2 variable"), "customer_email");
    await userEvent.click(add);
    await userEvent.click(screen.getByRole("button", { name: "Remove mapping 1" }));
    expect(screen.getByLabelText("Mapping 1 claim")).toHaveValue("email");
    expect(screen.queryByLabelText("Mapping 3 claim")).not.toBeInTheDocument();
    const binding = screen.getByRole("checkbox", { name: "Channel binding" });
    expect(binding).not.toBeChecked();
    expect(binding).toHaveAccessibleDescription(
      "Authenticate only when the IdP returns a verified phone number equal to the number the link was sent to.",
    );
    await userEvent.click(binding);
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));

    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    const fields = saved(calls)[0]!.fields;
    expect(fields.claim_mapping, "the blank row is an unused click, not a mapping").toEqual([
      { claim: "email", variable: "customer_email" },
    ]);
    expect(fields.channel_binding).toBe(true);
    // The parameters editor is the same component with its own rows.
    expect(fields.extra_params).toEqual([]);
  });

  it("sends the checked ID token signing algorithms in a fixed order", async () => {
    const calls = mockCore({ save_idp: (args) => echoSave(args), check_idp: () => [] });
    renderForm();
    await fillRequired();
    const group = screen.getByRole("group", { name: "ID token signing algorithms" });
    expect(group).toHaveAccessibleDescription(expect.stringContaining("verified with the client secret"));
    for (const alg of ["RS256", "ES256", "HS256"]) {
      expect(within(group).getByRole("checkbox", { name: alg })).not.toBeChecked();
    }
    await userEvent.click(within(group).getByRole("checkbox", { name: "HS256" }));
    await userEvent.click(within(group).getByRole("checkbox", { name: "RS256" }));
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));

    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.fields.id_token_signing_algs).toEqual(["RS256", "HS256"]);
  });

  it("loads the stored algorithms, and shows the core's error next to them", async () => {
    const message = "HS256 is keyed with the client secret, and a public client has none";
    const calls = mockCore({
      get_idp: () => config(),
      check_idp: () => [{ field: "id_token_signing_algs", message }],
    });
    renderForm(config().id);
    const group = await screen.findByRole("group", { name: "ID token signing algorithms" });
    expect(within(group).getByRole("checkbox", { name: "RS256" })).toBeChecked();
    expect(within(group).getByRole("checkbox", { name: "HS256" })).toBeChecked();
    expect(within(group).getByRole("checkbox", { name: "ES256" })).not.toBeChecked();

    await userEvent.click(within(group).getByRole("checkbox", { name: "ES256" }));
    await userEvent.click(screen.getByLabelText("Notes"));
    await waitFor(() =>
      expect(group).toHaveAccessibleDescription(expect.stringContaining(message)),
    );
    // The latest check: the form also checks the stored secret when it opens.
    const check = calls.filter((c) => c.cmd === "check_idp").at(-1)!;
    expect((check.args.fields as { id_token_signing_algs: unknown }).id_token_signing_algs).toEqual([
      "RS256",
      "ES256",
      "HS256",
    ]);
  });

  it("has no ID token algorithms for OAuth 2.0", async () => {
    const calls = mockCore({ get_idp: () => config(), save_idp: (args) => echoSave(args), check_idp: () => [] });
    renderForm(config().id);
    await screen.findByRole("group", { name: "ID token signing algorithms" });
    await userEvent.selectOptions(screen.getByLabelText("Protocol"), "oauth2");
    expect(screen.queryByRole("group", { name: "ID token signing algorithms" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Save Changes" }));
    await waitFor(() => expect(saved(calls)).toHaveLength(1));
    expect(saved(calls)[0]!.fields.id_token_signing_algs).toEqual([]);
  });

  it("loads the stored mapping and binding", async () => {
    mockCore({ get_idp: () => config() });
    renderForm(config().id);
    expect(await screen.findByLabelText("Mapping 1 claim")).toHaveValue("email");
    expect(screen.getByLabelText("Mapping 1 variable")).toHaveValue("customer_email");
    expect(screen.getByRole("checkbox", { name: "Channel binding" })).toBeChecked();
  });

  it("shows the core's claim mapping error next to the list, and checks it on leaving", async () => {
    const message = '"customer-email" is not a valid variable name';
    const calls = mockCore({
      check_idp: () => [{ field: "claim_mapping", message }],
      save_idp: () => {
        throw problem("validation", `Claim mapping: ${message}`, [{ field: "claim_mapping", message }]);
      },
    });
    renderForm();
    await userEvent.click(screen.getByRole("button", { name: "Add mapping" }));
    await userEvent.type(screen.getByLabelText("Mapping 1 claim"), "email");
    await userEvent.type(screen.getByLabelText("Mapping 1 variable"), "customer-email");
    await userEvent.click(screen.getByLabelText("Notes"));

    const variable = screen.getByLabelText("Mapping 1 variable");
    await waitFor(() => expect(variable).toHaveAttribute("aria-invalid", "true"));
    const list = screen.getByRole("group", { name: /Claim mapping/ });
    expect(list).toHaveAccessibleDescription(expect.stringContaining(message));
    expect(screen.getByRole("group", { name: /Extra parameters/ })).not.toHaveAccessibleDescription(
      expect.stringContaining(message),
    );
    const check = calls.find((c) => c.cmd === "check_idp")!;
    expect((check.args.fields as { claim_mapping: unknown }).claim_mapping).toEqual([
      { claim: "email", variable: "customer-email" },
    ]);
  });
});
