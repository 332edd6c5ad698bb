// The harness of ECA Admin's end-to-end tests: it drives the real app window through
// tauri-driver (which runs WebKitWebDriver, which runs the app) with WebdriverIO, next to a real
// OpenID provider on loopback (tests/oidc/provider.mjs).
//
// Invariants:
// - One test file at a time, each in its own D-Bus session and keyring (run.sh): within a session
//   a second app would hand its start over to the first (single-instance) and its session would
//   hang, and the keyring holds the app's sync API key, which one file must not leave to the next.
//   tauri-driver and WebKitWebDriver listen on free ports picked per file (tauri-driver's defaults,
//   4444/4445, would collide with any other e2e run on the machine).
// - Every child (provider, tauri-driver and what it starts) is ours and is stopped by its own id,
//   on success, failure, or the process exiting; nothing is killed by name.
// - Each test file gets a fresh data folder; the D-Bus session, keyring and display come from the
//   launcher (run.sh: xvfb-run + scripts/with-keyring.sh), so an app of another run can never
//   take the single-instance hand-off.
// - Elements are found by role and accessible name (XPath over aria-label, <label for>,
//   aria-labelledby and text), as a user of assistive tech would find them.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, dirname, join, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { remote } from 'webdriverio';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(REPO, 'artifacts', 'e2e');
/** How long a condition in the window may take: generous for a loaded 2-core CI machine. */
export const TIMEOUT = Number(process.env.ECA_E2E_TIMEOUT_MS ?? 15_000);
const BUILD_HINT = 'build it from the repo root with: npx --prefix ui tauri build --debug --no-bundle';

// ---------------------------------------------------------------------------------------------
// Binaries

const targetDir = () => process.env.CARGO_TARGET_DIR || join(REPO, 'target');

/** The app binary under test: $ECA_E2E_APP (or the Makefile's $ECA_E2E_BIN), else the debug build. */
export function appBinary() {
  const bin = resolve(process.env.ECA_E2E_APP || process.env.ECA_E2E_BIN || join(targetDir(), 'debug', 'eca-admin'));
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    assert.fail(`The app binary ${bin} is missing or not executable: ${BUILD_HINT}`);
  }
  return bin;
}

/** The `eca` CLI the cross-checks run: $ECA_E2E_CLI, else target/debug/eca; a missing or stale one fails. */
export function cliBinary() {
  const bin = resolve(process.env.ECA_E2E_CLI || join(targetDir(), 'debug', 'eca'));
  assert.ok(existsSync(bin), `no CLI binary at ${bin}: build it with cargo build -p eca-cli (make e2e does)`);
  refuseIfStale(bin, [], 'build it with cargo build -p eca-cli (make e2e does)');
  return bin;
}

/** tauri-driver: $TAURI_DRIVER, else PATH, else cargo's bin folder (HOME may be a temp dir here). */
function tauriDriver() {
  const candidates = [
    process.env.TAURI_DRIVER,
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'tauri-driver')),
    process.env.CARGO_HOME && join(process.env.CARGO_HOME, 'bin', 'tauri-driver'),
    join(userInfo().homedir, '.cargo', 'bin', 'tauri-driver'),
  ].filter(Boolean);
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      /* next */
    }
  }
  return assert.fail(
    'tauri-driver not found (looked at $TAURI_DRIVER, PATH and $CARGO_HOME/bin): ' +
      'cargo install tauri-driver --locked --version ^2',
  );
}

/**
 * Refuses a binary older than a file it was built from: the test would run stale code. The
 * files are cargo's own list for it (its dep-info, `BIN.d`, which every `cargo build` and
 * `tauri build` writes beside it: the sources of its crates, embedded files, `tauri.conf.json`,
 * the UI bundle) within the repo, and `also` (the app's `ui/src`). Checked once per binary.
 */
function refuseIfStale(bin, also, hint) {
  if (checkedFresh.has(bin)) return;
  const built = statSync(bin).mtimeMs;
  for (const path of [...also, ...builtFrom(bin, hint)]) {
    const changed = newestFile(path);
    if (changed && changed.mtimeMs > built) {
      throw new Error(`e2e: ${changed.path} is newer than ${bin}: ${hint}`);
    }
  }
  checkedFresh.add(bin);
}

const checkedFresh = new Set();

/** The repo's files in `bin`'s dep-info (cargo's outputs under the target folder left out). */
function builtFrom(bin, hint) {
  const depInfo = `${bin}.d`;
  assert.ok(existsSync(depInfo), `no ${depInfo} (cargo's list of what ${bin} was built from): ${hint}`);
  // `TARGET: DEP DEP…` on its first line; a space inside a path is escaped as `\ `.
  const rule = readFileSync(depInfo, 'utf8').split('\n', 1)[0];
  const deps = rule.slice(rule.indexOf(': ') + 2).split(/(?<!\\) /).map((p) => p.replaceAll('\\ ', ' '));
  const outputs = resolve(targetDir()) + sep;
  return deps.filter((p) => p.startsWith(REPO + sep) && !p.startsWith(outputs));
}

/** The newest file at `path` (a file, or a folder searched through), or null when there is none. */
function newestFile(path) {
  if (!existsSync(path)) return null;
  const stat = statSync(path);
  if (!stat.isDirectory()) return { path, mtimeMs: stat.mtimeMs };
  let newest = null;
  for (const entry of readdirSync(path)) {
    const found = newestFile(join(path, entry));
    if (found && (!newest || found.mtimeMs > newest.mtimeMs)) newest = found;
  }
  return newest;
}

// ---------------------------------------------------------------------------------------------
// Child processes

const children = new Set();

/** Stops a child we started (its whole process group when it leads one), by id. */
function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (child.ecaGroup) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    /* already gone */
  }
}

// A test runner that dies without running `after` hooks must not leave our children behind.
process.once('exit', () => {
  for (const child of children) stopChild(child, 'SIGKILL');
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => process.exit(code));
}

function waitForExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

/** Stops a child with `signal` (SIGKILL after 5 s if it is still there) and waits for it. */
async function stopAndWait(child, signal = 'SIGTERM') {
  stopChild(child, signal);
  if (!(await waitForExit(child, 5000))) {
    stopChild(child, 'SIGKILL');
    await waitForExit(child, 2000);
  }
  children.delete(child);
}

/** A TCP port nobody listens on right now (the OS picks it). */
function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function portOpen(port) {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts of the provider tried before a test fails because every one was stuck. */
const PROVIDER_STARTS = 3;
/** A provider that has used no CPU for this long without saying READY is stuck, not slow. */
const STUCK_AFTER_MS = 10_000;

/**
 * Starts tests/oidc/provider.mjs with `args` and resolves with its issuer once it prints
 * `READY <issuer>`. Node 20 can deadlock before that (most likely nodejs/node#54918: every thread waits on a
 * lock, no CPU is used); such a start is replaced by a fresh one, as in eca-testkit's
 * node_server.rs, and what it waited on goes to stderr.
 */
async function startProvider(args) {
  const script = join(REPO, 'tests', 'oidc', 'provider.mjs');
  assert.ok(
    existsSync(join(REPO, 'tests', 'oidc', 'node_modules', 'oidc-provider')),
    'tests/oidc has no node_modules: run npm ci --prefix tests/oidc',
  );
  const stuck = [];
  for (let start = 0; start < PROVIDER_STARTS; start++) {
    const started = await startProviderOnce(script, args);
    if (started.issuer) {
      if (stuck.length) process.stderr.write(`note: provider.mjs was stuck before READY and was started again:\n${stuck.join('\n')}\n`);
      return started;
    }
    stuck.push(started.stuck);
  }
  assert.fail(`provider.mjs was stuck before READY in all ${PROVIDER_STARTS} starts:\n${stuck.join('\n')}`);
}

/** One start: `{issuer, child}` once READY, or `{stuck}` saying where its threads wait. */
async function startProviderOnce(script, args) {
  // stdin stays a pipe: the provider exits when it closes, even if this process is SIGKILLed.
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const lines = createInterface({ input: child.stdout });
  let watch;
  const result = await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the OpenID provider did not print READY within 45 s:\n${stderr}`)), 45_000);
    let cpu = cpuTicks(child.pid);
    let busyAt = Date.now();
    watch = setInterval(() => {
      const now = cpuTicks(child.pid);
      if (now !== cpu) {
        cpu = now;
        busyAt = Date.now();
      } else if (cpu !== undefined && Date.now() - busyAt >= STUCK_AFTER_MS) {
        clearTimeout(timer);
        done({ stuck: `- a start used no CPU for ${STUCK_AFTER_MS / 1000} s; its threads wait in: ${threadWaits(child.pid)}; its stderr:\n${stderr}` });
      }
    }, 1000);
    lines.on('line', (line) => {
      const m = /^READY (\S+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        done({ issuer: m[1], child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the OpenID provider exited (${code}) before READY:\n${stderr}`));
    });
  })
    .catch(async (error) => {
      // A provider that never got ready is stopped: its open pipes would keep the run alive.
      await stopAndWait(child);
      throw error;
    })
    .finally(() => clearInterval(watch));
  // SIGKILL at once: a deadlocked provider never runs its SIGTERM handler.
  if (result.stuck) await stopAndWait(child, 'SIGKILL');
  return result;
}

/** The CPU time `pid` has used, in clock ticks (utime + stime of /proc/PID/stat), or undefined. */
function cpuTicks(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop().trim().split(/\s+/);
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The kernel wait channel of each thread of `pid`, e.g. `futex_do_wait`. */
function threadWaits(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map((task) => readFileSync(`/proc/${pid}/task/${task}/wchan`, 'utf8'))
      .join(', ');
  } catch {
    return 'unknown';
  }
}

/**
 * Starts tauri-driver on free ports, in its own process group (so WebKitWebDriver and the app
 * stop with it), and resolves once it and the WebKitWebDriver it starts both listen: a session
 * requested before WebKitWebDriver listens is dropped (tauri-driver's proxy gets "connection
 * refused" and closes the socket: UND_ERR_SOCKET), which a loaded machine makes likely.
 */
async function startDriver(logFile) {
  const port = await freePort();
  let nativePort = await freePort();
  while (nativePort === port) nativePort = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawn(tauriDriver(), ['--port', String(port), '--native-port', String(nativePort)], {
    stdio: ['ignore', log, log],
    detached: true,
  });
  child.ecaGroup = true;
  child.ecaPort = port;
  children.add(child);
  const deadline = Date.now() + 15_000;
  for (const [what, p] of [['tauri-driver', port], ['WebKitWebDriver', nativePort]]) {
    while (!(await portOpen(p))) {
      if (child.exitCode !== null) {
        assert.fail(`tauri-driver exited (${child.exitCode}) before ${what} listened; its log:\n${readFileSync(logFile, 'utf8')}`);
      }
      if (Date.now() > deadline) assert.fail(`${what} did not listen on port ${p} within 15 s`);
      await sleep(50);
    }
  }
  return child;
}

/** The pids of running processes of `bin` whose arguments include `dataDir`. */
function appProcesses(bin, dataDir) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '') !== bin) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes(dataDir)) found.push(Number(pid));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

/**
 * Starts the reference Sync backend (target/debug/eca-backend, or $ECA_E2E_BACKEND) on a free
 * loopback port with an in-memory store, and resolves with the URL, workspace and development
 * API key its banner prints. `stop()` ends it (by its own id); it is stopped on exit too.
 * `args` go to eca-backend as they are (e.g. `--seed-usages FILE`). The tests' IdPs are on this
 * machine, so it may reach private addresses (a platform reaches public ones only).
 */
export async function startBackend(args = []) {
  const bin = resolve(process.env.ECA_E2E_BACKEND || join(targetDir(), 'debug', 'eca-backend'));
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    assert.fail(`The reference backend ${bin} is missing: build it with cargo build -p eca-backend`);
  }
  refuseIfStale(bin, [], 'build it with cargo build -p eca-backend (make e2e does)');
  const child = spawn(bin, ['--listen', '127.0.0.1:0', '--in-memory', '--allow-private-addresses', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const lines = createInterface({ input: child.stdout });
  const banner = await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`eca-backend printed no banner within 15 s:\n${stderr}`)), 15_000);
    lines.on('line', (line) => {
      const m = /^ECA backend listening on (\S+)\s+workspace=(\S+)\s+api_key=(\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        done({ url: m[1], workspace: m[2], apiKey: m[3] });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`eca-backend exited (${code}) before its banner:\n${stderr}`));
    });
  }).catch(async (error) => {
    await stopAndWait(child);
    throw error;
  });
  return { ...banner, stop: () => stopAndWait(child) };
}

// ---------------------------------------------------------------------------------------------
// The run: provider + tauri-driver + a data folder, and the app sessions opened over them.

/**
 * Starts what a test file needs: a temp folder (data dir, logs), the OpenID provider and
 * tauri-driver. Call `cleanup()` in `after`; it is safe to call twice and after a failed start.
 * `extraRedirects` are registered at the provider's default clients too (e.g. a platform's
 * callback); `clients`, when given, replaces those clients (provider.mjs --clients: their ids,
 * secrets and redirect URIs as the test wants them). `providerArgs` go to provider.mjs as they
 * are (e.g. `--par-required`).
 */
export async function startRun(name, { extraRedirects = [], clients, providerArgs = [], pkjwtJwks } = {}) {
  const bin = appBinary();
  refuseIfStale(bin, [join(REPO, 'ui', 'src')], BUILD_HINT);
  const root = mkdtempSync(join(tmpdir(), `eca-e2e-${name}-`));
  const run = {
    name,
    bin,
    root,
    dataDir: join(root, 'data'),
    issuer: null,
    browser: null,
    provider: null,
    driver: null,
    openApp: () => openApp(run),
    closeApp: () => closeApp(run),
    cleanup: () => cleanup(run),
  };
  mkdirSync(run.dataDir);
  try {
    const args = [...providerArgs, ...extraRedirects.flatMap((uri) => ['--extra-redirect', uri])];
    if (clients) {
      const file = join(root, 'clients.json');
      writeFileSync(file, JSON.stringify(clients));
      args.push('--clients', file);
    }
    // The provider's private_key_jwt client reads its registered keys from this file.
    if (pkjwtJwks) args.push('--pkjwt-jwks', pkjwtJwks);
    const provider = await startProvider(args);
    run.provider = provider.child;
    run.issuer = provider.issuer;
    run.driver = await startDriver(join(root, 'tauri-driver.log'));
  } catch (error) {
    await cleanup(run);
    throw error;
  }
  return run;
}

/** Opens the app window on the run's data folder and waits until the list screen is up. */
async function openApp(run) {
  assert.equal(run.browser, null, 'one app window at a time: closeApp() first');
  const started = Date.now();
  run.browser = await remote({
    hostname: '127.0.0.1',
    port: run.driver.ecaPort,
    logLevel: process.env.ECA_E2E_WDIO_LOG ?? 'warn',
    connectionRetryCount: 0,
    connectionRetryTimeout: 60_000,
    capabilities: {
      browserName: 'wry',
      'tauri:options': { application: run.bin, args: ['--data-dir', run.dataDir] },
      'wdio:enforceWebDriverClassic': true,
    },
  });
  const url = await run.browser.getUrl();
  assert.ok(
    url.startsWith('tauri://') || url.startsWith('http://tauri.localhost'),
    `The window loads ${url}, not the embedded UI: ${run.bin} is a dev build that needs a dev server; ${BUILD_HINT}`,
  );
  await ui(run.browser).get('heading', 'Embedded Client Authentication');
  const pids = appProcesses(run.bin, run.dataDir);
  assert.equal(pids.length, 1, `expected one app process on ${run.dataDir} (--data-dir passed through tauri:options), found ${pids.length}`);
  return { browser: run.browser, ms: Date.now() - started };
}

/** Ends the WebDriver session (which closes the app) and waits until the app process is gone. */
async function closeApp(run) {
  const browser = run.browser;
  run.browser = null;
  if (browser) await browser.deleteSession();
  const deadline = Date.now() + 10_000;
  while (appProcesses(run.bin, run.dataDir).length > 0) {
    assert.ok(Date.now() < deadline, 'the app was still running 10 s after its WebDriver session ended');
    await sleep(50);
  }
}

async function cleanup(run) {
  if (run.browser) {
    const browser = run.browser;
    run.browser = null;
    await Promise.race([browser.deleteSession().catch(() => {}), sleep(5000)]);
  }
  if (run.driver) await stopAndWait(run.driver);
  run.driver = null;
  // An app the driver left behind (it shouldn't): stop it by its own pid.
  for (const pid of appProcesses(run.bin, run.dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (run.provider) {
    run.provider.stdin.end();
    await stopAndWait(run.provider);
  }
  run.provider = null;
  if (process.env.ECA_E2E_KEEP === '1') {
    process.stderr.write(`e2e: kept ${run.root}\n`);
  } else {
    rmSync(run.root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Finding elements by role and accessible name

/** An XPath string literal for any text (XPath 1.0 has no escapes: quotes are concatenated). */
export function xpathLiteral(text) {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `concat(${text.split("'").map((part) => `'${part}'`).join(`, "'", `)})`;
}

const ROLES = {
  button: "(self::button or @role='button' or self::input[@type='button' or @type='submit'])",
  heading: "(self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or @role='heading')",
  switch: "@role='switch'",
  checkbox: "(self::input[@type='checkbox'][not(@role)] or @role='checkbox')",
  dialog: "(self::dialog or @role='dialog' or @role='alertdialog')",
  searchbox: "(self::input[@type='search'] or @role='searchbox')",
  combobox: "(self::select or @role='combobox')",
  table: "(self::table or @role='table')",
  row: "(self::tr or @role='row')",
  listitem: "(self::li or @role='listitem')",
  status: "@role='status'",
  alert: "@role='alert'",
  region: "(@role='region' or self::section[@aria-label or @aria-labelledby])",
  group: "(@role='group' or self::fieldset)",
};

/**
 * The accessible-name test of ARIA's name computation, for the cases this UI uses:
 * aria-labelledby, aria-label, <label for>, a wrapping <label>, then the element's own text.
 */
function nameIs(name) {
  const n = xpathLiteral(name);
  return (
    `(@aria-labelledby and @aria-labelledby = //*[normalize-space(.) = ${n}]/@id)` +
    ` or (not(@aria-labelledby) and (@aria-label = ${n}` +
    ` or (not(@aria-label) and (@id = //label[normalize-space(.) = ${n}]/@for` +
    ` or ancestor::label[normalize-space(.) = ${n}] or normalize-space(.) = ${n}))))`
  );
}

/** XPath (relative to a scope) of the element with this role and accessible name. */
export function byRole(role, name) {
  const test = ROLES[role];
  assert.ok(test, `unknown role ${role}`);
  return name === undefined ? `.//*[${test}]` : `.//*[${test}][${nameIs(name)}]`;
}

/** XPath of the form control (input, select, textarea) labelled `label`. */
export function byLabel(label) {
  return `.//*[self::input[not(@type='hidden')] or self::select or self::textarea][${nameIs(label)}]`;
}

/** What the window shows, for failure messages: its headings, alerts and status messages. */
async function screenSummary(browser) {
  try {
    return await browser.execute(() => {
      const text = (sel) => Array.from(document.querySelectorAll(sel)).map((e) => e.textContent.replace(/\s+/g, ' ').trim()).filter(Boolean);
      return `headings [${text('h1, h2').join(' | ')}], banners [${text('[role=alert], [role=status]').join(' | ')}]`;
    });
  } catch (error) {
    return `(could not read the window: ${error.message})`;
  }
}

/**
 * Queries in a scope (the browser, or an element such as a dialog), each waiting up to TIMEOUT:
 *   get(role, name) / field(label): the element, once it exists
 *   gone(role, name): resolves once no such element exists
 *   waitFor(fn, what): a condition, with `what` in the failure message
 */
export function ui(scope, browser = scope) {
  async function waitFor(condition, what, timeout = TIMEOUT) {
    try {
      await browser.waitUntil(condition, { timeout, interval: 50 });
    } catch (error) {
      const cause = /waitUntil condition timed out|timeout/i.test(error.message) ? '' : ` (${error.message})`;
      assert.fail(`Timed out after ${timeout} ms waiting for ${what}${cause}; the window shows ${await screenSummary(browser)}`);
    }
  }
  async function find(xpath, what) {
    let found;
    await waitFor(async () => {
      const el = await scope.$(xpath);
      if (await el.isExisting()) {
        found = el;
        return true;
      }
      return false;
    }, what);
    return found;
  }
  const get = (role, name) => find(byRole(role, name), `${role} “${name ?? '*'}”`);
  return {
    waitFor,
    get,
    /** Finds, then clicks like a user who scrolled it into the middle of the view first. */
    click: async (role, name) => press(await get(role, name)),
    field: (label) => find(byLabel(label), `a field labelled “${label}”`),
    exists: async (role, name) => (await scope.$(byRole(role, name))).isExisting(),
    gone: (role, name) => waitFor(async () => !(await (await scope.$(byRole(role, name))).isExisting()), `${role} “${name ?? '*'}” to go away`),
  };
}

/**
 * Clicks an element after scrolling it to the middle of its scroller: WebDriver would only scroll
 * it to the edge, under the form's sticky action bar, and the click would land on the bar. Like
 * a user, it waits for a disabled control to become enabled first (a click on a disabled button
 * would do nothing, silently).
 */
export async function press(el) {
  await el.waitForEnabled({ timeout: 20_000, timeoutMsg: 'the control to become enabled before the click' });
  await el.scrollIntoView({ block: 'center', inline: 'nearest' });
  await el.click();
}

/** An element's text as in the DOM, whitespace collapsed. WebKitWebDriver's Get Element Text
 * drops text it judges clipped (e.g. an ellipsised cell of a transformed table row). */
export async function textOf(browser, el) {
  return browser.execute((node) => node.textContent.replace(/\s+/g, ' ').trim(), el);
}

/** The text of what a form control's aria-describedby points at (its hint and error), collapsed. */
export function describedText(browser, field) {
  return browser.execute(
    (node) =>
      (node.getAttribute('aria-describedby') ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ')
        .replace(/\s+/g, ' ')
        .trim(),
    field,
  );
}

/** Resolves once the window has painted its current DOM: a screenshot right after a screen
 * change can otherwise show the previous screen. */
export async function painted(browser) {
  await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
}

/** Replaces a field's text and waits until the field holds exactly that (Svelte sees input events). */
export async function fill(browser, field, text) {
  await press(field);
  // Typed (select all, delete), not WebDriver's Element Clear: the app sees the key and input
  // events a user's edit makes.
  await browser.keys(['Control', 'a']);
  await browser.keys(['Delete']);
  if (text !== '') await field.addValue(text);
  await ui(browser).waitFor(async () => (await field.getValue()) === text, `the field to hold ${JSON.stringify(text)}`);
}

// ---------------------------------------------------------------------------------------------
// What several test files do the same way in the window

/**
 * Opens "Add New Identity Provider" and fills it from `issuer`'s discovery ("Fetch from issuer"),
 * then the name, client id and, when given, the client authentication, the secret and the
 * loopback test redirect. The form is left open and unsaved.
 */
export async function fillNewIdp(browser, issuer, { name, clientId, auth, secret, loopback }) {
  const $ = ui(browser);
  await $.click('button', 'Add New Identity Provider');
  await $.get('heading', 'Add New Identity Provider');
  await fill(browser, await $.field('Issuer URL'), issuer);
  await $.click('button', 'Fetch from issuer');
  const token = await $.field('Token endpoint');
  await $.waitFor(async () => (await token.getValue()).startsWith(issuer), 'discovery to fill the endpoints');
  await fill(browser, await $.field('Name'), name);
  await fill(browser, await $.field('Client ID'), clientId);
  if (auth) await (await $.field('Client authentication')).selectByAttribute('value', auth);
  if (secret) await fill(browser, await $.field('Client secret'), secret);
  if (loopback) await (await $.field('Test redirect')).selectByAttribute('value', 'loopback');
}

/**
 * Saves `backend`'s URL, workspace and API key on the Settings screen (which stays open). The
 * keyring holds one API key for every data folder: when an earlier app of the same test file
 * left one there, it is replaced.
 */
export async function saveSyncSettings(browser, backend) {
  const $ = ui(browser);
  await $.click('button', 'Settings');
  await $.get('heading', 'Settings');
  await fill(browser, await $.field('Backend URL'), backend.url);
  await fill(browser, await $.field('Workspace ID'), backend.workspace);
  let stored = false;
  await $.waitFor(async () => {
    stored = await $.exists('button', 'Replace API key');
    return stored || (await browser.$(byLabel('API key'))).isExisting();
  }, 'the API key field, or the key already stored');
  if (stored) await $.click('button', 'Replace API key');
  await fill(browser, await $.field('API key'), backend.apiKey);
  await $.click('button', 'Save');
  await $.get('button', 'Replace API key');
}

/**
 * Steps of one scenario, in order, sharing one window: `step(name, fn)` is a test that saves a
 * screenshot (artifacts/e2e/failed-PREFIX-<step>.png) when it fails; after a failure the later
 * steps are skipped. `browser()` gives the scenario's window (or null before it opens).
 */
export function stepper(prefix, browser) {
  let failedStep = null;
  return function step(name, fn) {
    test(name, async (t) => {
      if (failedStep) {
        t.skip(`the previous step “${failedStep}” failed`);
        return;
      }
      try {
        await fn(t);
      } catch (error) {
        failedStep = name;
        const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
        const window = browser();
        const shot = window ? await screenshot(window, `failed-${prefix}-${slug}`).catch(() => null) : null;
        if (shot) error.message += `\n(screenshot: ${shot})`;
        throw error;
      }
    });
  };
}

/**
 * `backend`'s workspace API (the sync and auth APIs) with its API key, as a Chat Flow node or a
 * test calls it: `api(method, path, body, headers)` resolves with `{status, body, headers}` (body
 * parsed, headers a Headers).
 */
export function backendApi(backend) {
  return async (method, path, body, headers = {}) => {
    const response = await fetch(`${backend.url}/v1/workspaces/${backend.workspace}${path}`, {
      method,
      headers: { authorization: `Bearer ${backend.apiKey}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  };
}

/**
 * Changes the IdP `name` on `backend` directly, as another admin's push would: reads it, applies
 * `fields`, and writes it back under its ETag (If-Match) with a fresh Idempotency-Key. Resolves
 * with the IdP as the backend now holds it.
 */
export async function editOnBackend(backend, name, fields) {
  const api = backendApi(backend);
  const current = await backendIdp(backend, name);
  const written = await api('PUT', `/idps/${current.body.id}`, { ...current.body, ...fields }, {
    'if-match': current.headers.get('etag'),
    'idempotency-key': randomUUID(),
  });
  assert.ok(written.status === 200 || written.status === 201, `PUT the backend's “${name}”: ${written.status} ${JSON.stringify(written.body)}`);
  return (await backendIdp(backend, name)).body;
}

/** The IdP `name` as `backend` holds it: `{body, headers}` of its GET (headers carry the ETag). */
export async function backendIdp(backend, name) {
  const api = backendApi(backend);
  const listed = await api('GET', '/idps');
  const found = listed.body?.items?.find((i) => i.name === name);
  assert.ok(found, `the backend holds no IdP “${name}”: ${JSON.stringify(listed.body).slice(0, 300)}`);
  const current = await api('GET', `/idps/${found.id}`);
  assert.equal(current.status, 200, `GET the backend's “${name}”`);
  return current;
}

/** `GET /v1/platform` of `backend` (public): its `redirect_uri` is what to register at an IdP. */
export async function platformInfo(backend) {
  const response = await fetch(`${backend.url}/v1/platform`);
  assert.equal(response.status, 200, `GET ${backend.url}/v1/platform`);
  return response.json();
}

/** Waits until `dialog`'s text matches `done`, and resolves with that text. */
export function dialogText(browser, dialogName, done, what, timeout) {
  return roleText(browser, 'dialog', dialogName, done, what, timeout);
}

/**
 * Waits until the text of the element with `role` and `name` matches `done`, and resolves with
 * that text. The element is looked up afresh on every poll: one re-rendered meanwhile (a
 * closing dialog, a region filled in as results arrive) is never read stale.
 */
export async function roleText(browser, role, name, done, what, timeout) {
  let text = '';
  await ui(browser).waitFor(async () => {
    const el = await browser.$(byRole(role, name));
    if (!(await el.isExisting())) return false;
    text = await textOf(browser, el).catch(() => '');
    return done.test(text);
  }, what, timeout);
  return text;
}

/** Closes the open dialog `dialogName` with its Close button. */
export async function closeDialog(browser, dialogName) {
  const $ = ui(browser);
  const dialog = await $.get('dialog', dialogName);
  await press(await ui(dialog, browser).get('button', 'Close'));
  await $.gone('dialog', dialogName);
}

/**
 * Runs Test Configuration of the IdP `name` from the list (the scripted browser logs in), waits
 * for its outcome, closes the dialog and resolves with the text the dialog showed.
 */
export async function localTest(browser, name) {
  await ui(browser).click('button', `Test ${name}`);
  const dialog = `Test Configuration: ${name}`;
  const text = await dialogText(browser, dialog, /Configuration verified|How to fix/, 'the local test login to finish', 30_000);
  await closeDialog(browser, dialog);
  return text;
}

/** Pushes every pending change from the Pending changes screen; expects `count` to go. */
export async function pushChanges(browser, count = 1) {
  const $ = ui(browser);
  await $.click('button', 'Pending changes');
  await $.get('heading', 'Pending changes');
  await $.click('button', 'Push');
  const said = `${count} change${count === 1 ? '' : 's'} pushed`;
  await $.waitFor(async () => (await textOf(browser, await browser.$('body'))).includes(said), `the push to report “${said}”`);
}

/**
 * Opens the IdP `name`'s form from the list, checks that it shows `redirectUri` as the platform
 * redirect URI, and presses "Test on the platform" (the app opens the platform's link in
 * $BROWSER). The dialog is left running.
 */
export async function startPlatformTest(browser, name, redirectUri) {
  const $ = ui(browser);
  await $.click('button', 'Identity providers');
  await $.get('heading', 'Embedded Client Authentication');
  await $.click('button', name);
  const field = await $.field('Platform redirect URI');
  await $.waitFor(async () => (await field.getValue()) === redirectUri, `the platform redirect URI ${redirectUri} in the form`);
  await $.click('button', 'Test on the platform');
  await $.get('dialog', `Test on the platform: ${name}`);
}

/** Waits for the running test on the platform of `name` to end; resolves with the dialog's text. */
export function platformTestResult(browser, name, timeout = 60_000) {
  return dialogText(
    browser,
    `Test on the platform: ${name}`,
    /Verified on the platform|Failed on the platform|No result from the platform|Test cancelled/,
    'the test on the platform to finish',
    timeout,
  );
}

/**
 * The status each step of the open test-on-the-platform dialog shows, by step label (e.g.
 * {'Code exchange': 'Failed'}), as read from its "Steps on the platform" list.
 */
export async function platformSteps(browser, name) {
  const dialog = await ui(browser).get('dialog', `Test on the platform: ${name}`);
  return browser.execute((node) => {
    const list = node.querySelector('ol[aria-label="Steps on the platform"]');
    const text = (el) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    return Object.fromEntries(Array.from(list?.children ?? []).map((li) => [text(li.querySelector('.name')), text(li.querySelector('.state'))]));
  }, dialog);
}

// ---------------------------------------------------------------------------------------------
// Closing the window as the window manager does

// Sends WM_DELETE_WINDOW (a WM_PROTOCOLS client message, what a window manager sends when the
// user clicks the title bar's close button) to the X window given in hex, through libX11 with
// ctypes: Xvfb has no window manager to ask, and GTK turns this message into the window's
// close request (Tauri's CloseRequested), as the real button would.
const DELETE_WINDOW_PY = `
import ctypes, sys
x = ctypes.CDLL('libX11.so.6')
x.XOpenDisplay.restype = ctypes.c_void_p
x.XOpenDisplay.argtypes = [ctypes.c_char_p]
x.XInternAtom.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
x.XFlush.argtypes = [ctypes.c_void_p]
x.XCloseDisplay.argtypes = [ctypes.c_void_p]
class ClientMessage(ctypes.Structure):
    _fields_ = [('type', ctypes.c_int), ('serial', ctypes.c_ulong), ('send_event', ctypes.c_int),
                ('display', ctypes.c_void_p), ('window', ctypes.c_ulong), ('message_type', ctypes.c_ulong),
                ('format', ctypes.c_int), ('data', ctypes.c_long * 5)]
class Event(ctypes.Union):
    _fields_ = [('xclient', ClientMessage), ('pad', ctypes.c_long * 24)]
display = x.XOpenDisplay(None)
if not display:
    sys.exit('cannot open the X display')
window = int(sys.argv[1], 16)
event = Event()
event.xclient.type = 33  # ClientMessage
event.xclient.display = display
event.xclient.window = window
event.xclient.message_type = x.XInternAtom(display, b'WM_PROTOCOLS', 0)
event.xclient.format = 32
event.xclient.data[0] = x.XInternAtom(display, b'WM_DELETE_WINDOW', 0)
event.xclient.data[1] = 0  # CurrentTime
if not x.XSendEvent(display, window, 0, 0, ctypes.byref(event)):
    sys.exit('XSendEvent failed')
x.XFlush(display)
x.XCloseDisplay(display)
`;

/** The X id (hex) of `pid`'s shown top-level window that takes WM_DELETE_WINDOW (GTK also
 * keeps unmapped helper windows), or null. */
async function shownWindowOf(pid) {
  const exec = promisify(execFile);
  const { stdout } = await exec('xwininfo', ['-root', '-children']);
  for (const [, id] of stdout.matchAll(/^\s+(0x[0-9a-f]+) /gm)) {
    const props = (await exec('xprop', ['-id', id, '_NET_WM_PID', 'WM_PROTOCOLS']).catch(() => ({ stdout: '' }))).stdout;
    if (!props.includes(`_NET_WM_PID(CARDINAL) = ${pid}`) || !props.includes('WM_DELETE_WINDOW')) continue;
    const info = (await exec('xwininfo', ['-id', id]).catch(() => ({ stdout: '' }))).stdout;
    if (info.includes('Map State: IsViewable')) return id;
  }
  return null;
}

/** Sends WM_DELETE_WINDOW to the X window `id` (see DELETE_WINDOW_PY). */
async function deleteWindow(id) {
  const python = process.env.ECA_E2E_PYTHON || '/usr/bin/python3';
  try {
    await promisify(execFile)(python, ['-c', DELETE_WINDOW_PY, id], { timeout: 10_000 });
  } catch (error) {
    assert.fail(`could not send WM_DELETE_WINDOW to the window ${id}: ${error.stderr || error.message}`);
  }
}

/** Asks the app's window to close, as its title bar's close button does (see DELETE_WINDOW_PY). */
export async function requestWindowClose(run) {
  const [pid] = appProcesses(run.bin, run.dataDir);
  assert.ok(pid, 'the app is not running');
  const id = await shownWindowOf(pid);
  assert.ok(id, `no shown top-level window of the app (pid ${pid}) on ${process.env.DISPLAY}`);
  await deleteWindow(id);
}

/** The pids of running processes whose command name (/proc/PID/comm) is `name`. */
function processesNamed(name) {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    });
}

/**
 * Waits for the keyring's unlock prompt (gcr-prompter, started by this file's D-Bus session) to
 * show a window on the test's display, then closes it as the admin would: the unlock is
 * dismissed.
 */
export async function dismissKeyringPrompt(browser) {
  let id = null;
  await ui(browser).waitFor(async () => {
    for (const pid of processesNamed('gcr-prompter')) {
      id = await shownWindowOf(pid);
      if (id) return true;
    }
    return false;
  }, 'the keyring’s unlock prompt to show', 30_000);
  await deleteWindow(id);
}

/** Whether the run's app process is running. */
export const appRunning = (run) => appProcesses(run.bin, run.dataDir).length > 0;

/** Waits until the app has exited by itself (its window closed), then drops its WebDriver
 * session; `context` is added to the failure message. */
export async function appExited(run, context) {
  const deadline = Date.now() + 10_000;
  while (appRunning(run)) {
    assert.ok(Date.now() < deadline, `the app was still running 10 s after its window was to close${context ? ` (${context})` : ''}`);
    await sleep(50);
  }
  const browser = run.browser;
  run.browser = null;
  await Promise.race([browser?.deleteSession().catch(() => {}), sleep(5000)]);
}

// ---------------------------------------------------------------------------------------------
// A browser the test holds: opened, then left until the test finishes the login (or never)

/**
 * Makes tests/e2e/held-browser.mjs the app's $BROWSER: each login the app starts is only noted
 * (its authorization URL), nothing signs in. Call before startRun (the app inherits the
 * environment). `opened()` lists the URLs so far; `finish(url)` signs in at one of them with the
 * scripted browser (tests/oidc/browser.mjs), which delivers the redirect to the app's loopback
 * listener, and resolves with `{code, stdout, stderr}` (code 0: the app took the redirect).
 */
export function holdBrowser() {
  const file = join(mkdtempSync(join(tmpdir(), 'eca-e2e-held-browser-')), 'opened.txt');
  writeFileSync(file, '');
  process.env.ECA_HELD_BROWSER_FILE = file;
  process.env.BROWSER = `node ${join(REPO, 'tests/e2e/held-browser.mjs')}`;
  return {
    opened: () => readFileSync(file, 'utf8').split('\n').filter(Boolean),
    finish: (url) =>
      new Promise((done) => {
        execFile(process.execPath, [join(REPO, 'tests/oidc/browser.mjs'), url], { timeout: 30_000 }, (error, stdout, stderr) =>
          done({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }),
        );
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// What crosses into the webview

/** The events the core sends to the window (src-tauri/app/test_login.rs): the recorder listens to
 * each, so an event reaches the page even when no screen listens to it at that moment. */
const APP_EVENTS = ['test-run://progress', 'test-run://finished', 'test-run://callback-refused'];

/**
 * Installs a recorder in the page of everything the core hands to the webview from now on. Every
 * IPC response (resolve or reject) and every event reaches the page through
 * `__TAURI_INTERNALS__.runCallback(id, data)`, which looks the callback up in the (exposed)
 * `callbacks` map: the recorder shadows that map's `get` to keep a copy of `data`. Tauri's own
 * `invoke` and `runCallback` are read-only, so this is the one place to stand. The command of each
 * response is known from the IPC request (a `fetch` to `ipc://localhost/<command>` whose
 * `Tauri-Callback` and `Tauri-Error` headers name its callbacks). Read it with `recorded()`.
 */
export async function recordWebviewTraffic(browser) {
  const installed = await browser.executeAsync((events, done) => {
    const internals = window.__TAURI_INTERNALS__;
    if (!internals?.callbacks || window.__ecaRecorder) return done(Boolean(window.__ecaRecorder));
    const recorder = { records: [], commands: new Map() };
    window.__ecaRecorder = recorder;
    const plainFetch = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const url = String(input?.url ?? input);
      if (url.startsWith('ipc://')) {
        const headers = new Headers(init?.headers ?? {});
        const command = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
        recorder.commands.set(headers.get('Tauri-Callback'), { command, kind: 'response' });
        recorder.commands.set(headers.get('Tauri-Error'), { command, kind: 'error' });
      }
      return plainFetch(input, init);
    };
    const callbacks = internals.callbacks;
    const get = Map.prototype.get;
    Object.defineProperty(callbacks, 'get', {
      value(id) {
        const callback = get.call(this, id);
        if (!callback) return callback;
        return (data) => {
          const origin = recorder.commands.get(String(id)) ?? { command: data?.event ?? '?', kind: 'event' };
          let json;
          try {
            json = JSON.stringify(data ?? null);
          } catch {
            json = String(data);
          }
          recorder.records.push({ ...origin, data: json });
          return callback(data);
        };
      },
    });
    const handler = internals.transformCallback(() => {});
    Promise.all(events.map((event) => internals.invoke('plugin:event|listen', { event, target: { kind: 'Any' }, handler })))
      .then(() => done(true), (error) => done(`listen failed: ${error}`));
  }, APP_EVENTS);
  assert.equal(installed, true, `the IPC recorder could not be installed in the page: ${installed}`);
}

/** What the recorder has seen: `[{command, kind: 'response' | 'error' | 'event', data: JSON text}]`. */
export function recorded(browser) {
  return browser.execute(() => window.__ecaRecorder.records);
}

/**
 * Everything the window shows or holds right now: the DOM as HTML, plus the current value of every
 * input, select and textarea (a typed value is a property the HTML does not show).
 */
export function pageContents(browser) {
  return browser.execute(() => {
    const values = Array.from(document.querySelectorAll('input, select, textarea')).map((el) => `${el.name || el.id}=${el.value}`);
    return `${document.documentElement.outerHTML}\n${values.join('\n')}`;
  });
}

/** What the app wrote to stdout and stderr so far (tauri-driver's log holds its children's output). */
export function appLog(run) {
  return readFileSync(join(run.root, 'tauri-driver.log'), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// The test's keyring

/**
 * Locks the run's default keyring collection over D-Bus (Secret Service Lock), as the desktop
 * does when the session locks. gnome-keyring then asks to unlock through gcr-prompter, which the
 * bus starts on demand with its activation environment: with `prompter: 'display'` it opens its
 * unlock dialog on the test's X display and waits there (dismissKeyringPrompt closes it); with
 * `prompter: 'none'` (the default) the bus points it at a display that does not exist and it
 * fails at once, as in a session without a display. Either way the read or write is refused
 * ("locked").
 */
export async function lockKeyring({ prompter = 'none' } = {}) {
  const exec = promisify(execFile);
  const display = prompter === 'display' ? process.env.DISPLAY : 'no-display-for-the-prompter:0';
  try {
    await exec('dbus-update-activation-environment', [`DISPLAY=${display}`], { timeout: 10_000 });
    await exec('dbus-send', [
      '--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/aliases/default',
    ], { timeout: 10_000 });
  } catch (error) {
    assert.fail(`could not lock the keyring over D-Bus (needs run.sh's session): ${error.stderr || error.message}`);
  }
}

/** Where the app keeps an IdP's client secret (eca-core's SecretKey::IdpClientSecret, OsKeyring). */
const KEYRING_SERVICE = 'com.ecaadmin.desktop';
const idpSecretAccount = (idpId) => `idp:${idpId}:client_secret`;

// Replaces the secret of the one keyring item with these `service` and `username` attributes
// (the keyring crate's), over the Secret Service D-Bus API on one connection (a "plain" session
// belongs to the connection that opened it), then reads it back. The secret comes on stdin.
const SET_SECRET_PY = `
import sys
from gi.repository import Gio, GLib
service, account = sys.argv[1], sys.argv[2]
secret = sys.stdin.buffer.read()
bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
def call(path, iface, method, args, reply):
    return bus.call_sync('org.freedesktop.secrets', path, 'org.freedesktop.Secret.' + iface, method,
                         args, GLib.VariantType.new(reply), Gio.DBusCallFlags.NONE, 10000, None).unpack()
_, session = call('/org/freedesktop/secrets', 'Service', 'OpenSession', GLib.Variant('(sv)', ('plain', GLib.Variant('s', ''))), '(vo)')
unlocked, locked = call('/org/freedesktop/secrets', 'Service', 'SearchItems', GLib.Variant('(a{ss})', ({'service': service, 'username': account},)), '(aoao)')
if len(unlocked) != 1 or locked:
    sys.exit(f'expected one unlocked keyring item {service} / {account}, found {len(unlocked)} unlocked and {len(locked)} locked')
call(unlocked[0], 'Item', 'SetSecret', GLib.Variant('((oayays))', ((session, b'', secret, 'text/plain'),)), '()')
(got,) = call(unlocked[0], 'Item', 'GetSecret', GLib.Variant('(o)', (session,)), '((oayays))')
if bytes(got[2]) != secret:
    sys.exit('the keyring item does not hold the new secret after SetSecret')
`;

/**
 * Puts `secret` as the IdP's client secret straight into this run's keyring (the Secret Service
 * of run.sh's D-Bus session), outside the app: as when the secret was changed on this computer
 * without the IdP's form, no pending change is recorded. The item must exist (the app wrote it).
 * Uses Debian's python3 with PyGObject (python3-gi) for the D-Bus call.
 */
export async function putIdpSecretInKeyring(idpId, secret) {
  const python = process.env.ECA_E2E_PYTHON || '/usr/bin/python3';
  await new Promise((done, fail) => {
    const child = execFile(python, ['-c', SET_SECRET_PY, KEYRING_SERVICE, idpSecretAccount(idpId)], { timeout: 20_000 }, (error, _stdout, stderr) => {
      if (error) {
        fail(new Error(`${python} could not set the IdP's secret in the keyring (needs python3-gi and run.sh's keyring): ${stderr || error.message}`));
      } else {
        done();
      }
    });
    child.stdin.end(secret);
  });
}

// ---------------------------------------------------------------------------------------------
// Artefacts and the CLI

/** Saves a screenshot to artifacts/e2e/NAME.png; with ECA_UPDATE_SCREENSHOT=1 also to `copyTo`. */
export async function screenshot(browser, name, copyTo) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await painted(browser);
  await browser.saveScreenshot(path);
  if (copyTo && process.env.ECA_UPDATE_SCREENSHOT === '1') {
    copyFileSync(path, copyTo);
    process.stderr.write(`e2e: updated ${copyTo}\n`);
  }
  return path;
}

/** The fields of each row of `eca idp list --json`, exactly (its shape is pinned here, once). */
const CLI_LIST_FIELDS = ['client_auth_method', 'credential_expires_on', 'credential_expiry', 'credential_reminder', 'enabled', 'has_secret', 'host', 'id', 'last_test', 'name', 'protocol', 'secret_set_aside', 'updated_at'];

/** The IdPs `eca --data-dir DIR idp list --json` prints: a JSON array of rows of the pinned shape. */
export async function cliIdps(cli, dataDir) {
  const rows = await cliJson(cli, dataDir, ['idp', 'list', '--json']);
  assert.ok(Array.isArray(rows), `eca idp list --json should print a list of IdPs, printed ${JSON.stringify(rows).slice(0, 300)}`);
  for (const row of rows) assert.deepEqual(Object.keys(row).sort(), CLI_LIST_FIELDS, `a row of eca idp list --json: ${JSON.stringify(row)}`);
  return rows;
}

/** One IdP in full, as `eca --data-dir DIR idp show NAME --json` prints it. */
export function cliIdp(cli, dataDir, name) {
  return cliJson(cli, dataDir, ['idp', 'show', name, '--json']);
}

/** `eca --data-dir DIR idp import FILE --json`: all of the export document's IdPs, or none. */
export function cliImport(cli, dataDir, file) {
  return cliJson(cli, dataDir, ['--json', 'idp', 'import', file]);
}

/** `eca --data-dir DIR ARGS…` as parsed JSON; fails with the CLI's output when it isn't. */
async function cliJson(cli, dataDir, args) {
  let stdout;
  try {
    // A list of 10,000 IdPs prints about 3 MB, over execFile's default 1 MB buffer.
    ({ stdout } = await promisify(execFile)(cli, ['--data-dir', dataDir, ...args], { timeout: 60_000, maxBuffer: 256 * 1024 * 1024 }));
  } catch (error) {
    assert.fail(`${cli} ${args.join(' ')} failed (${error.code ?? error.signal}): ${error.stderr || error.message}`);
  }
  try {
    return JSON.parse(stdout);
  } catch {
    return assert.fail(`${cli} ${args.join(' ')} printed no JSON: ${JSON.stringify(stdout.slice(0, 500))}`);
  }
}
