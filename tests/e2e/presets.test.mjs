// "Start from" in the real app window: an admin adding an IdP starts from the Keycloak preset,
// types the host and realm, sees the issuer and the other preset fields filled and the preset's
// quirk as a hint, completes the endpoints by hand (a preset's issuer is not on loopback, so no
// discovery) and saves; the CLI then reads the IdP as saved.
//
// Run with tests/e2e/run.sh (Xvfb + private D-Bus session and keyring), never in parallel.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cliBinary, cliIdp, fill, screenshot, startRun, textOf, ui } from './harness.mjs';

describe('start from a preset in the app window', () => {
  let run;
  let browser;

  before(async () => {
    run = await startRun('presets');
    ({ browser } = await run.openApp());
  });

  after(async () => {
    await run?.cleanup();
  });

  test('a Keycloak preset fills the form, shows its quirk, and saves', async () => {
    try {
      const $ = ui(browser);
      await $.click('button', 'Add New Identity Provider');
      await $.get('heading', 'Add New Identity Provider');
      await (await $.field('Start from')).selectByAttribute('value', 'keycloak');
      await fill(browser, await $.field('Keycloak host'), 'sso.acme.test');
      await fill(browser, await $.field('Realm'), 'customers');
      await $.click('button', 'Fill in');

      const issuer = await $.field('Issuer URL');
      await $.waitFor(
        async () => (await issuer.getValue()) === 'https://sso.acme.test/realms/customers',
        'the preset to fill the issuer',
      );
      assert.equal(await (await $.field('Client authentication')).getValue(), 'client_secret_basic');
      assert.equal(await (await $.field('Scopes')).getValue(), 'openid profile email');
      const hints = "//*[@role='status'][.//p[normalize-space(.)='Quirks of Keycloak']]";
      await $.waitFor(async () => (await browser.$(hints)).isExisting(), 'the preset\'s hints');
      const hint = await browser.$(hints);
      assert.match(await textOf(browser, hint), /https:\/\/HOST\/realms\/REALM/);

      await fill(browser, await $.field('Name'), 'Acme Keycloak');
      await fill(browser, await $.field('Client ID'), 'eca-public');
      await (await $.field('Client authentication')).selectByAttribute('value', 'none');
      const base = 'https://sso.acme.test/realms/customers/protocol/openid-connect';
      await fill(browser, await $.field('Authorization endpoint'), `${base}/auth`);
      await fill(browser, await $.field('Token endpoint'), `${base}/token`);
      await fill(browser, await $.field('JWKS URI'), `${base}/certs`);
      await $.click('button', 'Save Changes');
      await $.get('heading', 'Embedded Client Authentication');

      const saved = await cliIdp(cliBinary(), run.dataDir, 'Acme Keycloak');
      assert.equal(saved.issuer, 'https://sso.acme.test/realms/customers');
      assert.deepEqual(saved.scopes, ['openid', 'profile', 'email']);
      assert.equal(saved.customer_id_claim, 'sub');
    } catch (error) {
      const shot = await screenshot(browser, 'failed-presets').catch(() => null);
      if (shot) error.message += `\n(screenshot: ${shot})`;
      throw error;
    }
  });
});
