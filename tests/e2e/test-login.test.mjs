// "Test Configuration" in the real app window, end to end: a real login against the local
// OpenID provider, in the "system browser" (tests/oidc/browser.mjs as $BROWSER), coming back
// through the deep link (a second app instance started with the URL, as the OS does) and through
// the loopback listener, then the verified claims on screen.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO, appBinary, byRole, fill, fillNewIdp, press, screenshot, startRun, textOf, ui } from './harness.mjs';

// The app opens the browser through $BROWSER; the scripted browser signs in as alice and hands a
// deep link to a second instance of the app, which forwards it to the running one over D-Bus.
process.env.BROWSER = `node ${join(REPO, 'tests/oidc/browser.mjs')}`;
process.env.ECA_DEEP_LINK_HANDLER = appBinary();

describe('Test Configuration in the app window', () => {
  let run;
  let browser;

  before(async () => {
    run = await startRun('test-login');
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
  });

  /** Fills a new IdP's form through discovery (not saved); `loopback` picks that test redirect. */
  const addIdp = (name, fields) => fillNewIdp(browser, run.issuer, { name, ...fields });

  /**
   * Waits for the test dialog of `name` to show a finished run; returns the dialog and its text.
   * The dialog is looked up afresh on every poll: a closing dialog of an earlier run must not be
   * mistaken for this one.
   */
  async function finishedDialog(name) {
    const $ = ui(browser);
    let text = '';
    await $.waitFor(async () => {
      const dialog = await browser.$(byRole('dialog', `Test Configuration: ${name}`));
      if (!(await dialog.isExisting())) return false;
      text = await textOf(browser, dialog).catch(() => '');
      return /Configuration verified|How to fix/.test(text);
    }, 'the test login to finish', 30_000);
    return { dialog: await $.get('dialog', `Test Configuration: ${name}`), text };
  }

  /** Closes the finished test dialog and waits until it is gone. */
  async function closeDialog(name) {
    const $ = ui(browser);
    const dialog = await $.get('dialog', `Test Configuration: ${name}`);
    await press(await ui(dialog, browser).get('button', 'Close'));
    await $.gone('dialog', `Test Configuration: ${name}`);
  }

  test('a public client, through the deep link, started from the list', async () => {
    const $ = ui(browser);
    await addIdp('Deep Link OP', { clientId: 'eca-public', auth: 'none' });
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');

    await $.click('button', 'Test Deep Link OP');
    const { dialog, text } = await finishedDialog('Deep Link OP');
    assert.match(text, /Configuration verified/, `the login must verify: ${text}`);
    assert.match(text, /Customer identifier/, text);
    assert.match(text, /alice/, 'the verified subject (sub = alice) is shown');
    for (const step of ['Discovery', 'Redirect received', 'State and issuer checks', 'Code exchange', 'ID token verification', 'Userinfo']) {
      assert.ok(text.includes(step), `the checklist shows “${step}”: ${text}`);
    }
    await screenshot(browser, 'test-login-verified');
    assert.equal(await dialog.isDisplayed(), true, 'the dialog is still open after the login');
    await closeDialog('Deep Link OP');

    // The list's "Last test" column now shows the run.
    const row = await browser.$(`//*[@role='row'][.//button[normalize-space()='Deep Link OP']]`);
    await $.waitFor(async () => /Passed/.test(await textOf(browser, row)), 'the last test result in the row');
  });

  test('a confidential client, through the loopback listener, testing the unsaved draft', async () => {
    const $ = ui(browser);
    await addIdp('Loopback Draft', {
      clientId: 'eca-confidential',
      auth: 'client_secret_basic',
      secret: 'confidential-secret-123',
      loopback: true,
    });
    await $.click('button', 'Test Configuration');
    const { text } = await finishedDialog('Loopback Draft');
    assert.match(text, /Configuration verified/, `the draft's login must verify: ${text}`);
    assert.match(text, /alice/, text);
  });

  test('a wrong secret fails at the code exchange and says what to fix', async () => {
    const $ = ui(browser);
    await closeDialog('Loopback Draft');
    await fill(browser, await $.field('Client secret'), 'not-the-secret');
    await $.click('button', 'Test Configuration');
    const { text } = await finishedDialog('Loopback Draft');
    assert.match(text, /invalid_client/, text);
    assert.match(text, /How to fix/, text);
    assert.ok(!text.includes('not-the-secret'), 'the secret is never shown');
  });
});
