// The platform's own private_key_jwt key in the IdP form: its public keys shown read-only with
// Copy once the IdP is pushed, and otherwise a note that says what to do (set up sync, push).
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { PlatformKeyView, PublicKeyView } from "../../lib/ipc/types";
import { mockCore, problem } from "../../test/fixtures";
import PlatformKeyField from "./PlatformKeyField.svelte";

const ID = "7b0c8f7e-2a7e-4a47-9d0e-3a1f2b7c9d10";
const keys: PublicKeyView = {
  jwk: '{"kty":"RSA","kid":"platform-rsa","n":"abc","e":"AQAB"}',
  jwks: '{"keys":[{"kty":"RSA","kid":"platform-rsa"},{"kty":"EC","kid":"platform-ec"}]}',
  certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
  kid: "platform-rsa",
};
const shown: PlatformKeyView = { state: "shown", keys, created_at: "2026-11-30T12:00:00Z" };

describe("PlatformKeyField", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the platform's public keys to copy", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    const calls = mockCore({ platform_public_key: () => shown });
    render(PlatformKeyField, { id: ID });

    expect(screen.getByRole("group", { name: "The platform (customer sign-in)" })).toBeInTheDocument();
    const jwks = await screen.findByRole("textbox", { name: "Platform public keys (JWKS)" });
    expect(jwks).toHaveValue(keys.jwks);
    expect(jwks).toHaveAttribute("readonly");
    expect(screen.getByRole("textbox", { name: "Platform certificate (PEM)" })).toHaveValue(keys.certificate_pem);
    expect(calls.find((c) => c.cmd === "platform_public_key")?.args).toEqual({ id: ID });
    expect(screen.queryByRole("button", { name: "Check again" })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Copy Platform public keys (JWKS)" }));
    expect(writeText).toHaveBeenCalledWith(keys.jwks);
  });

  it("says to set up sync when there is no platform to ask", async () => {
    mockCore({ platform_public_key: () => ({ state: "sync_not_set_up" }) });
    render(PlatformKeyField, { id: ID });
    expect(await screen.findByText(/Set up sync in Settings, then push this IdP/)).toBeInTheDocument();
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
  });

  it("says to push an IdP the platform does not have, and shows its keys when asked again", async () => {
    let pushed = false;
    const calls = mockCore({ platform_public_key: () => (pushed ? shown : { state: "not_pushed" }) });
    render(PlatformKeyField, { id: ID });
    expect(await screen.findByText(/Not pushed yet: push this IdP/)).toBeInTheDocument();

    pushed = true;
    await userEvent.click(screen.getByRole("button", { name: "Check again" }));
    expect(await screen.findByRole("textbox", { name: "Platform public keys (JWKS)" })).toHaveValue(keys.jwks);
    expect(calls.filter((c) => c.cmd === "platform_public_key")).toHaveLength(2);
  });

  it("says what went wrong when the backend cannot be read, and asks nothing for a new IdP", async () => {
    mockCore({
      platform_public_key: () => {
        throw problem("backend_unreachable", "The backend cannot be reached.");
      },
    });
    const { unmount } = render(PlatformKeyField, { id: ID });
    expect(await screen.findByRole("alert")).toHaveTextContent("The backend cannot be reached.");
    expect(screen.getByRole("button", { name: "Check again" })).toBeInTheDocument();
    unmount();

    const calls = mockCore({});
    render(PlatformKeyField, { id: null });
    expect(screen.getByText(/Save and push the IdP/)).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });
});
