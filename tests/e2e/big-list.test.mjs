// The IdP list at 10,000 rows in the real app window: 10,000 IdPs imported through the CLI
// (`eca idp import`, one export document) before the app starts; the list reports them all while
// rendering only a window of rows; scrolled to the bottom, the last IdP's row is there and its
// switch turns it off; the CLI then shows exactly that IdP changed (enabled, and its update
// time), every other one as it was.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';

import { byRole, cliBinary, cliIdps, cliImport, press, startRun, stepper, ui } from './harness.mjs';

const COUNT = 10_000;
const nameOf = (n) => `Bulk IdP ${String(n).padStart(5, '0')}`;
const LAST = nameOf(COUNT);

/** An export document (eca idp export's format) of COUNT public OpenID Connect IdPs. */
function exportDocument() {
  const idps = Array.from({ length: COUNT }, (_, i) => {
    const origin = `https://idp${i + 1}.example`;
    return {
      id: randomUUID(),
      name: nameOf(i + 1),
      protocol: 'oidc',
      issuer: origin,
      authorization_endpoint: `${origin}/auth`,
      token_endpoint: `${origin}/token`,
      userinfo_endpoint: null,
      jwks_uri: `${origin}/jwks`,
      client_id: `client-${i + 1}`,
      client_auth_method: 'none',
      scopes: ['openid'],
      extra_params: [],
      redirect_uris: [],
      customer_id_claim: 'sub',
      enabled: true,
      notes: '',
      test_redirect: 'deep_link',
      claim_mapping: [],
      channel_binding: false,
      loopback_port: null,
      id_token_signing_algs: [],
      had_secret: false,
    };
  });
  return { format: 'eca-admin/idps', version: 1, exported_at: new Date().toISOString(), idps };
}

describe('10,000 IdPs in the app window', () => {
  let run;
  let browser;
  let cli;
  /** `eca idp list --json` right after the import. */
  let imported;
  const step = stepper('big-list', () => browser);

  before(async () => {
    cli = cliBinary();
    run = await startRun('big-list');
    const file = join(run.root, 'bulk.json');
    writeFileSync(file, JSON.stringify(exportDocument()));
    await cliImport(cli, run.dataDir, file);
    imported = await cliIdps(cli, run.dataDir);
    assert.equal(imported.length, COUNT, 'the CLI imported every IdP');
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
  });

  /** How many rows the table holds, and how many it has rendered. */
  const tableRows = async () =>
    browser.execute(() => {
      const table = document.querySelector('[role=table][aria-label="Identity providers"]');
      return { count: Number(table?.getAttribute('aria-rowcount') ?? 0) - 1, rendered: table?.querySelectorAll('[role=rowgroup]:not(.head) [role=row]').length ?? 0 };
    });

  step('lists all 10,000, rendering only those in view', async () => {
    const $ = ui(browser);
    await $.get('table', 'Identity providers');
    await $.waitFor(async () => (await tableRows()).count === COUNT, `the table to count ${COUNT} rows`);
    const { rendered } = await tableRows();
    assert.ok(rendered > 0 && rendered < 100, `a window of rows is rendered, not all: ${rendered}`);
    assert.ok(!(await $.exists('button', LAST)), 'the last row is not rendered before scrolling');
  });

  step('scrolls to the last row and turns it off', async () => {
    const $ = ui(browser);
    const table = await $.get('table', 'Identity providers');
    await browser.execute((el) => el.scrollTo({ top: el.scrollHeight }), table);
    const row = `//*[@role='row'][@aria-rowindex='${COUNT + 1}']`;
    await $.waitFor(async () => (await browser.$(row)).isExisting(), 'the last row to render');
    assert.ok(await ui(await browser.$(row), browser).exists('button', LAST), `the last row is “${LAST}”`);
    assert.ok(!(await $.exists('button', nameOf(1))), 'the first row is no longer rendered');

    const toggle = await browser.$(byRole('switch', `Enable ${LAST}`));
    assert.equal(await toggle.isSelected(), true, 'it starts enabled');
    await press(toggle);
    await $.waitFor(async () => {
      const current = await browser.$(byRole('switch', `Enable ${LAST}`));
      return !(await current.isSelected()) && (await current.isEnabled());
    }, `the switch of “${LAST}” to show it off, its change done`);
  });

  step('the CLI shows exactly that IdP changed', async () => {
    const now = await cliIdps(cli, run.dataDir);
    assert.equal(now.length, COUNT);
    const before = new Map(imported.map((row) => [row.id, row]));
    const changed = now.filter((row) => JSON.stringify(row) !== JSON.stringify(before.get(row.id)));
    assert.deepEqual(changed.map((row) => row.name), [LAST], 'only the last IdP changed');
    const [row] = changed;
    assert.equal(row.enabled, false, 'it is off');
    assert.deepEqual({ ...row, enabled: true, updated_at: null }, { ...before.get(row.id), updated_at: null }, 'nothing but enabled (and its update time) changed');
  });
});
