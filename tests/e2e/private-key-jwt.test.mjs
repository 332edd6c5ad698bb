// private_key_jwt in the real app window: choose it, save, generate the key, read the public
// JWKS the form shows, register it at the provider (tests/oidc/provider.mjs --pkjwt-jwks), and
// run Test Configuration through the deep link: the login verifies with the key from the real
// keyring, and the window never shows a private key. Then sync is set up and the IdP pushed to
// the reference backend: the form shows the platform's own public keys (customer sign-in)
// beside this computer's, as the backend holds them.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.
// Needs target/debug/eca-backend (cargo build -p eca-backend).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  REPO,
  appBinary,
  backendApi,
  backendIdp,
  byLabel,
  byRole,
  fillNewIdp,
  press,
  pushChanges,
  saveSyncSettings,
  screenshot,
  startBackend,
  startRun,
  textOf,
  ui,
} from './harness.mjs';

process.env.BROWSER = `node ${join(REPO, 'tests/oidc/browser.mjs')}`;
process.env.ECA_DEEP_LINK_HANDLER = appBinary();


/** The window's markup and the values of its fields (a textarea's value is not in the markup). */
async function windowText(browser) {
  const values = await browser.execute(() =>
    [...document.querySelectorAll('textarea, input')].map((field) => field.value).join('\n'),
  );
  return `${await browser.getPageSource()}\n${values}`;
}

function assertNoPrivateKey(text) {
  assert.ok(text.includes('"kty"'), 'the public keys are among what was read');
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
    assert.doesNotMatch(text, new RegExp(`"${member}"\\s*:`), `no private JWK member "${member}" in the window`);
  }
  assert.doesNotMatch(text, /PRIVATE KEY/, 'no PEM private key in the window');
}

describe('private_key_jwt in the app window', () => {
  let run;
  let browser;
  let backend;
  const keysDir = mkdtempSync(join(tmpdir(), 'eca-e2e-pkjwt-'));
  const jwksFile = join(keysDir, 'jwks.json');

  before(async () => {
    backend = await startBackend();
    run = await startRun('private-key-jwt', { pkjwtJwks: jwksFile });
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
    await backend?.stop();
    rmSync(keysDir, { recursive: true, force: true });
  });

  test('the shown public key, registered at the IdP, verifies a test login', async () => {
    const $ = ui(browser);
    await fillNewIdp(browser, run.issuer, { name: 'Key OP', clientId: 'eca-pkjwt', auth: 'private_key_jwt' });
    assert.equal(await browser.$(byLabel('Client secret')).isExisting(), false, 'no secret for private_key_jwt');
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');

    await $.click('button', 'Key OP');
    await $.click('button', 'Generate key');
    const jwksField = await $.field('Public keys (JWKS)');
    let jwks = '';
    await $.waitFor(async () => (jwks = await jwksField.getValue()).includes('"keys"'), 'the public JWKS');
    const keys = JSON.parse(jwks).keys;
    assert.equal(keys.length, 2, jwks);
    assert.ok(keys.every((k) => k.d === undefined), 'public keys only');
    assertNoPrivateKey(await windowText(browser));
    await screenshot(browser, 'private-key-jwt-keys');
    writeFileSync(jwksFile, jwks);

    await $.click('button', 'Test Configuration');
    let text = '';
    await $.waitFor(async () => {
      const dialog = await browser.$(byRole('dialog', 'Test Configuration: Key OP'));
      if (!(await dialog.isExisting())) return false;
      text = await textOf(browser, dialog).catch(() => '');
      return /Configuration verified|How to fix/.test(text);
    }, 'the test login to finish', 30_000);
    assert.match(text, /Configuration verified/, `the login with the registered key must verify: ${text}`);
    assert.match(text, /alice/, text);
    const dialog = await $.get('dialog', 'Test Configuration: Key OP');
    await press(await ui(dialog, browser).get('button', 'Close'));
  });

  test("once pushed, the form shows the platform's public keys beside this computer's", async () => {
    const $ = ui(browser);
    const platform = await $.get('group', 'The platform (customer sign-in)');
    await $.waitFor(
      async () => /Set up sync in Settings/.test(await textOf(browser, platform)),
      'the note that sync is not set up',
    );

    await saveSyncSettings(browser, backend);
    await pushChanges(browser, 1);
    await $.click('button', 'Identity providers');
    await $.click('button', 'Key OP');
    const field = await $.field('Platform public keys (JWKS)');
    let shown = '';
    await $.waitFor(async () => (shown = await field.getValue()).includes('"keys"'), "the platform's JWKS");

    const { body: idp } = await backendIdp(backend, 'Key OP');
    const held = await backendApi(backend)('GET', `/idps/${idp.id}/platform-jwks`);
    assert.equal(held.status, 200, JSON.stringify(held.body));
    assert.deepEqual(JSON.parse(shown), held.body.jwks, "the platform's keys, as the backend holds them");
    const computer = JSON.parse(await (await $.field('Public keys (JWKS)')).getValue());
    assert.notDeepEqual(computer, held.body.jwks, "the platform's key is not this computer's");
    assertNoPrivateKey(await windowText(browser));
    await screenshot(browser, 'private-key-jwt-platform-keys');
  });
});
