// Sync conflicts in the real app window, against the reference backend: an IdP pushed, then its
// Notes edited both here (saved, not pushed) and on the backend directly (another admin's push,
// harness editOnBackend). "Pending changes" lists it under Conflicts. "Keep mine" puts this
// copy on the backend; a second conflict resolved with "Take theirs" puts the backend's copy
// in the window and leaves the backend as it was. Each is checked in the window, through the
// CLI (the app's database) and on the backend.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.
// Needs target/debug/eca-backend (cargo build -p eca-backend).

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import {
  backendIdp,
  cliBinary,
  cliIdp,
  editOnBackend,
  fill,
  fillNewIdp,
  press,
  pushChanges,
  saveSyncSettings,
  startBackend,
  startRun,
  stepper,
  textOf,
  ui,
} from './harness.mjs';

const NAME = 'Conflict OP';

describe('sync conflicts in the app window', () => {
  let run;
  let browser;
  let backend;
  const step = stepper('sync-conflict', () => browser);

  before(async () => {
    run = await startRun('sync-conflict');
    backend = await startBackend();
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await backend?.stop();
    await run?.cleanup();
  });

  /** The backend's copy of the IdP. */
  const onBackend = async () => (await backendIdp(backend, NAME)).body;

  /** Saves `notes` in the IdP's form (not pushed) and goes back to the list. */
  async function saveNotesHere(notes) {
    const $ = ui(browser);
    await $.click('button', 'Identity providers');
    await $.click('button', NAME);
    await $.get('heading', `Edit ${NAME}`);
    await fill(browser, await $.field('Notes'), notes);
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');
  }

  /** Opens "Pending changes" and waits for the IdP's conflict card; resolves with that card. */
  async function conflictCard() {
    const $ = ui(browser);
    await $.click('button', 'Pending changes');
    await $.get('heading', 'Pending changes');
    const card = `//ul[@aria-labelledby=//h2[normalize-space()='Conflicts']/@id]/li[.//h3[normalize-space()='${NAME}']]`;
    await $.waitFor(async () => (await browser.$(card)).isExisting(), `“${NAME}” listed under Conflicts`);
    return browser.$(card);
  }

  /** The Notes the window's form shows for the IdP (opened afresh from the list). */
  async function notesInWindow() {
    const $ = ui(browser);
    await $.click('button', 'Identity providers');
    await $.click('button', NAME);
    await $.get('heading', `Edit ${NAME}`);
    const notes = await $.field('Notes');
    const value = await notes.getValue();
    await $.click('button', 'Identity providers');
    await $.get('heading', 'Embedded Client Authentication');
    return value;
  }

  step('adds an IdP and pushes it', async () => {
    const $ = ui(browser);
    await saveSyncSettings(browser, backend);
    await $.click('button', 'Identity providers');
    await fillNewIdp(browser, run.issuer, { name: NAME, clientId: 'eca-public', auth: 'none' });
    await fill(browser, await $.field('Notes'), 'first');
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');
    await pushChanges(browser, 1);
    assert.equal((await onBackend()).notes, 'first');
  });

  step('Keep mine: my edit replaces the backend’s', async () => {
    await saveNotesHere('mine 1');
    await editOnBackend(backend, NAME, { notes: 'theirs 1' });
    const card = await conflictCard();
    const text = await textOf(browser, card);
    assert.match(text, /conflict/, text);
    await press(await ui(card, browser).get('button', 'Keep mine'));
    await ui(browser).waitFor(async () => !(await card.isExisting()), 'the conflict to be resolved');
    assert.equal((await onBackend()).notes, 'mine 1', 'the backend holds my copy');
    assert.equal((await cliIdp(cliBinary(), run.dataDir, NAME)).notes, 'mine 1', 'the app keeps my copy');
    assert.equal(await notesInWindow(), 'mine 1');
  });

  step('Take theirs: the backend’s edit replaces mine', async () => {
    await saveNotesHere('mine 2');
    const theirs = await editOnBackend(backend, NAME, { notes: 'theirs 2' });
    const card = await conflictCard();
    await press(await ui(card, browser).get('button', 'Take theirs'));
    await ui(browser).waitFor(async () => !(await card.isExisting()), 'the conflict to be resolved');
    const $ = ui(browser);
    await $.waitFor(async () => (await textOf(browser, await browser.$('body'))).includes('Nothing to push'), 'nothing left to push');
    const now = await onBackend();
    assert.equal(now.notes, 'theirs 2', 'the backend keeps its copy');
    assert.deepEqual(now, theirs, 'the backend was not written to');
    assert.equal((await cliIdp(cliBinary(), run.dataDir, NAME)).notes, 'theirs 2', 'the app took the backend’s copy');
    assert.equal(await notesInWindow(), 'theirs 2');
  });
});
