// The impact of a disable or delete in the real app window, against the reference backend
// seeded (--seed-usages) with two usages of an IdP: a chat flow's OAuth Request node and a Chat
// Desk extension. The IdP is added through the CLI (its id is what the seed names; the backend
// lists usages whether or not it holds the IdP). With sync set up, the row's "X" opens the
// delete dialog naming both, and so does the disable toggle's dialog; Cancel keeps the IdP
// enabled, Disable turns it off (checked through the CLI).
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.
// Needs target/debug/eca-backend (cargo build -p eca-backend) and target/debug/eca.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe } from 'node:test';

import { cliBinary, cliIdp, dialogText, press, pushChanges, saveSyncSettings, startBackend, startRun, stepper, ui } from './harness.mjs';

const NAME = 'Used OP';
const USED_BY = 'Used by 1 flow and 1 Chat Desk extension: Order status › OAuth Request, Chat Desk extension CRM.';

describe('the impact of a disable or delete in the app window', () => {
  let run;
  let browser;
  let backend;
  let cli;
  const step = stepper('impact', () => browser);

  before(async () => {
    cli = cliBinary();
    run = await startRun('impact');
    const origin = 'https://used.example';
    await promisify(execFile)(cli, [
      '--data-dir', run.dataDir, 'idp', 'add', '--name', NAME, '--issuer', origin,
      '--authorization-endpoint', `${origin}/auth`, '--token-endpoint', `${origin}/token`,
      '--jwks-uri', `${origin}/jwks`, '--client-id', 'used-client',
    ]);
    const { id } = await cliIdp(cli, run.dataDir, NAME);
    const seed = join(run.dataDir, '..', 'usages.json');
    await writeFile(seed, JSON.stringify({
      usages: [
        { workspace: 'dev', idp_id: id, kind: 'chat_flow_node', id: 'node-1', name: 'Order status', node: 'OAuth Request' },
        { workspace: 'dev', idp_id: id, kind: 'chat_desk_extension', id: 'ext-1', name: 'CRM', node: null },
      ],
    }));
    backend = await startBackend(['--seed-usages', seed]);
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await backend?.stop();
    await run?.cleanup();
  });

  step('the delete dialog names both usages', async () => {
    const $ = ui(browser);
    await saveSyncSettings(browser, backend);
    // The platform answers for the IdPs it holds: push it first.
    await pushChanges(browser, 1);
    await $.click('button', 'Identity providers');
    await $.get('heading', 'Embedded Client Authentication');
    await $.click('button', `Delete ${NAME}`);
    const text = await dialogText(browser, `Delete “${NAME}”?`, /Used by/, 'the delete dialog to name the usages');
    assert.ok(text.includes(USED_BY), text);
    await $.click('button', 'Cancel');
    assert.equal((await cliIdp(cli, run.dataDir, NAME)).name, NAME, 'nothing deleted');
  });

  step('the disable toggle asks first, naming both; Disable turns it off', async () => {
    const $ = ui(browser);
    const toggle = await $.get('switch', `Enable ${NAME}`);
    await press(toggle);
    const text = await dialogText(browser, `Disable “${NAME}”?`, /Used by/, 'the disable dialog to name the usages');
    assert.ok(text.includes(USED_BY), text);
    await $.click('button', 'Cancel');
    assert.equal((await cliIdp(cli, run.dataDir, NAME)).enabled, true, 'cancelled: still enabled');

    await press(toggle);
    await dialogText(browser, `Disable “${NAME}”?`, /Used by/, 'the disable dialog again');
    await $.click('button', 'Disable');
    await $.waitFor(async () => !(await toggle.isSelected()) && (await toggle.isEnabled()), 'the switch to show “off”');
    assert.equal((await cliIdp(cli, run.dataDir, NAME)).enabled, false, 'disabled in the database');
  });
});
