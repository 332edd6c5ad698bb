// The client secret's expiry date in the real app window: an IdP added through the CLI gets a
// past "Secret expires on" date in the form, and its row shows the red "Secret expired"; a date
// 10 days ahead turns that into the amber "Secret expires in 10 days", which the CLI's list
// agrees with. Dates are days in UTC, as the core judges them.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe } from 'node:test';

import { cliBinary, cliIdps, fill, startRun, stepper, textOf, ui } from './harness.mjs';

const NAME = 'Expiring OP';

/** The day `days` from today (UTC), `YYYY-MM-DD`. */
function dayFromToday(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

describe('a client secret expiry date in the app window', () => {
  let run;
  let browser;
  let cli;
  const step = stepper('credential-expiry', () => browser);

  before(async () => {
    cli = cliBinary();
    run = await startRun('credential-expiry');
    const origin = 'https://expiring.example';
    await promisify(execFile)(cli, [
      '--data-dir', run.dataDir, 'idp', 'add', '--name', NAME, '--issuer', origin,
      '--authorization-endpoint', `${origin}/auth`, '--token-endpoint', `${origin}/token`,
      '--jwks-uri', `${origin}/jwks`, '--client-id', 'expiring-client',
    ]);
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
  });

  /** Opens the IdP, sets "Secret expires on", saves, and is back on the list. */
  async function setExpiry(date) {
    const $ = ui(browser);
    await $.click('button', NAME);
    await $.get('heading', `Edit ${NAME}`);
    await fill(browser, await $.field('Secret expires on'), date);
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');
  }

  /** The text of the IdP's row in the list. */
  async function rowText() {
    const $ = ui(browser);
    const name = await $.get('button', NAME);
    const row = await name.$('./ancestor::*[@role="row"][1]');
    return textOf(browser, row);
  }

  step('a past date shows the red “Secret expired”', async () => {
    const $ = ui(browser);
    await $.get('table', 'Identity providers');
    assert.doesNotMatch(await rowText(), /Secret expire/, 'no reminder before a date is set');
    await setExpiry(dayFromToday(-1));
    await $.waitFor(async () => /Secret expired/.test(await rowText()), 'the row to show “Secret expired”');
    const badge = await browser.$('//*[normalize-space(.)="Secret expired"]');
    assert.match(await badge.getAttribute('class'), /\bdanger\b/, 'the expired badge is red');
  });

  step('a date 10 days ahead shows the reminder instead', async () => {
    const $ = ui(browser);
    const soon = dayFromToday(10);
    await setExpiry(soon);
    await $.waitFor(async () => /Secret expires in 10 days/.test(await rowText()), 'the row to show “Secret expires in 10 days”');
    assert.doesNotMatch(await rowText(), /Secret expired/, 'the red badge is gone');
    const badge = await browser.$('//*[normalize-space(.)="Secret expires in 10 days"]');
    assert.match(await badge.getAttribute('class'), /\bwarning\b/, 'the reminder is amber');
    assert.match(await badge.getAttribute('title'), new RegExp(soon), 'its tooltip names the date');

    const [row] = await cliIdps(cli, run.dataDir);
    assert.equal(row.credential_expires_on, soon, 'the CLI reads the date the window saved');
    assert.deepEqual(row.credential_expiry, { state: 'due_soon', days_left: 10 }, 'and the same reminder');
  });
});
