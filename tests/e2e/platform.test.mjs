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
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
  REPO,
  appBinary,
  byRole,
  fill,
  fillNewIdp,
  press,
  saveSyncSettings,
  screenshot,
  startBackend,
  startRun,
  textOf,
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
  let failedStep = null;
  const flow = {};

  /** A test that screenshots the window when it fails; after a failure the rest are skipped. */
  function step(name, fn) {
    test(name, async (t) => {
      if (failedStep) {
        t.skip(`the previous step “${failedStep}” failed`);
        return;
      }
      try {
        await fn(t);
      } catch (error) {
        failedStep = name;
        const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
        const shot = browser ? await screenshot(browser, `failed-platform-${slug}`).catch(() => null) : null;
        if (shot) error.message += `\n(screenshot: ${shot})`;
        throw error;
      }
    });
  }

  /** The backend's auth API as a Chat Flow node calls it. */
  async function api(method, path, body) {
    const response = await fetch(`${backend.url}/v1/workspaces/${backend.workspace}${path}`, {
      method,
      headers: { authorization: `Bearer ${backend.apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  before(async () => {
    backend = await startBackend();
    const platform = await (await fetch(`${backend.url}/v1/platform`)).json();
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

    await $.click('button', `Test ${NAME}`);
    let text = '';
    await $.waitFor(async () => {
      const dialog = await browser.$(byRole('dialog', `Test Configuration: ${NAME}`));
      if (!(await dialog.isExisting())) return false;
      text = await textOf(browser, dialog).catch(() => '');
      return /Configuration verified|How to fix/.test(text);
    }, 'the local test login to finish', 30_000);
    assert.match(text, /Configuration verified/, `the local test must pass: ${text}`);
    const dialog = await $.get('dialog', `Test Configuration: ${NAME}`);
    await press(await ui(dialog, browser).get('button', 'Close'));
    await $.gone('dialog', `Test Configuration: ${NAME}`);
  });

  step('pushes it to the platform', async () => {
    const $ = ui(browser);
    await $.click('button', 'Pending changes');
    await $.get('heading', 'Pending changes');
    await $.click('button', 'Push');
    await $.waitFor(
      async () => (await textOf(browser, await browser.$('body'))).includes('1 change pushed'),
      'the push to report “1 change pushed”',
    );
    const listed = await api('GET', '/idps');
    const pushed = listed.body.items.find((i) => i.name === NAME);
    assert.ok(pushed, `the platform holds “${NAME}”: ${JSON.stringify(listed.body).slice(0, 300)}`);
    assert.deepEqual(pushed.claim_mapping, [{ claim: 'email', variable: 'customer_email' }]);
    flow.idpId = pushed.id;
  });

  step('the form shows the platform redirect URI, and Test on the platform passes', async () => {
    const $ = ui(browser);
    const platform = await (await fetch(`${backend.url}/v1/platform`)).json();
    await $.click('button', 'Identity providers');
    await $.get('heading', 'Embedded Client Authentication');
    await $.click('button', NAME);
    const field = await $.field('Platform redirect URI');
    await $.waitFor(async () => (await field.getValue()) === platform.redirect_uri, 'the platform redirect URI in the form');

    await $.click('button', 'Test on the platform');
    let text = '';
    await $.waitFor(async () => {
      const dialog = await browser.$(byRole('dialog', `Test on the platform: ${NAME}`));
      if (!(await dialog.isExisting())) return false;
      text = await textOf(browser, dialog).catch(() => '');
      return /Verified on the platform|Failed on the platform|No result from the platform/.test(text);
    }, 'the test on the platform to finish', 60_000);
    assert.match(text, /Verified on the platform/, `the platform must verify the login: ${text}`);
    const dialog = await $.get('dialog', `Test on the platform: ${NAME}`);
    for (const stepName of ['Code exchange', 'ID token verification', 'Userinfo']) {
      assert.ok(text.includes(stepName), `the platform's steps show “${stepName}”: ${text}`);
    }
    await screenshot(browser, 'platform-test-verified');
    await press(await ui(dialog, browser).get('button', 'Close'));
    await $.gone('dialog', `Test on the platform: ${NAME}`);
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
