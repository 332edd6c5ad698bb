// "Test on the platform" failing where Test Configuration passes, in the real app window, with
// the explanation the admin reads:
// 1. the platform's redirect URI is not registered at the IdP: the IdP shows its own error page
//    (invalid_redirect_uri) and never sends the browser back to the platform, so the platform has
//    no result; the admin, seeing that page, cancels, and the dialog says what the platform saw and
//    names the exact URI to register (`GET /v1/platform`);
// 2. the client secret was rotated on this computer but not pushed: the new secret is written
//    straight into the keyring (outside the IdP's form, so no pending change is recorded), the
//    local test passes with it, and the platform's code exchange with the pushed, old secret is
//    refused with invalid_client; the fix says to push.
// Each scenario has its own backend, provider, app and data folder; steps run in order and share
// one window; a failing step saves a screenshot to artifacts/e2e/.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.
// Needs target/debug/eca-backend (cargo build -p eca-backend) and python3-gi (the keyring write).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';

import {
  REPO,
  appBinary,
  backendApi,
  closeDialog,
  fillNewIdp,
  localTest,
  platformInfo,
  platformSteps,
  platformTestResult,
  pushChanges,
  putIdpSecretInKeyring,
  saveSyncSettings,
  screenshot,
  startBackend,
  startPlatformTest,
  startRun,
  stepper,
  textOf,
  ui,
} from './harness.mjs';

const BROWSER = join(REPO, 'tests/oidc/browser.mjs');
const WHY = 'Why it differs from this computer';

// Test Configuration opens the scripted browser, which signs in as alice and calls the app's
// loopback listener; on a platform link it plays the customer and hands the page's "Back to the
// chat" deep link to a second instance of the app, as the OS does. The page it gets stuck on
// (an IdP's error page) goes to BROWSER_LOG: the app starts the browser, so its output is lost.
const scratch = mkdtempSync(join(tmpdir(), 'eca-e2e-platform-failures-'));
const BROWSER_LOG = join(scratch, 'browser.log');
process.env.BROWSER = `node ${BROWSER}`;
process.env.ECA_DEEP_LINK_HANDLER = appBinary();
process.env.ECA_BROWSER_LOG = BROWSER_LOG;
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The explanation the dialog shows: its sentence and its fix, as two texts. */
async function explanation(browser, name) {
  const dialog = await ui(browser).get('dialog', `Test on the platform: ${name}`);
  const section = await ui(dialog, browser).get('region', WHY);
  const [message, fix] = await browser.execute(
    (node) => Array.from(node.querySelectorAll('p')).map((p) => p.textContent.replace(/\s+/g, ' ').trim()),
    section,
  );
  return { message, fix, text: await textOf(browser, section) };
}

/** Sync settings, then back to the list: what both scenarios start with. */
async function setUpSync(browser, backend) {
  const $ = ui(browser);
  await saveSyncSettings(browser, backend);
  await $.click('button', 'Identity providers');
  await $.get('heading', 'Embedded Client Authentication');
}

/** Saves the IdP form that fillNewIdp left open. */
async function saveIdp(browser) {
  const $ = ui(browser);
  await $.click('button', 'Save Changes');
  await $.get('heading', 'Embedded Client Authentication');
}

describe('the platform redirect URI is not registered at the IdP', () => {
  const NAME = 'Unregistered OP';
  let run;
  let browser;
  let backend;
  let api;
  let platform;
  const step = stepper('platform-unregistered', () => browser);

  before(async () => {
    backend = await startBackend();
    api = backendApi(backend);
    platform = await platformInfo(backend);
    // The provider's default clients: this computer's redirects only, not the platform's.
    run = await startRun('platform-unregistered');
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
    await backend?.stop();
  });

  step('adds the IdP, the local test passes, and it is pushed', async () => {
    assert.equal(platform.redirect_uri, `${backend.url}/v1/oauth/callback`, 'the platform publishes its callback');
    await setUpSync(browser, backend);
    await fillNewIdp(browser, run.issuer, {
      name: NAME,
      clientId: 'eca-confidential',
      secret: 'confidential-secret-123',
      loopback: true,
    });
    await saveIdp(browser);
    const text = await localTest(browser, NAME);
    assert.match(text, /Configuration verified/, `the local test must pass: ${text}`);
    await pushChanges(browser, 1);
  });

  step('Test on the platform: the IdP refuses the redirect URI, the app waits', async () => {
    rmSync(BROWSER_LOG, { force: true });
    await startPlatformTest(browser, NAME, platform.redirect_uri);

    // The browser followed the platform's link to the IdP, which answered with its own error
    // page instead of redirecting: the browser stays there (it never comes back to the platform).
    await ui(browser).waitFor(() => existsSync(BROWSER_LOG), 'the browser to end on a page', 30_000);
    const stuck = JSON.parse(readFileSync(BROWSER_LOG, 'utf8').trim().split('\n')[0]);
    const authorize = new URL(stuck.stuck);
    assert.equal(authorize.origin, run.issuer, `the browser ended at the IdP: ${stuck.stuck}`);
    assert.equal(authorize.searchParams.get('redirect_uri'), platform.redirect_uri, 'the platform asked for its own callback');
    assert.equal(stuck.status, 400);
    assert.match(stuck.page, /invalid_redirect_uri/, 'the IdP refused the redirect URI');

    // The platform saw its link opened and has no result.
    const messages = await api('GET', '/messages');
    assert.equal(messages.body.items.length, 1, JSON.stringify(messages.body));
    const request = await api('GET', `/auth-requests/${messages.body.items[0].auth_request_id}`);
    assert.equal(request.body.status, 'pending', JSON.stringify(request.body));
    assert.ok(request.body.opened_at, `the platform saw its link opened: ${JSON.stringify(request.body)}`);

    // The window still waits (it would until its 5-minute timeout); the admin, who sees the
    // IdP's error page, cancels.
    const dialog = await ui(browser).get('dialog', `Test on the platform: ${NAME}`);
    const waiting = await textOf(browser, dialog);
    assert.match(waiting, /Waiting for the login in your browser, through the platform/, waiting);
    await ui(dialog, browser).click('button', 'Cancel');
  });

  step('the report: cancelled with no result on the platform, and the exact redirect URI to register', async () => {
    const uri = platform.redirect_uri;
    const text = await platformTestResult(browser, NAME);
    assert.match(text, /Test cancelled/, `the test was cancelled: ${text}`);
    assert.match(text, /Cancelled before the platform had a result: the login had not come back to the platform's redirect URI/, text);
    assert.doesNotMatch(text, /Verified on the platform/);
    assert.ok(text.includes(`Platform redirect URI used: ${uri}`), text);
    const dialog = await ui(browser).get('dialog', `Test on the platform: ${NAME}`);
    await ui(dialog, browser).get('heading', WHY);
    await ui(dialog, browser).get('button', 'Close');

    const why = await explanation(browser, NAME);
    assert.ok(why.message.startsWith('Passes from this computer, fails on the platform:'), why.message);
    assert.ok(why.message.includes(`refused the platform's redirect URI — register ${uri}.`), `names ${uri}: ${why.message}`);
    assert.ok(why.fix.startsWith(`Register ${uri} at the IdP as a redirect URI of this client`), why.fix);
    await screenshot(browser, 'platform-test-redirect-unregistered');
    await closeDialog(browser, `Test on the platform: ${NAME}`);
  });
});

describe('the client secret was rotated here but not pushed', () => {
  const NAME = 'Rotated OP';
  const CLIENT_ID = 'eca-rotated';
  const OLD_SECRET = 'old-secret-before-rotation-123';
  const NEW_SECRET = 'new-secret-after-rotation-456';
  let run;
  let browser;
  let backend;
  let api;
  let platform;
  const step = stepper('platform-rotated', () => browser);
  const flow = {};

  before(async () => {
    backend = await startBackend();
    api = backendApi(backend);
    platform = await platformInfo(backend);
    // The IdP already has the new secret; this computer's and the platform's redirects are
    // registered, so the platform's login reaches the code exchange.
    run = await startRun('platform-rotated', {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: NEW_SECRET,
          token_endpoint_auth_method: 'client_secret_basic',
          application_type: 'native',
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: ['com.ecaadmin.desktop:/oauth/callback', 'http://127.0.0.1/oauth/callback', platform.redirect_uri],
        },
      ],
    });
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
    await backend?.stop();
  });

  step('adds the IdP with the old secret and pushes it', async () => {
    await setUpSync(browser, backend);
    await fillNewIdp(browser, run.issuer, { name: NAME, clientId: CLIENT_ID, secret: OLD_SECRET, loopback: true });
    await saveIdp(browser);
    await pushChanges(browser, 1);
    const listed = await api('GET', '/idps');
    const pushed = listed.body.items.find((i) => i.name === NAME);
    assert.ok(pushed, `the platform holds “${NAME}”: ${JSON.stringify(listed.body).slice(0, 300)}`);
    flow.idpId = pushed.id;
  });

  step('the new secret goes into the keyring outside the form, and the local test passes', async () => {
    await putIdpSecretInKeyring(flow.idpId, NEW_SECRET);
    const $ = ui(browser);
    await $.click('button', 'Identity providers');
    await $.get('heading', 'Embedded Client Authentication');
    const text = await localTest(browser, NAME);
    assert.match(text, /Configuration verified/, `this computer has the new secret: ${text}`);
  });

  step('Test on the platform fails with invalid_client at the code exchange; the fix is to push', async () => {
    await startPlatformTest(browser, NAME, platform.redirect_uri);
    const text = await platformTestResult(browser, NAME);
    assert.match(text, /Failed on the platform/, `the platform must fail the login: ${text}`);
    assert.match(text, /The IdP rejected the client's credentials \(invalid_client, HTTP 401\)/, text);
    assert.ok(text.includes(`Platform redirect URI used: ${platform.redirect_uri}`), text);
    const steps = await platformSteps(browser, NAME);
    assert.equal(steps['Code exchange'], 'Failed', `the code exchange failed: ${JSON.stringify(steps)}`);
    // The customer's login itself went through: the platform got the code back from the IdP.
    assert.equal(steps['Redirect received'], 'Passed', JSON.stringify(steps));

    const why = await explanation(browser, NAME);
    assert.ok(why.message.startsWith('Passes from this computer, fails on the platform:'), why.message);
    assert.ok(why.message.includes('invalid_client'), why.message);
    assert.ok(why.message.includes('not the one you tested with'), why.message);
    assert.ok(why.fix.startsWith('Push the secret you tested with'), why.fix);
    await screenshot(browser, 'platform-test-secret-not-pushed');
    await closeDialog(browser, `Test on the platform: ${NAME}`);
  });
});
