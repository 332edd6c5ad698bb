// A saved IdP's test runs in the real window, with a browser the test holds (held-browser.mjs):
// a Test Configuration cancelled from its dialog while the browser is still on the IdP's sign-in
// page says it was cancelled, is recorded as cancelled in the form's Test history, and can no
// longer be completed (the browser's late redirect is refused); a second run the test completes
// verifies. "Export JSON" then writes the file where the form says, holding exactly those two
// runs, redacted: no client secret, no token, no claim value.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe } from 'node:test';

import { byRole, closeDialog, dialogText, fillNewIdp, holdBrowser, press, startRun, stepper, textOf, ui } from './harness.mjs';

const NAME = 'History OP';
const SECRET = 'confidential-secret-123';
const DIALOG = `Test Configuration: ${NAME}`;

describe('test runs and their history in the app window', () => {
  const held = holdBrowser();
  let run;
  let browser;
  const step = stepper('test-history', () => browser);
  /** The login the first run opened, which the test never finished before cancelling. */
  let cancelledUrl;

  before(async () => {
    run = await startRun('test-history');
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
  });

  /** The rows of the form's "Test history" table, as text, newest first. */
  async function historyRows() {
    const table = await browser.$(byRole('table', 'Test history'));
    if (!(await table.isExisting())) return [];
    return browser.execute((node) => Array.from(node.querySelectorAll('tbody tr')).map((tr) => tr.textContent.replace(/\s+/g, ' ').trim()), table);
  }

  /** Starts Test Configuration from the open form; resolves with the URL the browser was opened at. */
  async function startTest() {
    const $ = ui(browser);
    const before = held.opened().length;
    await $.click('button', 'Test Configuration');
    await $.get('dialog', DIALOG);
    await $.waitFor(async () => held.opened().length === before + 1, 'the app to open the browser at the IdP');
    return held.opened()[before];
  }

  /** Waits until the test dialog's text matches `done`; resolves with the text. */
  const dialogSays = (done, what) => dialogText(browser, DIALOG, done, what, 30_000);

  step('saves a confidential IdP and opens its form', async () => {
    const $ = ui(browser);
    await fillNewIdp(browser, run.issuer, { name: NAME, clientId: 'eca-confidential', auth: 'client_secret_basic', secret: SECRET, loopback: true });
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');
    await $.click('button', NAME);
    await $.get('button', 'Replace secret');
    await $.waitFor(async () => (await textOf(browser, await browser.$('body'))).includes('No test runs yet'), 'the empty test history');
  });

  step('cancels a test login while the browser is still at the IdP', async () => {
    const $ = ui(browser);
    cancelledUrl = await startTest();
    assert.ok(cancelledUrl.startsWith(run.issuer), `the browser opens at the IdP: ${cancelledUrl}`);
    const dialog = await $.get('dialog', DIALOG);
    await press(await ui(dialog, browser).get('button', 'Cancel'));
    const text = await dialogSays(/Test cancelled/, 'the dialog to say the test was cancelled');
    assert.doesNotMatch(text, /Configuration verified/, text);
    await closeDialog(browser, DIALOG);
    await $.waitFor(async () => (await historyRows()).length === 1, 'the cancelled run in the test history');
    const [row] = await historyRows();
    assert.match(row, /Cancelled/, `the run is recorded as cancelled: ${row}`);
  });

  step('the cancelled login cannot be completed later', async () => {
    const late = await held.finish(cancelledUrl);
    // The browser signed in at the IdP and came back to a listener that is gone (or that refused).
    assert.notEqual(late.code, 0, `the app must refuse the cancelled login's redirect; the browser said: ${late.stdout}${late.stderr}`);
    assert.match(late.stderr, /ECONNREFUSED|the app's listener answered HTTP/, 'it is the app that refuses, not the IdP');
    const rows = await historyRows();
    assert.equal(rows.length, 1, `nothing more is recorded: ${rows.join(' | ')}`);
    assert.ok(!(await ui(browser).exists('dialog', DIALOG)), 'no test dialog comes back');
  });

  step('a login the browser completes verifies and is recorded', async () => {
    const url = await startTest();
    const finished = await held.finish(url);
    assert.equal(finished.code, 0, `the browser delivers the redirect: ${finished.stdout}${finished.stderr}`);
    await dialogSays(/Configuration verified/, 'the login to verify');
    await closeDialog(browser, DIALOG);
    await ui(browser).waitFor(async () => (await historyRows()).length === 2, 'both runs in the test history');
    const rows = await historyRows();
    assert.match(rows[0], /Passed/, `newest first: ${rows.join(' | ')}`);
    assert.match(rows[1], /Cancelled/, rows.join(' | '));
  });

  step('exports the history where the form says, both runs and nothing secret', async () => {
    const $ = ui(browser);
    await $.click('button', 'Export JSON');
    let said = '';
    await $.waitFor(async () => {
      const status = await browser.$(`//*[@role='status'][starts-with(normalize-space(), 'Saved to ')]`);
      said = (await status.isExisting()) ? await textOf(browser, status) : '';
      return said !== '';
    }, 'the form to say where the history was saved');
    const path = said.replace(/^Saved to /, '');
    assert.ok(path.startsWith('/'), `an absolute path: ${said}`);
    const text = readFileSync(path, 'utf8');
    const runs = JSON.parse(text);
    assert.deepEqual(runs.map((r) => r.outcome), ['passed', 'cancelled'], 'the two runs, newest first');
    assert.equal(new Set(runs.map((r) => r.run_id)).size, 2, 'two distinct runs');
    assert.ok(text.includes('"[redacted]"'), 'the passed run keeps its identity, with the values redacted');
    for (const [what, value] of [
      ['the subject', '"alice"'],
      ['the client secret', SECRET],
      ['a token (a JWT)', /eyJ[\w-]+\.[\w-]+/],
      ['the email claim', 'alice@example.test'],
      ['the name claim', 'Alice Liddell'],
      ['the phone claim', '+44 20 7946 0000'],
    ]) {
      assert.ok(typeof value === 'string' ? !text.includes(value) : !value.test(text), `the export holds ${what}`);
    }
  });
});
