#!/usr/bin/env node
// A "system browser" that is opened and then left alone, as when the admin has not signed in
// yet: used as $BROWSER (`node held-browser.mjs <authorization URL>`), it appends the URL it was
// opened at, one line, to $ECA_HELD_BROWSER_FILE and exits. The test decides what happens next:
// cancel the login in the app, or finish it with tests/oidc/browser.mjs (harness finishLogin).
import { appendFileSync } from 'node:fs';

const [url] = process.argv.slice(2);
const file = process.env.ECA_HELD_BROWSER_FILE;
if (!url || !file) {
  process.stderr.write('usage: ECA_HELD_BROWSER_FILE=FILE held-browser.mjs URL\n');
  process.exit(2);
}
appendFileSync(file, `${url}\n`);
