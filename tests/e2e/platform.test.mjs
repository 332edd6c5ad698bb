// The platform side, end to end: an admin adds an IdP in the real app window (with a claim
// mapping), tests it locally, pushes it to the reference backend, sees the platform's redirect
// URI in the form and runs "Test on the platform"; then a script acting as a Chat Flow "OAuth
// Request" node asks the platform to verify a customer, reads the link from the simulated
// SMS/WhatsApp gateway, a scripted customer browser opens it and logs in, and the request is
// authenticated with the expected customer id and mapped claims. Steps run in order and share
// one window; a failing step saves a screenshot to artifacts/e2e/.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.
// Needs target/debug/eca-backend (cargo build -p eca-backend).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { promisify } from 'node:util';

import {
  REPO,
  appBinary,
  backendApi,
  closeDialog,
  fill,
  fillNewIdp,
  localTest,
  platformInfo,
  platformTestResult,
  pushChanges,
  saveSyncSettings,
  screenshot,
  startBackend,
  startPlatformTest,
  startRun,
  stepper,
  ui,
} from './harness.mjs';

const NAME = 'Platform OP';
const CUSTOMER = '+27825550100';
const BROWSER = join(REPO, 'tests/oidc/browser.mjs');

// Test Configuration opens the scripted browser, which signs in as alice and calls the app's
// loopback listener; opened on a platform link (Test on the platform), it plays the customer and
// hands the page's "Back to the chat" deep link to a second instance of the app, as the OS does.
process.env.BROWSER = `node ${BROWSER}`;
process.env.ECA_DEEP_LINK_HANDLER = appBinary();

describe('a customer signs in through the config the admin pushed', () => {
  let run;
  let browser;
  let backend;
  /** The backend's auth API as a Chat Flow node calls it. */
  let api;
  const step = stepper('platform', () => browser);
  const flow = {};

  before(async () => {
    backend = await startBackend();
    api = backendApi(backend);
    const platform = await platformInfo(backend);
    run = await startRun('platform', { extraRedirects: [platform.redirect_uri] });
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
    await backend?.stop();
  });

  step('sets up sync against the platform', async () => {
    const $ = ui(browser);
    await saveSyncSettings(browser, backend);
    await $.click('button', 'Identity providers');
    await $.get('heading', 'Embedded Client Authentication');
  });

  step('adds the IdP with a claim mapping, and the local test passes', async () => {
    const $ = ui(browser);
    await fillNewIdp(browser, run.issuer, {
      name: NAME,
      clientId: 'eca-confidential',
      secret: 'confidential-secret-123',
      loopback: true,
    });
    await $.click('button', 'Add mapping');
    await fill(browser, await $.field('Mapping 1 claim'), 'email');
    await fill(browser, await $.field('Mapping 1 variable'), 'customer_email');
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');

    const text = await localTest(browser, NAME);
    assert.match(text, /Configuration verified/, `the local test must pass: ${text}`);
  });

  step('pushes it to the platform', async () => {
    await pushChanges(browser, 1);
    const listed = await api('GET', '/idps');
    const pushed = listed.body.items.find((i) => i.name === NAME);
    assert.ok(pushed, `the platform holds “${NAME}”: ${JSON.stringify(listed.body).slice(0, 300)}`);
    assert.deepEqual(pushed.claim_mapping, [{ claim: 'email', variable: 'customer_email' }]);
    flow.idpId = pushed.id;
  });

  step('the form shows the platform redirect URI, and Test on the platform passes', async () => {
    const platform = await platformInfo(backend);
    await startPlatformTest(browser, NAME, platform.redirect_uri);
    const text = await platformTestResult(browser, NAME);
    assert.match(text, /Verified on the platform/, `the platform must verify the login: ${text}`);
    for (const stepName of ['Code exchange', 'ID token verification', 'Userinfo']) {
      assert.ok(text.includes(stepName), `the platform's steps show “${stepName}”: ${text}`);
    }
    await screenshot(browser, 'platform-test-verified');
    await closeDialog(browser, `Test on the platform: ${NAME}`);
  });

  step('a Chat Flow node asks the platform to verify a customer; the gateway sends the link', async () => {
    const created = await api('POST', '/auth-requests', {
      idp_id: flow.idpId,
      channel: 'whatsapp',
      customer: CUSTOMER,
      conversation_id: 'e2e-conversation',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.status, 'pending');
    const messages = await api('GET', '/messages');
    const message = messages.body.items.find((m) => m.auth_request_id === created.body.id);
    assert.ok(message, 'the simulated gateway recorded the message');
    assert.equal(message.to, CUSTOMER);
    assert.ok(message.body.includes(message.link), message.body);
    flow.requestId = created.body.id;
    flow.link = message.link;
  });

  step('the customer opens the link and logs in at the IdP', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BROWSER, flow.link], {
      env: { ...process.env, ECA_BROWSER_CUSTOMER: '1' },
      timeout: 30_000,
    });
    assert.ok(stdout.startsWith('PAGE 200'), stdout.slice(0, 400));
    assert.ok(stdout.includes("You're verified"), stdout.slice(0, 400));
  });

  step('the flow reads the authenticated customer, once', async () => {
    const read = await api('GET', `/auth-requests/${flow.requestId}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.status, 'authenticated', JSON.stringify(read.body));
    assert.equal(read.body.result.customer_id, 'alice');
    assert.deepEqual(read.body.result.claims, { customer_email: 'alice@example.test' });
    const again = await api('GET', `/auth-requests/${flow.requestId}`);
    assert.equal(again.body.result.claims_erased, true, JSON.stringify(again.body));
    assert.equal(again.body.result.customer_id, null);
  });
});
