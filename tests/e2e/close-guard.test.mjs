// The unsaved-edits guard on closing the real app window. The close comes as a window manager
// sends it (WM_DELETE_WINDOW to the app's X window, harness requestWindowClose), so it travels
// GTK -> Tauri's close request -> the form's guard (ui/src/lib/nav/window-close.ts). With
// unsaved edits the window asks "Discard changes?": Keep editing leaves the window open with the
// edit in place; asked again, Discard closes the window, the app exits, and nothing was saved.
// Without unsaved edits the same close request closes the window at once.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { appExited, appRunning, cliBinary, cliIdps, fill, press, requestWindowClose, startRun, stepper, ui } from './harness.mjs';

const EDIT = 'Half-typed OP';

describe('closing the window with unsaved edits', () => {
  let run;
  let browser;
  const step = stepper('close-guard', () => browser);

  before(async () => {
    run = await startRun('close-guard');
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
  });

  step('a close request with unsaved edits asks first', async () => {
    const $ = ui(browser);
    await $.click('button', 'Add New Identity Provider');
    await $.get('heading', 'Add New Identity Provider');
    await fill(browser, await $.field('Name'), EDIT);
    await requestWindowClose(run);
    await $.get('dialog', 'Discard changes?');
  });

  step('Keep editing keeps the window and the edit', async () => {
    const $ = ui(browser);
    const dialog = await $.get('dialog', 'Discard changes?');
    await ui(dialog, browser).click('button', 'Keep editing');
    await $.gone('dialog', 'Discard changes?');
    assert.equal(await (await $.field('Name')).getValue(), EDIT, 'the edit is still in the form');
    assert.ok(appRunning(run), 'the app still runs');
    await $.get('heading', 'Add New Identity Provider');
  });

  step('asked again, Discard closes the window and nothing is saved', async () => {
    const $ = ui(browser);
    await requestWindowClose(run);
    const dialog = await $.get('dialog', 'Discard changes?');
    const discard = await ui(dialog, browser).get('button', 'Discard');
    // The window goes away during this click, and WebDriver may then answer it with an error
    // (its reply had no page left to come from): what counts is that the app exits.
    const clickError = await press(discard).then(() => null, (error) => error);
    await appExited(run, clickError && `the click on Discard answered: ${clickError.message}`);
    browser = null;
    assert.deepEqual(await cliIdps(cliBinary(), run.dataDir), [], 'the discarded IdP was never saved');
  });

  step('with nothing unsaved, a close request closes at once', async () => {
    ({ browser } = await run.openApp());
    const $ = ui(browser);
    await $.click('button', 'Add New Identity Provider');
    await $.get('heading', 'Add New Identity Provider');
    await requestWindowClose(run);
    await appExited(run);
    browser = null;
  });
});
