// Pushed authorization requests (RFC 9126) in the real app window: against the local OpenID
// provider started with --par-required, "Fetch from issuer" shows PAR as required, "Check
// readiness" says so, and Test Configuration pushes the request first and verifies the login,
// with the push as its own line in the checklist.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO, closeDialog, dialogText, fillNewIdp, roleText, screenshot, startRun, ui } from './harness.mjs';

// The app opens the browser through $BROWSER; the scripted browser signs in as alice and comes
// back to the app's loopback listener.
process.env.BROWSER = `node ${join(REPO, 'tests/oidc/browser.mjs')}`;

describe('an IdP that requires PAR, in the app window', () => {
  let run;
  let browser;

  before(async () => {
    run = await startRun('par', { providerArgs: ['--par-required'] });
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
  });

  test('discovery and readiness say PAR is required; the test pushes and passes', async () => {
    const $ = ui(browser);
    await fillNewIdp(browser, run.issuer, { name: 'PAR OP', clientId: 'eca-public', auth: 'none', loopback: true });

    const supported = 'What the identity provider supports';
    const discovered = await roleText(browser, 'region', supported, /Pushed authorization/, 'the PAR row');
    assert.match(discovered, /Pushed authorization \(PAR\)\s*required/, discovered);

    await $.click('button', 'Check readiness');
    const checks = await roleText(browser, 'region', 'Ready to test', /Pushed authorization/, 'the PAR check');
    assert.match(checks, /PAR required: every login pushes its request to \S+\/request first/, checks);

    await $.click('button', 'Test Configuration');
    const dialog = 'Test Configuration: PAR OP';
    const text = await dialogText(browser, dialog, /Configuration verified|How to fix/, 'the test login to finish', 30_000);
    assert.match(text, /Configuration verified/, `the pushed login must verify: ${text}`);
    assert.match(text, /Pushed authorization \(PAR\)/, `the checklist shows the push: ${text}`);
    assert.match(text, /The IdP requires PAR/, text);
    assert.ok(
      text.indexOf('Pushed authorization (PAR)') < text.indexOf('Authorization in the browser'),
      `the push comes before the browser: ${text}`,
    );
    await screenshot(browser, 'par-verified');
    await closeDialog(browser, dialog);
  });
});
