// The keyring's refusal in the real app window, on the real Secret Service: an IdP saved with a
// secret, then the default collection locked over D-Bus (harness lockKeyring; run.sh's session
// has no prompter, so nothing can unlock it). Saving an edit with a new secret then keeps the
// form open with the edit and the typed secret, and shows the keyring's "locked" message on the
// Client secret field (aria-describedby); the other fields' edit is stored (the CLI shows it),
// and the IdP still says a secret is stored. Then the same save with the keyring's unlock prompt
// on the display (gcr-prompter, as on a desktop): the save waits on it, and the admin dismissing
// it gives the same message.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { cliBinary, cliIdp, describedText, dismissKeyringPrompt, fill, fillNewIdp, lockKeyring, startRun, stepper, textOf, ui } from './harness.mjs';

const NAME = 'Locked Keyring OP';
const NEW_SECRET = 'a-new-secret-while-locked';
const LOCKED = 'The OS keyring is locked';

describe('a locked keyring in the app window', () => {
  let run;
  let browser;
  const step = stepper('keyring-locked', () => browser);

  before(async () => {
    run = await startRun('keyring-locked');
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
  });

  step('saves an IdP with a secret while the keyring is open', async () => {
    const $ = ui(browser);
    await fillNewIdp(browser, run.issuer, { name: NAME, clientId: 'eca-confidential', auth: 'client_secret_basic', secret: 'confidential-secret-123' });
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');
    const stored = await cliIdp(cliBinary(), run.dataDir, NAME);
    assert.equal(stored.has_secret, true, `the secret is in the keyring: ${JSON.stringify(stored)}`);
  });

  step('with the keyring locked, a save with a new secret keeps the edit and says the keyring is locked', async () => {
    const $ = ui(browser);
    await lockKeyring();
    await $.click('button', NAME);
    await $.get('heading', `Edit ${NAME}`);
    await fill(browser, await $.field('Notes'), 'edited while locked');
    await $.click('button', 'Replace secret');
    await fill(browser, await $.field('Client secret'), NEW_SECRET);
    await $.click('button', 'Save Changes');

    const secret = await $.field('Client secret');
    let said = '';
    await $.waitFor(async () => {
      said = await describedText(browser, secret);
      return said.includes(LOCKED);
    }, 'the keyring’s “locked” message on the Client secret field');
    assert.match(said, /Unlock it/, `the message says what to do: ${said}`);
    assert.equal(await secret.getAttribute('aria-invalid'), 'true', 'the secret field is marked invalid');
    assert.equal(await secret.getValue(), NEW_SECRET, 'the typed secret is kept for another try');
    assert.equal(await (await $.field('Notes')).getValue(), 'edited while locked', 'the edit is kept in the form');
    await $.get('heading', `Edit ${NAME}`);
    assert.ok(!(await textOf(browser, await browser.$('body'))).includes(NEW_SECRET), 'the secret is not shown as text');
  });

  step('the IdP was saved without the new secret', async () => {
    const stored = await cliIdp(cliBinary(), run.dataDir, NAME);
    assert.equal(stored.notes, 'edited while locked', 'the other fields were saved');
    assert.equal(stored.has_secret, true, `the IdP still has its (old) secret: ${JSON.stringify(stored)}`);
  });

  step('with the unlock prompt on the display, dismissing it gives the same message', async () => {
    const $ = ui(browser);
    await lockKeyring({ prompter: 'display' });
    await fill(browser, await $.field('Notes'), 'edited during the prompt');
    await $.click('button', 'Save Changes');
    const secret = await $.field('Client secret');
    await $.waitFor(async () => !(await describedText(browser, secret)).includes(LOCKED), 'the save to start afresh (the old message cleared)');
    await dismissKeyringPrompt(browser);
    await $.waitFor(async () => (await describedText(browser, secret)).includes(LOCKED), 'the “locked” message once the prompt is dismissed');
    assert.equal(await secret.getValue(), NEW_SECRET, 'the typed secret is kept');
    assert.equal((await cliIdp(cliBinary(), run.dataDir, NAME)).notes, 'edited during the prompt', 'the other fields were saved');
  });
});
