// "Start from" on the add form, against a mocked core: the presets come from the bindings, the
// fill from the core's `fill_from_preset`; the filled fields stay editable and the preset's
// quirks show as hints (and as a warning when the test redirect ignores one).
import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { PRESETS } from "../lib/ipc/bindings";
import type { PresetFill, SaveIdpRequest } from "../lib/ipc/types";
import { Router } from "../lib/nav/router.svelte";
import { config, mockCore, problem } from "../test/fixtures";
import IdpFormView from "./IdpFormView.svelte";

function renderAdd() {
  render(IdpFormView, { router: new Router({ name: "add" }), id: null });
}

const entraFill: PresetFill = {
  protocol: "oidc",
  issuer: "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
  client_auth_method: "private_key_jwt",
  scopes: ["openid", "profile", "email"],
  customer_id_claim: "oid",
  userinfo_endpoint: null,
  test_redirect: "deep_link",
};

describe("IdpFormView: Start from", () => {
  it("lists every preset from the core's data file", () => {
    mockCore({ check_idp: () => [] });
    renderAdd();
    const select = screen.getByRole("combobox", { name: "Start from" });
    const labels = Array.from((select as HTMLSelectElement).options).map((o) => o.text);
    expect(labels.slice(1)).toEqual(PRESETS.map((p) => p.name));
    expect(labels).toContain("Microsoft Entra ID");
    expect(labels).toContain("Generic OAuth 2.0");
  });

  it("asks for the preset's parameter, fills the fields through the core, and shows the hints", async () => {
    const calls = mockCore({ fill_from_preset: () => entraFill, check_idp: () => [] });
    renderAdd();
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Start from" }), "entra");
    const tenant = screen.getByLabelText("Tenant");
    expect(tenant).toHaveAttribute("placeholder", "contoso.onmicrosoft.com");
    expect(calls.some((c) => c.cmd === "fill_from_preset")).toBe(false);

    await userEvent.type(tenant, "contoso.onmicrosoft.com");
    await userEvent.click(screen.getByRole("button", { name: "Fill in" }));

    await waitFor(() => expect(screen.getByLabelText("Issuer URL")).toHaveValue(entraFill.issuer));
    expect(calls.find((c) => c.cmd === "fill_from_preset")?.args).toEqual({
      id: "entra",
      params: { tenant: "contoso.onmicrosoft.com" },
    });
    expect(screen.getByLabelText("Client authentication")).toHaveValue("private_key_jwt");
    expect(screen.getByLabelText("Customer identifier claim")).toHaveValue("oid");
    expect(screen.getByText(/each ID token's iss carries the user's tenant/)).toBeInTheDocument();

    // Everything stays editable.
    const issuer = screen.getByLabelText("Issuer URL");
    await userEvent.clear(issuer);
    await userEvent.type(issuer, "https://login.microsoftonline.com/other/v2.0");
    expect(issuer).toHaveValue("https://login.microsoftonline.com/other/v2.0");
  });

  it("shows the core's refusal of a parameter and changes nothing", async () => {
    mockCore({
      fill_from_preset: () => {
        throw problem("validation", "Okta domain \"evil.example\" is not in the expected form; enter it like acme.okta.com.");
      },
      check_idp: () => [],
    });
    renderAdd();
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Start from" }), "okta-org");
    await userEvent.type(screen.getByLabelText("Okta domain"), "evil.example{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("is not in the expected form");
    expect(screen.getByLabelText("Issuer URL")).toHaveValue("");
  });

  it("fills a preset without parameters at once and warns when its redirect rule is ignored", async () => {
    const calls = mockCore({
      fill_from_preset: (): PresetFill => ({
        ...entraFill,
        issuer: "https://accounts.google.com",
        customer_id_claim: "sub",
        test_redirect: "loopback",
      }),
      check_idp: () => [],
      save_idp: (args) => {
        const request = args.request as SaveIdpRequest;
        return { idp: { ...config(), ...request.fields }, secret_error: null };
      },
    });
    renderAdd();
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Start from" }), "google");
    await waitFor(() => expect(screen.getByLabelText("Issuer URL")).toHaveValue("https://accounts.google.com"));
    expect(calls.find((c) => c.cmd === "fill_from_preset")?.args).toEqual({ id: "google", params: {} });
    const redirect = screen.getByLabelText("Test redirect");
    expect(redirect).toHaveValue("loopback");
    expect(screen.queryByText("Loopback redirect only")).not.toBeInTheDocument();

    await userEvent.selectOptions(redirect, "deep_link");
    expect(screen.getByText("Loopback redirect only")).toBeInTheDocument();
  });

  it("takes a multi-tenant issuer's template as its discovery issuer, and warns only after an edit", async () => {
    const common = "https://login.microsoftonline.com/common/v2.0";
    const template = "https://login.microsoftonline.com/{tenantid}/v2.0";
    mockCore({
      discover_issuer: () => ({
        info: {
          issuer: template,
          authorization_endpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
          token_endpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
          userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
          jwks_uri: "https://login.microsoftonline.com/common/discovery/v2.0/keys",
          code_challenge_methods_supported: ["S256"],
          token_endpoint_auth_methods_supported: ["client_secret_post"],
          scopes_supported: ["openid"],
          id_token_signing_alg_values_supported: ["RS256"],
          authorization_response_iss_parameter_supported: false,
        },
        advice: { pkce: null, unadvertised_methods: [] },
      }),
      check_idp: () => [],
    });
    renderAdd();
    const issuer = screen.getByLabelText("Issuer URL");
    await userEvent.type(issuer, common);
    await userEvent.click(screen.getByRole("button", { name: "Fetch from issuer" }));
    await waitFor(() => expect(screen.getByLabelText("Token endpoint")).not.toHaveValue(""));
    expect(screen.queryByText(/identifies itself as/)).not.toBeInTheDocument();

    await userEvent.type(issuer, "/");
    expect(screen.getByText(/identifies itself as/)).toBeInTheDocument();
  });

  it("shows a saved IdP's preset hints again on edit, from the core's reading of its issuer", async () => {
    const google = config({ issuer: "https://accounts.google.com", test_redirect: "deep_link" });
    const calls = mockCore({ get_idp: () => google, recognise_preset: () => "google", check_idp: () => [] });
    render(IdpFormView, { router: new Router({ name: "edit", id: google.id }), id: google.id });
    expect(await screen.findByText("Quirks of Google")).toBeInTheDocument();
    expect(calls.find((c) => c.cmd === "recognise_preset")?.args).toEqual({ issuer: "https://accounts.google.com" });
    expect(screen.queryByRole("combobox", { name: "Start from" })).not.toBeInTheDocument();
    expect(screen.getByText("Loopback redirect only")).toBeInTheDocument();
  });

  it("shows no hints on edit when the issuer is no preset's", async () => {
    const calls = mockCore({ get_idp: () => config(), recognise_preset: () => null, check_idp: () => [] });
    render(IdpFormView, { router: new Router({ name: "edit", id: config().id }), id: config().id });
    await waitFor(() => expect(calls.some((c) => c.cmd === "recognise_preset")).toBe(true));
    expect(await screen.findByLabelText("Issuer URL")).toHaveValue("https://okta.example.com");
    expect(screen.queryByText(/^Quirks of/)).not.toBeInTheDocument();
  });
});
