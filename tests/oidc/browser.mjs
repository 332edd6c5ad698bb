#!/usr/bin/env node
// A scripted "system browser" for login tests, used as $BROWSER: `browser.mjs <authorization URL>`.
//
// It does over HTTP what a person does in a browser against tests/oidc/provider.mjs: follows the
// redirects with a cookie jar, fills the sign-in form (alice / wonderland, or ECA_BROWSER_USER /
// ECA_BROWSER_PASSWORD; ECA_BROWSER_ACTION=abort presses Cancel), lets consent happen, and
// stops at the redirect to the app. Then it delivers that redirect the way the OS would:
// - http://127.0.0.1:… (loopback): a GET to the app's listener;
// - a private-use scheme (deep link): runs `$ECA_DEEP_LINK_HANDLER <url>` (the app binary, as a
//   second instance) when set, otherwise prints the URL on stdout.
// ECA_BROWSER_PRINT=1 only prints the final redirect.
// ECA_BROWSER_CUSTOMER=1 plays a customer instead: the URL is a platform's link (/l/<token>),
// which redirects to the IdP; the final redirect back to the platform is followed too, and the
// page the platform shows is printed on stdout as `PAGE <status>` then its body (also when the
// link itself answers with a page). When that page's "Back to the chat" link leads to a
// loopback URL (the return URL of `eca idp test --via-platform`), it is followed with a GET, as
// a person clicking it would, which tells the waiting CLI the browser came back. Everything
// stays on loopback.
import { execFileSync } from 'node:child_process';

let start = process.argv[2];
if (!start) {
  console.error('usage: browser.mjs <authorization URL>');
  process.exit(2);
}
const customer = process.env.ECA_BROWSER_CUSTOMER === '1';
if (customer) {
  // The link: the platform redirects to the IdP, or shows why not.
  const res = await fetch(start, { redirect: 'manual' });
  if (res.status !== 302) {
    await showPage(res);
    process.exit(0);
  }
  start = new URL(res.headers.get('location'), start).toString();
}
const origin = new URL(start).origin;
const cookies = new Map();

function remember(res) {
  for (const c of res.headers.getSetCookie?.() ?? []) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1));
  }
}
const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');

async function request(url, init = {}) {
  const res = await fetch(url, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.headers ?? {}), cookie: cookieHeader() },
  });
  remember(res);
  return res;
}

let url = start;
let init = {};
for (let hop = 0; hop < 20; hop += 1) {
  const res = await request(url, init);
  init = {};
  if (res.status >= 300 && res.status < 400) {
    const next = new URL(res.headers.get('location'), url).toString();
    if (new URL(next).origin !== origin) {
      await deliver(next);
      process.exit(0);
    }
    url = next;
    continue;
  }
  const html = await res.text();
  const action = process.env.ECA_BROWSER_ACTION === 'abort' ? 'abort' : 'login';
  const form = new RegExp(`action="(/interaction/[\\w-]+/${action})"`).exec(html);
  if (res.status === 200 && form) {
    url = new URL(form[1], url).toString();
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        username: process.env.ECA_BROWSER_USER ?? 'alice',
        password: process.env.ECA_BROWSER_PASSWORD ?? 'wonderland',
      }).toString(),
    };
    continue;
  }
  console.error(`browser.mjs: stuck at ${url} (HTTP ${res.status}): ${html.slice(0, 300)}`);
  process.exit(1);
}
console.error('browser.mjs: too many redirects');
process.exit(1);

async function showPage(res) {
  const html = await res.text();
  console.log(`PAGE ${res.status}`);
  console.log(html);
  const back = /<a href="(http:\/\/(?:127\.0\.0\.1|localhost):\d+\/[^"]*)">Back to the chat<\/a>/.exec(html);
  if (back) {
    const target = back[1].replaceAll('&amp;', '&');
    const done = await fetch(target, { redirect: 'manual' });
    await done.text();
  }
}

async function deliver(target) {
  if (customer) {
    await showPage(await fetch(target, { redirect: 'manual' }));
  } else if (process.env.ECA_BROWSER_PRINT === '1') {
    console.log(target);
  } else if (target.startsWith('http://127.0.0.1:') || target.startsWith('http://localhost:')) {
    const res = await fetch(target, { redirect: 'manual' });
    await res.text();
    if (!res.ok) {
      console.error(`browser.mjs: the app's listener answered HTTP ${res.status}`);
      process.exit(1);
    }
  } else if (process.env.ECA_DEEP_LINK_HANDLER) {
    execFileSync(process.env.ECA_DEEP_LINK_HANDLER, [target], { stdio: 'inherit', timeout: 30000 });
  } else {
    console.log(target);
  }
}
