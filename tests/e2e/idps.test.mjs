// The IdP screens in the real app window: add through discovery, edit (and its History), disable,
// a field error, delete through the confirmation, and what survives quitting the app. Steps run
// in order and share one window; a failing step saves a screenshot to artifacts/e2e/.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO, cliBinary, cliIdp, cliIdps, fill, painted, press, screenshot, startRun, textOf, ui } from './harness.mjs';

const CLIENT_ID = 'eca-confidential';
const CLIENT_SECRET = 'confidential-secret-123';
const REDIRECT = 'com.ecaadmin.desktop:/oauth/callback';

describe('identity providers in the app window', () => {
  let run;
  let browser;
  let discovery;
  const timings = {};

  let failedStep = null;

  /**
   * A test that screenshots the window when it fails, to show what the assertion saw. Each step
   * starts where the previous one left the window, so after a failure the rest are skipped.
   */
  function step(name, fn) {
    test(name, async (t) => {
      if (failedStep) {
        t.skip(`the window is not where this step starts: “${failedStep}” failed`);
        return;
      }
      assert.ok(browser, 'no app window (the app failed to start)');
      const started = Date.now();
      try {
        await fn(t);
      } catch (error) {
        failedStep = name;
        const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
        const shot = await screenshot(browser, `failed-${slug}`).catch(() => null);
        if (shot) error.message += `\n(screenshot: ${shot})`;
        throw error;
      } finally {
        timings[name] = Date.now() - started;
      }
    });
  }

  before(async () => {
    let started = Date.now();
    run = await startRun('idps');
    timings['provider + tauri-driver'] = Date.now() - started;
    const response = await fetch(`${run.issuer}/.well-known/openid-configuration`);
    assert.equal(response.status, 200, 'the test provider serves its discovery document');
    discovery = await response.json();
    started = Date.now();
    ({ browser } = await run.openApp());
    timings['open window'] = Date.now() - started;
  });

  after(async () => {
    await run?.cleanup();
    process.stderr.write(`e2e timings (ms): ${JSON.stringify(timings)}\n`);
  });

  /** Fills the add form through discovery and saves it; ends on the list. */
  async function addThroughDiscovery(name, { notes = '' } = {}) {
    const $ = ui(browser);
    // The empty state and the list header both offer it; either is fine.
    await $.click('button', 'Add New Identity Provider');
    await $.get('heading', 'Add New Identity Provider');

    await fill(browser, await $.field('Issuer URL'), run.issuer);
    await $.click('button', 'Fetch from issuer');
    const expected = {
      'Authorization endpoint': discovery.authorization_endpoint,
      'Token endpoint': discovery.token_endpoint,
      'Userinfo endpoint': discovery.userinfo_endpoint,
      'JWKS URI': discovery.jwks_uri,
    };
    for (const [label, url] of Object.entries(expected)) {
      const field = await $.field(label);
      await $.waitFor(async () => (await field.getValue()) === url, `“${label}” to be filled from discovery with ${url}`);
    }
    assert.equal(
      await (await $.field('Issuer URL')).getAttribute('aria-invalid'),
      null,
      'the issuer of a working provider must not be marked invalid',
    );

    await fill(browser, await $.field('Name'), name);
    await fill(browser, await $.field('Client ID'), CLIENT_ID);
    await fill(browser, await $.field('Client secret'), CLIENT_SECRET);
    await fill(browser, await $.field('Redirect URIs'), REDIRECT);
    if (notes) await fill(browser, await $.field('Notes'), notes);
    await $.click('button', 'Save Changes');

    await $.get('heading', 'Embedded Client Authentication');
    await $.get('button', name);
  }

  /** The row's enable switch, and whether it is on. */
  async function switchOf(name) {
    const toggle = await ui(browser).get('switch', `Enable ${name}`);
    return { toggle, on: await toggle.isSelected() };
  }

  step('adds an IdP through discovery and lists it', async () => {
    const $ = ui(browser);
    await $.get('heading', 'No identity providers yet');
    await addThroughDiscovery('Loopback OP');

    assert.equal((await switchOf('Loopback OP')).on, true, 'a new IdP starts enabled');
    const row = await browser.$(`//*[@role='row'][.//button[normalize-space()='Loopback OP']]`);
    const text = await textOf(browser, row);
    const host = new URL(run.issuer).hostname;
    assert.ok(text.includes('OpenID Connect') && text.includes(host), `the row shows the protocol and the issuer host ${host}: “${text}”`);
    // The notice names what was saved: the admin sees the save went through.
    await $.waitFor(async () => (await textOf(browser, await browser.$('body'))).includes('Saved “Loopback OP”.'), 'the “Saved” notice');

    await screenshot(browser, 'idp-list', join(REPO, 'docs', 'screenshot.png'));
  });

  step('the CLI sees what the window saved', async () => {
    const cli = cliBinary();
    const rows = await cliIdps(cli, run.dataDir);
    const listed = rows.find((r) => r.name === 'Loopback OP');
    assert.ok(listed, `the CLI should list “Loopback OP”, it listed ${JSON.stringify(rows.map((r) => r.name))}`);
    assert.equal(listed.enabled, true, 'the CLI should see the IdP enabled');
    assert.equal(listed.has_secret, true, 'the secret typed in the window is in the keyring');
    const idp = await cliIdp(cli, run.dataDir, 'Loopback OP');
    assert.equal(idp.client_id, CLIENT_ID, 'the client ID typed in the window');
    assert.equal(idp.token_endpoint, discovery.token_endpoint, 'the token endpoint discovered in the window');
    for (const printed of [rows, idp]) {
      assert.ok(!JSON.stringify(printed).includes(CLIENT_SECRET), 'the CLI must never print the client secret');
    }
  });

  step('edits the name and notes', async () => {
    const $ = ui(browser);
    await $.click('button', 'Loopback OP');
    await $.get('heading', 'Edit Loopback OP');
    assert.equal(await (await $.field('Client ID')).getValue(), CLIENT_ID, 'the form shows the stored client ID');
    // The stored secret is never shown back, only reported.
    assert.equal(await $.exists('button', 'Replace secret'), true, 'a stored secret offers “Replace secret”, not its value');

    await fill(browser, await $.field('Name'), 'Loopback Provider');
    await fill(browser, await $.field('Notes'), 'Edited by the e2e test.');
    await $.click('button', 'Save Changes');

    await $.get('heading', 'Embedded Client Authentication');
    await $.get('button', 'Loopback Provider');
    await $.gone('button', 'Loopback OP');

    // The notes aren't in the table: reopen to see them stored.
    await $.click('button', 'Loopback Provider');
    await $.get('heading', 'Edit Loopback Provider');
    const notes = await $.field('Notes');
    await $.waitFor(async () => (await notes.getValue()) === 'Edited by the e2e test.', 'the saved notes in the edit form');

    // The form's History lists the edit above the creation; the secret only as "changed".
    const history = await $.get('region', 'History');
    const entries = () =>
      browser.execute((section) => Array.from(section.querySelectorAll('ol > li'), (li) => li.textContent.replace(/\s+/g, ' ').trim()), history);
    await $.waitFor(async () => (await entries()).length === 2, 'the History to list the creation and the edit');
    const [edited, created] = await entries();
    assert.match(edited, /^Edited\b/, `the newest entry is the edit: “${edited}”`);
    assert.match(edited, /Name\s*Loopback OP → Loopback Provider/, `the edit shows the name before and after: “${edited}”`);
    assert.match(edited, /Notes\s*\(empty\) → Edited by the e2e test\./, `the edit shows the notes: “${edited}”`);
    assert.match(created, /^Created\b/, `the oldest entry is the creation: “${created}”`);
    assert.match(created, /Client secret\s*changed/, `the creation records the secret as changed: “${created}”`);
    assert.ok(!(await textOf(browser, history)).includes(CLIENT_SECRET), 'the History never shows the client secret');
    await history.scrollIntoView({ block: 'start' });
    await painted(browser);
    await screenshot(browser, 'idp-history');

    await $.click('button', 'Cancel');
    await $.get('heading', 'Embedded Client Authentication');
  });

  step('disables an IdP with its toggle', async () => {
    const $ = ui(browser);
    const { toggle, on } = await switchOf('Loopback Provider');
    assert.equal(on, true, 'the IdP is enabled before the toggle');
    await press(toggle);
    await $.waitFor(async () => !(await toggle.isSelected()) && (await toggle.isEnabled()), 'the switch to show “off” once the change is stored');

    // Stored, not just drawn: the edit form reads the IdP back from the database.
    await $.click('button', 'Loopback Provider');
    await $.get('heading', 'Edit Loopback Provider');
    const enabled = await $.get('checkbox', 'Enabled');
    await $.waitFor(async () => !(await enabled.isSelected()), 'the “Enabled” checkbox of the edit form to be off');
    await $.click('button', 'Cancel');
    await $.get('heading', 'Embedded Client Authentication');
  });

  step('shows a bad token endpoint next to the field, and does not save it', async () => {
    const $ = ui(browser);
    await $.click('button', 'Loopback Provider');
    await $.get('heading', 'Edit Loopback Provider');

    const token = await $.field('Token endpoint');
    await fill(browser, token, 'http://evil.example/token');
    await browser.keys(['Tab']); // leaving the field asks the core to check it
    await $.waitFor(async () => (await token.getAttribute('aria-invalid')) === 'true', 'the Token endpoint to be marked aria-invalid=true');

    const describedBy = (await token.getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy.trim(), 'an invalid field points at its message with aria-describedby');
    const messages = [];
    for (const id of describedBy.split(/\s+/)) {
      const el = await browser.$(`//*[@id=${JSON.stringify(id)}]`);
      assert.ok(await el.isExisting(), `aria-describedby names #${id}, which must exist`);
      messages.push({ el, text: await el.getText() });
    }
    const error = messages.find((m) => /https/i.test(m.text));
    assert.ok(error, `one described-by message says why (https), got ${JSON.stringify(messages.map((m) => m.text))}`);
    assert.match(error.text, /Token endpoint/, 'the message names the field');

    // “Next to the field”: just below it, overlapping it horizontally.
    const field = { ...(await token.getLocation()), ...(await token.getSize()) };
    const msg = { ...(await error.el.getLocation()), ...(await error.el.getSize()) };
    assert.ok(await error.el.isDisplayed(), 'the message is visible');
    assert.ok(
      msg.y >= field.y + field.height - 1 && msg.y <= field.y + field.height + 40,
      `the message sits right under the field (field bottom ${field.y + field.height}, message top ${msg.y})`,
    );
    assert.ok(msg.x < field.x + field.width && msg.x + msg.width > field.x, 'the message is in the field’s column');

    // Saving is refused and keeps the admin on the form, at the field.
    await $.click('button', 'Save Changes');
    await $.waitFor(async () => (await token.isFocused()), 'focus to move to the invalid Token endpoint after Save');
    await $.get('heading', 'Edit Loopback Provider');

    // Leaving asks before dropping the edit; discarding keeps the stored endpoint.
    await $.click('button', 'Cancel');
    const dialog = await $.get('dialog', 'Discard changes?');
    await ui(dialog, browser).click('button', 'Discard');
    await $.get('heading', 'Embedded Client Authentication');
    await $.click('button', 'Loopback Provider');
    await $.get('heading', 'Edit Loopback Provider');
    const stored = await $.field('Token endpoint');
    await $.waitFor(async () => (await stored.getValue()) === discovery.token_endpoint, 'the stored Token endpoint to be unchanged');
    assert.equal(await stored.getAttribute('aria-invalid'), null, 'a fresh form shows no error');
    await $.click('button', 'Cancel');
    await $.get('heading', 'Embedded Client Authentication');
  });

  step('says the stored secret needs re-entry when the token endpoint moves to another host', async () => {
    const $ = ui(browser);
    await $.click('button', 'Loopback Provider');
    await $.get('heading', 'Edit Loopback Provider');
    const body = async () => textOf(browser, await browser.$('body'));
    assert.ok(!(await body()).includes('needs re-entry'), 'the stored secret is usable where it was entered');

    await fill(browser, await $.field('Token endpoint'), 'https://moved.example/token');
    await browser.keys(['Tab']); // leaving the field asks the core to check the draft
    await $.waitFor(async () => (await body()).includes('needs re-entry'), 'the secret to be marked as needing re-entry');
    const text = await body();
    assert.ok(
      text.includes(new URL(discovery.token_endpoint).origin) && text.includes('https://moved.example'),
      `the message names both origins: ${text.slice(0, 2000)}`,
    );

    await $.click('button', 'Cancel');
    const dialog = await $.get('dialog', 'Discard changes?');
    await ui(dialog, browser).click('button', 'Discard');
    await $.get('heading', 'Embedded Client Authentication');
  });

  step('deletes an IdP after confirmation', async () => {
    const $ = ui(browser);
    // Cancel first: nothing is deleted.
    await $.click('button', 'Delete Loopback Provider');
    let dialog = await $.get('dialog', 'Delete “Loopback Provider”?');
    await ui(dialog, browser).click('button', 'Cancel');
    await $.gone('dialog');
    assert.equal(await $.exists('button', 'Loopback Provider'), true, 'Cancel keeps the IdP');

    await $.click('button', 'Delete Loopback Provider');
    dialog = await $.get('dialog', 'Delete “Loopback Provider”?');
    await ui(dialog, browser).click('button', 'Delete');
    await $.gone('dialog');
    await $.gone('button', 'Loopback Provider');
    await $.get('heading', 'No identity providers yet');
  });

  step('keeps what was saved after the app quits', async () => {
    const $ = ui(browser);
    await addThroughDiscovery('Persisted OP', { notes: 'Survives a restart.' });
    const { toggle } = await switchOf('Persisted OP');
    await press(toggle);
    await $.waitFor(async () => !(await toggle.isSelected()) && (await toggle.isEnabled()), 'the switch of “Persisted OP” to be off');

    let started = Date.now();
    await run.closeApp();
    timings['quit app'] = Date.now() - started;
    started = Date.now();
    ({ browser } = await run.openApp());
    timings['reopen window'] = Date.now() - started;

    const again = ui(browser);
    await again.get('button', 'Persisted OP');
    assert.equal(await again.exists('button', 'Loopback Provider'), false, 'the deleted IdP stays deleted');
    assert.equal((await switchOf('Persisted OP')).on, false, 'the IdP stays disabled');

    // The search box filters the table.
    const search = await again.get('searchbox', 'Search identity providers');
    await fill(browser, search, 'no such provider');
    await again.gone('button', 'Persisted OP');
    await fill(browser, search, 'persisted');
    await again.get('button', 'Persisted OP');

    await again.click('button', 'Persisted OP');
    await again.get('heading', 'Edit Persisted OP');
    const notes = await again.field('Notes');
    await again.waitFor(async () => (await notes.getValue()) === 'Survives a restart.', 'the notes saved before the restart');
    assert.equal(await (await again.field('Token endpoint')).getValue(), discovery.token_endpoint, 'the endpoints saved before the restart');
    assert.equal(await again.exists('button', 'Replace secret'), true, 'the secret is still stored in the keyring');

    const rows = await cliIdps(cliBinary(), run.dataDir);
    assert.deepEqual(
      rows.map((r) => [r.name, r.enabled]),
      [['Persisted OP', false]],
      'the CLI sees exactly the one disabled IdP the window left',
    );
  });
});
