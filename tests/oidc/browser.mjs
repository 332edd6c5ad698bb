#!/usr/bin/env node
// A scripted "system browser" for login tests, used as $BROWSER: `browser.mjs <authorization URL>`.
//
// It does over HTTP what a person does in a browser: follows the redirects with a cookie jar,
// signs in (alice / wonderland, or ECA_BROWSER_USER / ECA_BROWSER_PASSWORD), lets consent
// happen, and stops at the redirect to the app. It knows two providers' sign-in pages:
// - tests/oidc/provider.mjs (oidc-provider): fills the HTML form at /interaction/<uid>
//   (ECA_BROWSER_ACTION=abort presses Cancel instead);
// - Glewlwyd (tests/glewlwyd/): its authorization endpoint always detours through
//   `login.html?…&callback_url=<authorization URL>`. What its web page would do is done through
//   its JSON API: POST /api/auth/ (sign in), PUT /api/auth/grant/<client_id> with the requested
//   scopes (space-separated: consent), then GET `callback_url + "&g_continue"`.
// Then it delivers the redirect to the app the way the OS would:
// - http://127.0.0.1:… (loopback): a GET to the app's listener;
// - a private-use scheme (deep link): runs `$ECA_DEEP_LINK_HANDLER <url>` (the app binary, as a
//   second instance) when set, otherwise prints the URL on stdout.
// ECA_BROWSER_PRINT=1 only prints the final redirect.
// ECA_BROWSER_CUSTOMER=1 plays a customer instead: the URL is a platform's link (/l/<token>),
// which shows a "Continue" form; posting it redirects to the IdP (and sets the cookie the
// platform's callback wants back); the final redirect back to the platform is followed too, and
// the page the platform shows is printed on stdout as `PAGE <status>` then its body (also when
// the link answers with another page). When that page's "Back to the chat" link leads to a
// loopback URL (the return URL of `eca idp test --via-platform`), it is followed with a GET, as
// a person clicking it would, which tells the waiting CLI the browser came back. A URL of the
// form http://127.0.0.1:<port>/l/<token> is taken as a platform link even without
// ECA_BROWSER_CUSTOMER (the app and the CLI open those through $BROWSER).
// ECA_BROWSER_DROP_COOKIES=1 forgets the cookies before coming back to the platform, like
// another browser finishing the login. ECA_BROWSER_LOG=<file> also appends, as one JSON line,
// the page the browser got stuck on (e.g. the IdP's error page), for a test that started the
// browser through an app and cannot read its output. Everything stays on loopback.
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';

let start = process.argv[2];
if (!start) {
  console.error('usage: browser.mjs <authorization URL>');
  process.exit(2);
}
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

const customer =
  process.env.ECA_BROWSER_CUSTOMER === '1' || /^http:\/\/127\.0\.0\.1:\d+\/l\/[\w-]{22}$/.test(start);
if (customer) {
  // The link: a page with a button that posts back to it, or a page saying why not.
  const page = await request(start);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('<form method="post" action="">')) {
    console.log(`PAGE ${page.status}`);
    console.log(html);
    process.exit(0);
  }
  const res = await request(start, { method: 'POST' });
  if (res.status !== 303) {
    await showPage(res);
    process.exit(0);
  }
  start = new URL(res.headers.get('location'), start).toString();
}
const origin = new URL(start).origin;

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
    const detour = glewlwydDetour(next);
    url = detour ? await glewlwydSignIn(detour) : next;
    continue;
  }
  const html = await res.text();
  const action = process.env.ECA_BROWSER_ACTION === 'abort' ? 'abort' : 'login';
  const form = new RegExp(`action="((?:/[^"/]+)*/interaction/[\\w-]+/${action})"`).exec(html);
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
  if (process.env.ECA_BROWSER_LOG) {
    appendFileSync(process.env.ECA_BROWSER_LOG, `${JSON.stringify({ stuck: url, status: res.status, page: html })}\n`);
  }
  process.exit(1);
}
console.error('browser.mjs: too many redirects');
process.exit(1);

async function showPage(res) {
  const html = await res.text();
  console.log(`PAGE ${res.status}`);
  console.log(html);
  const back = /<a href="((?:http:\/\/(?:127\.0\.0\.1|localhost):\d+\/|com\.ecaadmin\.desktop:\/)[^"]*)">Back to the chat<\/a>/.exec(html);
  if (back) {
    const target = back[1].replaceAll('&amp;', '&');
    if (target.startsWith('com.ecaadmin.desktop:')) {
      // The app's deep link: the OS hands it to the app (its binary, as a second instance).
      if (process.env.ECA_DEEP_LINK_HANDLER) {
        execFileSync(process.env.ECA_DEEP_LINK_HANDLER, [target], { stdio: 'inherit', timeout: 30000 });
      }
    } else {
      const done = await fetch(target, { redirect: 'manual' });
      await done.text();
    }
  }
}

/** The authorization URL to come back to, if `target` is Glewlwyd's login.html detour. */
function glewlwydDetour(target) {
  const page = new URL(target);
  const callback = page.searchParams.get('callback_url');
  return page.pathname.endsWith('/login.html') && callback ? { page, callback } : null;
}

/** Signs in and consents through Glewlwyd's API; returns the URL that resumes the login. */
async function glewlwydSignIn({ page, callback }) {
  if (process.env.ECA_BROWSER_ACTION === 'abort') {
    console.error('browser.mjs: ECA_BROWSER_ACTION=abort is not supported for Glewlwyd');
    process.exit(1);
  }
  const api = new URL('api/', page).toString(); // login.html sits beside the API prefix
  const authorize = new URL(callback);
  const json = (method, body) => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const steps = [
    [
      `${api}auth/`,
      json('POST', {
        username: process.env.ECA_BROWSER_USER ?? 'alice',
        password: process.env.ECA_BROWSER_PASSWORD ?? 'wonderland',
      }),
    ],
    [
      `${api}auth/grant/${encodeURIComponent(authorize.searchParams.get('client_id') ?? '')}`,
      json('PUT', { scope: authorize.searchParams.get('scope') ?? 'openid' }),
    ],
  ];
  for (const [target, init] of steps) {
    const res = await request(target, init);
    if (!res.ok) {
      console.error(`browser.mjs: Glewlwyd's ${init.method} ${target} answered HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
      process.exit(1);
    }
    await res.arrayBuffer();
  }
  return `${callback}&g_continue`;
}

async function deliver(target) {
  if (customer) {
    if (process.env.ECA_BROWSER_DROP_COOKIES === '1') cookies.clear();
    await showPage(await request(target));
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
