// "Updates" in Settings in the real window, on the build `make e2e` makes from the committed
// tauri.conf.json: the updater plugin starts with it, the screen shows the app's version, a URL
// off this computer over plain http is refused under its field, "Check for updates" says that
// updates are not configured without a URL, and with one that this build (no update public key
// committed) cannot verify updates, so it offers none. Signed releases themselves are checked
// against a loopback server in tests/updates.rs (cargo test).
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe } from 'node:test';

import { describedText, fill, startRun, stepper, textOf, ui } from './harness.mjs';

const VERSION = JSON.parse(readFileSync(new URL('../../tauri.conf.json', import.meta.url), 'utf8')).version;

describe('Updates in Settings', () => {
  let run;
  let browser;
  const step = stepper('updates', () => browser);

  /** Waits until the Updates section's text matches `pattern`; returns that text. */
  async function sectionSays(pattern, what) {
    const $ = ui(browser);
    const section = await $.get('region', 'Updates');
    let text = '';
    await $.waitFor(async () => pattern.test((text = await textOf(browser, section))), what);
    return text;
  }

  before(async () => {
    run = await startRun('updates');
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
  });

  step('Settings shows the version and no manifest URL', async () => {
    const $ = ui(browser);
    await $.click('button', 'Settings');
    await sectionSays(new RegExp(`This is ECA Admin ${VERSION.replaceAll('.', '\\.')}\\.`), 'the version');
    assert.equal(await (await $.field('Update manifest URL')).getValue(), '', 'none by default');
  });

  step('without a URL, updates are not configured', async () => {
    await ui(browser).click('button', 'Check for updates');
    await sectionSays(/Updates are not configured/, 'the not-configured notice');
  });

  step('plain http off this computer is refused under the field', async () => {
    const $ = ui(browser);
    const field = await $.field('Update manifest URL');
    await fill(browser, field, 'http://releases.example/latest.json');
    await $.click('button', 'Save URL');
    await $.waitFor(async () => /must use https/.test(await describedText(browser, field)), 'the field error');
  });

  step('a build without an update key offers nothing', async () => {
    const $ = ui(browser);
    await fill(browser, await $.field('Update manifest URL'), 'http://127.0.0.1:9/latest.json');
    await $.click('button', 'Check for updates');
    const text = await sectionSays(/This build cannot verify updates/, 'the cannot-verify notice');
    assert.match(text, /does not offer updates/);
    await $.get('button', 'Save URL');
    assert.equal(await $.exists('button', 'Download and verify'), false, 'nothing to download');
  });
});
