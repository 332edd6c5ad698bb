// Secrets never cross into the webview. Two canary secrets are put into the real app window: an
// IdP's client secret (the only secret the test provider accepts for its client, so the test
// login below verifies only if the core read it back from the keyring and sent it) and the sync
// backend's API key (which Test connection and Push must send). Then everything the core handed
// to the page (every IPC response and error, every event: a recorder installed in the page, see
// harness.mjs recordWebviewTraffic), the DOM with every field's value, and the app's own log at
// RUST_LOG=trace are scanned: neither canary is anywhere. The recorder and the page scan each
// show, first, that they see what they should (the save's response, the login's events, the
// unsaved form holding the canary), so an empty scan cannot pass for a clean one.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.
// Needs target/debug/eca-backend (cargo build -p eca-backend).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';

import {
  REPO,
  appLog,
  fillNewIdp,
  localTest,
  pageContents,
  pushChanges,
  recordWebviewTraffic,
  recorded,
  saveSyncSettings,
  startBackend,
  startRun,
  stepper,
  textOf,
  ui,
} from './harness.mjs';

// The app opens the login in $BROWSER (the scripted browser signs in and calls the loopback
// listener back); the app's own log goes to tauri-driver's log, as verbose as it gets.
process.env.BROWSER = `node ${join(REPO, 'tests/oidc/browser.mjs')}`;
process.env.RUST_LOG = 'trace';

const NAME = 'Canary OP';
const CLIENT_ID = 'eca-canary';
const CLIENT_SECRET = `canary-secret-${randomUUID()}`;

describe('secrets never cross into the webview', () => {
  let run;
  let browser;
  let backend;
  const step = stepper('secrets', () => browser);
  /** The window's contents at each point of the scenario, scanned at the end. */
  const pages = [];

  before(async () => {
    run = await startRun('secrets', {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          token_endpoint_auth_method: 'client_secret_basic',
          application_type: 'native',
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: ['http://127.0.0.1/oauth/callback', 'com.ecaadmin.desktop:/oauth/callback'],
        },
      ],
    });
    backend = await startBackend();
    ({ browser } = await run.openApp());
    await recordWebviewTraffic(browser);
  });

  after(async () => {
    await backend?.stop();
    await run?.cleanup();
  });

  const commandsSeen = async () => new Set((await recorded(browser)).map((r) => `${r.kind} ${r.command}`));

  step('saves an IdP with a canary client secret', async () => {
    const $ = ui(browser);
    await fillNewIdp(browser, run.issuer, { name: NAME, clientId: CLIENT_ID, auth: 'client_secret_basic', secret: CLIENT_SECRET, loopback: true });
    // The page scan sees a typed value: the unsaved form holds the canary.
    assert.ok((await pageContents(browser)).includes(CLIENT_SECRET), 'the page scan must see the secret typed into the unsaved form');
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');
    await $.get('button', NAME);
    pages.push(['the list after the save', await pageContents(browser)]);

    const saves = (await recorded(browser)).filter((r) => r.command === 'save_idp' && r.kind === 'response');
    assert.equal(saves.length, 1, 'the recorder saw the save’s response');
    assert.ok(saves[0].data.includes(NAME), `the save’s response is the saved IdP: ${saves[0].data.slice(0, 300)}`);
  });

  step('tests it with the secret read from the keyring', async () => {
    const text = await localTest(browser, NAME);
    assert.match(text, /Configuration verified/, `the login verifies only with the canary secret sent: ${text}`);
    const seen = await commandsSeen();
    for (const what of ['response start_test_login', 'event test-run://progress', 'event test-run://finished']) {
      assert.ok(seen.has(what), `the recorder saw “${what}”; it saw ${[...seen].join(', ')}`);
    }
  });

  step('reopens the IdP: the form says a secret is stored, and shows its history', async () => {
    const $ = ui(browser);
    await $.click('button', NAME);
    await $.get('button', 'Replace secret');
    await $.waitFor(async () => (await textOf(browser, await browser.$('body'))).includes('Passed'), 'the form’s history to show the passed run');
    pages.push(['the IdP’s form', await pageContents(browser)]);
    await $.click('button', 'Identity providers');
    await $.get('heading', 'Embedded Client Authentication');
  });

  step('saves the backend’s API key, tests the connection and pushes the IdP', async () => {
    assert.ok(backend.apiKey.length >= 20, `the backend's API key is a unique value: ${backend.apiKey.length} characters`);
    const $ = ui(browser);
    await saveSyncSettings(browser, backend);
    await $.click('button', 'Test connection');
    await $.waitFor(async () => (await textOf(browser, await browser.$('body'))).includes('Connection works'), 'the connection test to succeed');
    pages.push(['the settings', await pageContents(browser)]);
    await pushChanges(browser, 1);
    pages.push(['the pending changes after the push', await pageContents(browser)]);
    const seen = await commandsSeen();
    for (const what of ['response save_sync_settings', 'response test_backend_connection', 'response sync_push']) {
      assert.ok(seen.has(what), `the recorder saw “${what}”; it saw ${[...seen].join(', ')}`);
    }
  });

  step('finds neither secret in any IPC response, event, page or log line', async () => {
    const records = await recorded(browser);
    assert.ok(records.length >= 20, `the recorder saw the scenario’s traffic: ${records.length} records`);
    const log = appLog(run);
    assert.ok(log.includes('test login finished'), 'the app’s log (info) is captured');
    // RUST_LOG=trace reaches the app: the crates that handle the secrets log at this level too.
    for (const layer of ['keyring', 'reqwest']) {
      assert.match(log, new RegExp(`(TRACE|DEBUG) ${layer}`), `the app's log has ${layer}'s trace or debug lines`);
    }
    for (const [what, secret] of [['the client secret', CLIENT_SECRET], ['the API key', backend.apiKey]]) {
      const leaks = records.filter((r) => r.data.includes(secret)).map((r) => `${r.kind} ${r.command}`);
      assert.deepEqual(leaks, [], `${what} crossed into the webview in these IPC messages`);
      for (const [where, page] of pages) assert.ok(!page.includes(secret), `${what} is in the page: ${where}`);
      assert.ok(!(await pageContents(browser)).includes(secret), `${what} is in the page at the end`);
      const lines = log.split('\n').filter((line) => line.includes(secret));
      assert.deepEqual(lines, [], `${what} is in the app's log`);
    }
  });
});
