// Sync in the real app window: an IdP added while sync is not set up waits in "Pending
// changes" as a create; once the reference backend's URL, workspace and API key are entered,
// Push sends it and the list shows it synced. Steps run in order and share one window; a
// failing step saves a screenshot to artifacts/e2e/.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.
// Needs target/debug/eca-backend (cargo build -p eca-backend).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { fill, saveSyncSettings, screenshot, startBackend, startRun, textOf, ui } from './harness.mjs';

const NAME = 'Sync OP';

describe('sync in the app window', () => {
  let run;
  let browser;
  let backend;
  let failedStep = null;

  /** A test that screenshots the window when it fails; after a failure the rest are skipped. */
  function step(name, fn) {
    test(name, async (t) => {
      if (failedStep) {
        t.skip(`the window is not where this step starts: “${failedStep}” failed`);
        return;
      }
      assert.ok(browser, 'no app window (the app failed to start)');
      try {
        await fn(t);
      } catch (error) {
        failedStep = name;
        const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
        const shot = await screenshot(browser, `failed-sync-${slug}`).catch(() => null);
        if (shot) error.message += `\n(screenshot: ${shot})`;
        throw error;
      }
    });
  }

  before(async () => {
    run = await startRun('sync');
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await backend?.stop();
    await run?.cleanup();
  });

  /** The text of the list row of `name`. */
  async function rowText(name) {
    const row = await browser.$(`//*[@role='row'][.//button[normalize-space()='${name}']]`);
    return textOf(browser, row);
  }

  /** The text of the plan item of `name` on "Pending changes". */
  async function planItemText(name) {
    const item = await browser.$(`//li[.//h3[normalize-space()='${name}']]`);
    return (await item.isExisting()) ? textOf(browser, item) : '';
  }

  step('adds an IdP while sync is not set up', async () => {
    const $ = ui(browser);
    const discovery = await (await fetch(`${run.issuer}/.well-known/openid-configuration`)).json();
    await $.click('button', 'Add New Identity Provider');
    await $.get('heading', 'Add New Identity Provider');
    await fill(browser, await $.field('Issuer URL'), run.issuer);
    await $.click('button', 'Fetch from issuer');
    const token = await $.field('Token endpoint');
    await $.waitFor(async () => (await token.getValue()) === discovery.token_endpoint, 'discovery to fill the token endpoint');
    await fill(browser, await $.field('Name'), NAME);
    await fill(browser, await $.field('Client ID'), 'eca-confidential');
    await fill(browser, await $.field('Client secret'), 'confidential-secret-123');
    await fill(browser, await $.field('Redirect URIs'), 'com.ecaadmin.desktop:/oauth/callback');
    await $.click('button', 'Save Changes');

    await $.get('heading', 'Embedded Client Authentication');
    await $.get('button', NAME);
    await $.waitFor(async () => (await rowText(NAME)).includes('draft'), `the row of “${NAME}” to show the sync state “draft”`);
  });

  step('Pending changes shows it pending, planned as a create', async () => {
    const $ = ui(browser);
    await $.click('button', 'Pending changes');
    await $.get('heading', 'Pending changes');
    await $.waitFor(async () => {
      const text = await planItemText(NAME);
      return text.includes('create') && text.includes('pending');
    }, `“${NAME}” to be listed with the action “create” and the state “pending”`);
    const text = await planItemText(NAME);
    assert.ok(text.includes('Client secret') && text.includes('changed'), `the secret shows only as changed: “${text}”`);
    assert.ok(!text.includes('confidential-secret-123'), 'the secret value is never shown');
    await screenshot(browser, 'sync-pending');
  });

  step('enters the backend settings and tests the connection', async () => {
    backend = await startBackend();
    const $ = ui(browser);
    await saveSyncSettings(browser, backend);
    await $.click('button', 'Test connection');
    await $.waitFor(
      async () => (await textOf(browser, await browser.$('body'))).includes('Connection works'),
      'the connection test to succeed',
    );
    assert.ok(
      !(await textOf(browser, await browser.$('body'))).includes(backend.apiKey),
      'the stored API key is never shown back',
    );
    await screenshot(browser, 'sync-settings');
  });

  step('pushes, and the list shows the IdP synced', async () => {
    const $ = ui(browser);
    await $.click('button', 'Pending changes');
    await $.get('heading', 'Pending changes');
    await $.waitFor(async () => (await planItemText(NAME)).includes('create'), `“${NAME}” planned as a create against the backend`);
    await $.click('button', 'Push');
    await $.waitFor(
      async () => (await textOf(browser, await browser.$('body'))).includes('1 change pushed'),
      'the push to report “1 change pushed”',
    );
    await $.waitFor(async () => (await planItemText(NAME)) === '', `“${NAME}” to leave the pending changes`);

    const response = await fetch(`${backend.url}/v1/workspaces/${backend.workspace}/idps`, {
      headers: { authorization: `Bearer ${backend.apiKey}` },
    });
    const listed = await response.json();
    assert.ok(
      listed.items.some((i) => i.name === NAME),
      `the backend should hold “${NAME}”: ${JSON.stringify(listed).slice(0, 300)}`,
    );

    await $.click('button', 'Identity providers');
    await $.get('heading', 'Embedded Client Authentication');
    await $.waitFor(async () => (await rowText(NAME)).includes('synced'), `the row of “${NAME}” to show the sync state “synced”`);
    await screenshot(browser, 'sync-synced');
  });
});
