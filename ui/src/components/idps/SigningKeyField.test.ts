// The private_key_jwt signing key in the IdP form: generated on request, its public keys shown
// read-only with Copy, and never anything private in what the component receives or shows.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { PublicKeyView } from "../../lib/ipc/types";
import { mockCore, problem } from "../../test/fixtures";
import SigningKeyField from "./SigningKeyField.svelte";

const ID = "7b0c8f7e-2a7e-4a47-9d0e-3a1f2b7c9d10";
const view: PublicKeyView = {
  jwk: '{"kty":"RSA","kid":"rsa-kid","n":"abc","e":"AQAB"}',
  jwks: '{"keys":[{"kty":"RSA","kid":"rsa-kid"},{"kty":"EC","kid":"ec-kid"}]}',
  certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  kid: "rsa-kid",
};

describe("SigningKeyField", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("generates a key on request and shows its public keys to copy", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    const calls = mockCore({ idp_public_key: () => null, generate_idp_key: () => view });
    render(SigningKeyField, { id: ID });

    await userEvent.click(await screen.findByRole("button", { name: "Generate key" }));
    const jwks = await screen.findByRole("textbox", { name: "Public keys (JWKS)" });
    expect(jwks).toHaveValue(view.jwks);
    expect(jwks).toHaveAttribute("readonly");
    expect(screen.getByRole("textbox", { name: "Certificate (PEM)" })).toHaveValue(view.certificate_pem);
    expect(calls.find((c) => c.cmd === "generate_idp_key")?.args).toEqual({ id: ID, replace: false });

    await userEvent.click(screen.getByRole("button", { name: "Copy Public JWK (RSA)" }));
    expect(writeText).toHaveBeenCalledWith(view.jwk);
  });

  it("shows a stored key, and Replace key asks for a new one", async () => {
    const replaced = { ...view, jwks: '{"keys":[{"kty":"RSA","kid":"new"}]}' };
    const calls = mockCore({ idp_public_key: () => view, generate_idp_key: () => replaced });
    render(SigningKeyField, { id: ID });

    expect(await screen.findByRole("textbox", { name: "Public keys (JWKS)" })).toHaveValue(view.jwks);
    expect(screen.queryByRole("button", { name: "Generate key" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Replace key" }));
    expect(await screen.findByDisplayValue(replaced.jwks)).toBeInTheDocument();
    expect(calls.find((c) => c.cmd === "generate_idp_key")?.args).toEqual({ id: ID, replace: true });
  });

  it("asks to save a new IdP first, and says what the keyring refused", async () => {
    mockCore({});
    const { unmount } = render(SigningKeyField, { id: null });
    expect(screen.getByText(/Save the IdP to generate its signing key/)).toBeInTheDocument();
    unmount();

    mockCore({
      idp_public_key: () => null,
      generate_idp_key: () => {
        throw problem("keyring", "The OS keyring is locked. Unlock it and try again.");
      },
    });
    render(SigningKeyField, { id: ID });
    await userEvent.click(await screen.findByRole("button", { name: "Generate key" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The OS keyring is locked");
  });
});
