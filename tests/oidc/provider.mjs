// A real OpenID provider (npm `oidc-provider`) on loopback, for ECA Admin's tests.
//
//   node tests/oidc/provider.mjs [--port N] [--clients FILE] [--store-size N] [--extra-redirect URI]...
//                                [--auth-methods M,M] [--no-s256] [--issuer-path /P]
//                                [--par | --par-required]
//                                [--pkjwt-jwks FILE]
//
// --extra-redirect adds a redirect URI to every default client, e.g. a platform's
// http://127.0.0.1:<port>/v1/oauth/callback for customer sign-in.
//
// Misconfigurations an admin meets, for readiness tests: --auth-methods limits the token
// endpoint's client authentication methods (oidc-provider's clientAuthMethods, so discovery
// advertises only those); --no-s256 drops code_challenge_methods_supported from discovery (as a
// provider without PKCE would); --issuer-path makes the provider call itself <origin>/P while it
// serves at the origin (a proxy configured with the wrong public URL).
//
// Pushed authorization requests (RFC 9126) are off by default (oidc-provider enables them
// unless told otherwise), so discovery does not advertise them: --par advertises the endpoint
// (optional), --par-required also requires every authorization request to be pushed (an
// authorization request that was not pushed is answered with invalid_request).
// --pkjwt-jwks FILE adds the client `eca-pkjwt`, which authenticates with private_key_jwt
// (RFC 7523) with the public keys of the JWK Set in FILE. FILE is read at every request, so a
// test registers a key (or a wrong one) after the provider started, as an admin would; while
// it is missing or empty the client does not exist. A replayed assertion (a reused `jti`) is
// refused by oidc-provider itself.
//
// Prints exactly one line to stdout once it listens: `READY <issuer>` (no trailing slash).
// Everything else (oidc-provider's notices included) goes to stderr, so a test can read
// stdout line by line. Runs until SIGTERM/SIGINT, or until stdin closes when stdin is a pipe
// (a test that dies without cleaning up closes the pipe, and the provider follows it).
//
// The login is a small HTML form (user `alice`, password `wonderland`) posted over plain
// HTTP, followed by automatic consent, so a test can drive a full authorization-code flow
// with nothing but an HTTP client and a cookie jar.
//
// oidc-provider keeps sessions, interactions, grants and codes in memory, at most 1000 of them
// by default: enough for tests, not for hundreds of logins at once (it drops entries of logins
// still in progress). --store-size raises that bound (the platform benchmark does).

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { fstatSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

// stdout carries the READY line only: oidc-provider prints notices with console.info.
console.log = console.info = console.error;

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    clients: { type: 'string' },
    'store-size': { type: 'string', default: '1000' },
    'extra-redirect': { type: 'string', multiple: true, default: [] },
    'auth-methods': { type: 'string' },
    'no-s256': { type: 'boolean', default: false },
    'issuer-path': { type: 'string', default: '' },
    par: { type: 'boolean', default: false },
    'par-required': { type: 'boolean', default: false },
    'pkjwt-jwks': { type: 'string' },
  },
});
const store = new LRU({ maxSize: Number(args['store-size']) });

const DEFAULT_CLIENTS = [
  {
    client_id: 'eca-confidential',
    client_secret: 'confidential-secret-123',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    client_id: 'eca-public',
    token_endpoint_auth_method: 'none',
  },
  // Signs its ID tokens with HS256, keyed with its secret: accepted only by an IdP
  // configuration that lists HS256 among its ID token signing algorithms.
  {
    client_id: 'eca-hs256',
    client_secret: 'hs256-secret-of-at-least-32-bytes-long',
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'HS256',
  },
].map(withDefaults);

function withDefaults(client) {
  return {
    application_type: 'native',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    // Native clients may use any port on a loopback redirect (RFC 8252 §7.3).
    redirect_uris: [
      'com.ecaadmin.desktop:/oauth/callback',
      'http://127.0.0.1/oauth/callback',
      ...args['extra-redirect'],
    ],
    ...client,
  };
}

/** The private_key_jwt client as FILE registers it now, or undefined (see --pkjwt-jwks). */
function pkjwtClient() {
  let text = '';
  try {
    text = readFileSync(args['pkjwt-jwks'], 'utf8');
  } catch {
    return undefined;
  }
  if (!text.trim()) return undefined;
  return withDefaults({
    client_id: 'eca-pkjwt',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: JSON.parse(text),
  });
}

const clients = args.clients ? JSON.parse(readFileSync(args.clients, 'utf8')) : DEFAULT_CLIENTS;

const USERS = {
  alice: {
    password: 'wonderland',
    claims: {
      sub: 'alice',
      name: 'Alice Liddell',
      email: 'alice@example.test',
      email_verified: true,
      phone_number: '+44 20 7946 0000',
      phone_number_verified: true,
    },
  },
};

// A fresh signing key per run: nothing persists, and no development-only key is used.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: 'test-rs256',
  use: 'sig',
  alg: 'RS256',
};

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(args.port), '127.0.0.1', resolve);
});
const origin = `http://127.0.0.1:${server.address().port}`;
const issuer = `${origin}${args['issuer-path']}`;

const provider = new Provider(issuer, {
  ...(args['auth-methods'] ? { clientAuthMethods: args['auth-methods'].split(',') } : {}),
  clients,
  adapter: (model) => {
    const adapter = new MemoryAdapter(model, store);
    if (model === 'Client' && args['pkjwt-jwks']) {
      const find = adapter.find.bind(adapter);
      adapter.find = async (id) => (id === 'eca-pkjwt' ? pkjwtClient() : find(id));
    }
    return adapter;
  },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  responseTypes: ['code'],
  // HS256 too, for the client that signs its ID tokens with its secret (eca-hs256).
  enabledJWA: { idTokenSigningAlgValues: ['RS256', 'HS256'] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'phone'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    pushedAuthorizationRequests: {
      enabled: args.par || args['par-required'],
      requirePushedAuthorizationRequests: args['par-required'],
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const user = USERS[sub];
    if (!user) return undefined;
    return { accountId: sub, claims: async () => ({ ...user.claims }) };
  },
});

if (args['no-s256']) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/.well-known/openid-configuration') delete ctx.body.code_challenge_methods_supported;
  });
}

const providerCallback = provider.callback();

server.on('request', async (req, res) => {
  const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(req.url);
  if (!match) return providerCallback(req, res);
  try {
    await interaction(req, res, match[2] ?? '');
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 400, page('Error', `<p>${escapeHtml(err.message)}</p>`));
  }
});

async function interaction(req, res, action) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;

  if (req.method === 'GET' && action === '' && prompt.name === 'login') {
    return send(res, 200, loginPage(uid, params.client_id));
  }
  if (req.method === 'GET' && action === '' && prompt.name === 'consent') {
    return consent(req, res, details);
  }
  if (req.method === 'POST' && action === '/login') {
    const form = new URLSearchParams(await readBody(req));
    const username = form.get('username') ?? '';
    const user = Object.hasOwn(USERS, username) ? USERS[username] : undefined;
    if (!user || user.password !== form.get('password')) {
      return send(res, 401, loginPage(uid, params.client_id, 'Wrong username or password.'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: username } }, {
      mergeWithLastSubmission: false,
    });
  }
  if (req.method === 'POST' && action === '/abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'The user cancelled the sign-in.',
    }, { mergeWithLastSubmission: false });
  }
  send(res, 405, page('Not allowed', '<p>Unexpected request for this sign-in step.</p>'));
}

// Consent is automatic: grant whatever the authorization request asked for.
async function consent(req, res, details) {
  const { prompt: { details: missing }, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const savedId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId: savedId } }, {
    mergeWithLastSubmission: true,
  });
}

function loginPage(uid, clientId, error) {
  return page('Sign in', `
    <h1>Sign in to ${escapeHtml(clientId)}</h1>
    ${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
    <form method="post" action="/interaction/${uid}/login">
      <label>Username <input name="username" autocomplete="username" required autofocus></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>
    <form method="post" action="/interaction/${uid}/abort">
      <button type="submit">Cancel</button>
    </form>`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body>${body}</body></html>`;
}

function send(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(html);
}

async function readBody(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 64 * 1024) throw new Error('form too large');
  }
  return body;
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Only a pipe "closes": a TTY or /dev/null on stdin must not stop the provider.
if (fstatSync(0).isFIFO() || fstatSync(0).isSocket()) {
  process.stdin.on('end', stop).on('close', stop).resume();
}

process.stdout.write(`READY ${issuer}\n`);
