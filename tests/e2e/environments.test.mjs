// Sandbox and production, end to end in the real window: sync is set up against one reference
// backend (the environment "default"), an IdP is pushed there and tested on its platform, a
// second backend is added as "production" in Settings, and Pending changes promotes the IdP to
// it (the production backend then holds it, secret included). An edit after the test stops the
// next promotion, with the reason shown.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.
// Needs target/debug/eca-backend (cargo build -p eca-backend).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';

import {
  REPO,
  appBinary,
  backendApi,
  byRole,
  closeDialog,
  fill,
  fillNewIdp,
  platformInfo,
  platformTestResult,
  pushChanges,
  saveSyncSettings,
  startBackend,
  startPlatformTest,
  startRun,
  stepper,
  textOf,
  ui,
} from './harness.mjs';

const NAME = 'Env OP';
const BROWSER = join(REPO, 'tests/oidc/browser.mjs');

process.env.BROWSER = `node ${BROWSER}`;
process.env.ECA_DEEP_LINK_HANDLER = appBinary();

async function bodyIncludes(browser, text, what) {
  await ui(browser).waitFor(async () => (await textOf(browser, await browser.$('body'))).includes(text), what);
}

async function checkPromotion(browser) {
  const $ = ui(browser);
  await $.click('button', 'Pending changes');
  await $.get('heading', 'Pending changes');
  await $.click('button', 'Check what can be promoted');
}

/**
 * Waits until the promotion check's line for the IdP matches `pattern`, and returns it. The line
 * is found afresh each time: the check answers asynchronously and renders its list again, so
 * an element found before the answer can be gone (a stale element is read as no text).
 */
async function promotionLine(browser, pattern, what) {
  let line = '';
  try {
    await ui(browser).waitFor(async () => {
      const item = await browser.$(byRole('listitem', NAME));
      line = (await item.isExisting()) ? await textOf(browser, item).catch(() => '') : '';
      return pattern.test(line);
    }, what);
  } catch (error) {
    error.message += ` (the IdP's line last read “${line}”)`;
    throw error;
  }
  return line;
}

describe('an IdP tested on sandbox is promoted to production', () => {
  let run;
  let browser;
  let sandbox;
  let production;
  const step = stepper('environments', () => browser);

  before(async () => {
    sandbox = await startBackend();
    production = await startBackend();
    const platform = await platformInfo(sandbox);
    run = await startRun('environments', { extraRedirects: [platform.redirect_uri] });
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
    await sandbox?.stop();
    await production?.stop();
  });

  step('pushes an IdP to the first environment and tests it on its platform', async () => {
    const $ = ui(browser);
    await saveSyncSettings(browser, sandbox);
    await $.click('button', 'Identity providers');
    await $.get('heading', 'Embedded Client Authentication');
    await fillNewIdp(browser, run.issuer, {
      name: NAME,
      clientId: 'eca-confidential',
      secret: 'confidential-secret-123',
      loopback: true,
    });
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');
    await pushChanges(browser, 1);
    const platform = await platformInfo(sandbox);
    await startPlatformTest(browser, NAME, platform.redirect_uri);
    const text = await platformTestResult(browser, NAME);
    assert.match(text, /Verified on the platform/, text);
    await closeDialog(browser, `Test on the platform: ${NAME}`);
  });

  step('adds production in Settings, with its own key', async () => {
    const $ = ui(browser);
    await $.click('button', 'Settings');
    await $.get('heading', 'Settings');
    await $.get('listitem', 'default');
    await fill(browser, await $.field('Environment name'), 'production');
    await fill(browser, await $.field('Environment backend URL'), production.url);
    await fill(browser, await $.field('Environment workspace ID'), production.workspace);
    await fill(browser, await $.field('Environment API key'), production.apiKey);
    await $.click('button', 'Add environment');
    await $.get('listitem', 'production');
    await $.get('button', 'Make production current');
    await bodyIncludes(browser, 'Environment: default', 'the top bar to name the current environment');
  });

  step('promotes the tested IdP; production holds it with its secret', async () => {
    const $ = ui(browser);
    await checkPromotion(browser);
    await promotionLine(browser, /Ready \(new\)/, 'the IdP to be ready to promote, as new');
    await $.click('button', 'Promote to production');
    await bodyIncludes(browser, 'Promoted 1 IdP(s) to production.', 'the promotion to report');
    const held = await backendApi(production)('GET', '/idps');
    const promoted = held.body.items.find((i) => i.name === NAME);
    assert.ok(promoted, `production holds “${NAME}”: ${JSON.stringify(held.body).slice(0, 300)}`);
    assert.equal(promoted.secret_set, true, 'its secret went along');
  });

  step('an IdP edited since its test is refused, with the reason', async () => {
    const $ = ui(browser);
    await $.click('button', 'Identity providers');
    await $.get('heading', 'Embedded Client Authentication');
    await $.click('button', NAME);
    await fill(browser, await $.field('Notes'), 'edited after the test');
    await $.click('button', 'Save Changes');
    await $.get('heading', 'Embedded Client Authentication');
    await pushChanges(browser, 1);
    await checkPromotion(browser);
    await promotionLine(browser, /not tested on default since it was last edited/, 'the refusal and its reason');
    const promote = await $.get('button', 'Promote to production');
    assert.equal(await promote.isEnabled(), false, 'nothing is eligible');
  });
});
