// A real OpenID provider (npm `oidc-provider`) on loopback, for ECA Admin's tests.
//
//   node tests/oidc/provider.mjs [--port N] [--clients FILE] [--store-size N] [--extra-redirect URI]...
//                                [--auth-methods M,M] [--no-s256] [--issuer-path /P]
//                                [--par | --par-required]
//                                [--pkjwt-jwks FILE] [--quirks [--pkjwt-certs FILE]]
//                                [--client-auth-log FILE]
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
// --quirks serves, instead of one provider at the origin, one provider per IdP quirk the presets
// know (src-tauri/crates/eca-model/presets.json), each mounted at the path a preset's issuer
// has once its `https://` is replaced by `<origin>/` (the quirks table below: Entra's
// multi-tenant issuers, Keycloak's realm paths, Okta's org and custom servers, Auth0's trailing
// slash, Google's loopback-only client, Cognito's userinfo, PingOne's environments). The same
// port on 127.0.0.2 serves what a preset names on another host (Cognito's userinfo on the user
// pool's domain). Entra's providers take a client assertion only when its header names a
// certificate registered in --pkjwt-certs FILE (PEM, read at every request) by its thumbprint,
// x5t (SHA-1) or x5t#S256 (SHA-256), and each one it names: Entra ID finds the app's
// certificate that way (the key still comes from --pkjwt-jwks, as oidc-provider selects it by
// kid). Users there carry Entra's tenant id (`tid`) and object id (`oid`) in their ID
// tokens: alice's tenant is the one the multi-tenant providers' tokens name, bob's another
// (password `builder`).
//
// --client-auth-log FILE appends one JSON line per request to a token or PAR endpoint, before
// the provider answers it: {endpoint, client_id, method, secret_sha256}, how the client
// authenticated (client_secret_basic, client_secret_post, a client assertion, or none) and the
// SHA-256 (hex) of the secret it presented, not the secret (the test clients' secrets are
// fixed and public anyway). A test tells a wrong secret sent from none sent that way: the
// provider answers invalid_client to both.
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

import { X509Certificate, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, fstatSync, readFileSync } from 'node:fs';
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
    quirks: { type: 'boolean', default: false },
    'pkjwt-certs': { type: 'string' },
    'client-auth-log': { type: 'string' },
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

// Entra tenants (directory ids): alice's, and another one (bob's).
const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const OTHER_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ENTRA = '/login.microsoftonline.com';
const PINGONE = '/auth.pingone.eu';
const ENVIRONMENT = '3f1b6b5e-8d8c-4a4e-9f6e-1a2b3c4d5e6f';
const OTHER_ENVIRONMENT = '0b7c4f2e-1d3a-4e5b-8c9d-0e1f2a3b4c5d';
/** A provider whose discovery names its own issuer (`mount`) but whose tokens name `other`. */
function otherTokens(mount, other) {
  return { mount, issuer: other, discovery: { issuer: mount } };
}

// The providers of --quirks. mount: where it serves; issuer: what its tokens (and RFC 9207
// iss parameter) say, the mount by default; discovery: what its discovery document says
// instead (an issuer with a placeholder, a userinfo endpoint elsewhere); clients: its own.
// A provider whose discovery names another issuer than its tokens sends no iss parameter (as Entra
// does not), so the ID token check is the one that decides.
const QUIRKS = [
  // Entra multi-tenant: discovery names the {tenantid} template; tokens the user's tenant.
  ...['common', 'organizations'].map((tenant) => ({
    mount: `${ENTRA}/${tenant}/v2.0`,
    issuer: `${ENTRA}/${TENANT}/v2.0`,
    discovery: { issuer: `${ENTRA}/{tenantid}/v2.0` },
    thumbprint: true,
  })),
  // A multi-tenant value whose discovery names another template than the preset's.
  {
    mount: `${ENTRA}/consumers/v2.0`,
    issuer: `${ENTRA}/${TENANT}/v2.0`,
    discovery: { issuer: `${ENTRA}/{tenant}/v2.0` },
  },
  // Entra single-tenant: the exact issuer.
  { mount: `${ENTRA}/${TENANT}/v2.0`, thumbprint: true },
  // Keycloak: the realm's path, /auth before Keycloak 17; a realm whose tokens are another's.
  { mount: '/sso.acme.com/realms/customers' },
  { mount: '/sso.acme.com/auth/realms/customers' },
  otherTokens('/sso.acme.com/realms/staff', '/sso.acme.com/realms/customers'),
  // Okta: the org server and a custom server; then each handing out the other's tokens.
  { mount: '/acme.okta.com' },
  { mount: '/acme.okta.com/oauth2/default' },
  otherTokens('/other.okta.com', '/other.okta.com/oauth2/default'),
  otherTokens('/other.okta.com/oauth2/default', '/other.okta.com'),
  // Auth0: the issuer ends with a slash.
  { mount: '/acme.eu.auth0.com', issuer: '/acme.eu.auth0.com/' },
  // Google: no trailing slash; its client takes loopback redirects only.
  {
    mount: '/accounts.google.com',
    clients: DEFAULT_CLIENTS.map((c) => ({
      ...c,
      redirect_uris: c.redirect_uris.filter((uri) => uri.startsWith('http://127.0.0.1')),
    })),
  },
  // Cognito: discovery names a userinfo endpoint on the issuer's host that serves none; the
  // real one is the user pool domain's /oauth2/userInfo (on 127.0.0.2, see COGNITO_USERINFO).
  {
    mount: '/cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC',
    discovery: { userinfo_endpoint: '/cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/userInfo' },
  },
  // PingOne: one issuer per environment; an environment whose tokens are another's.
  { mount: `${PINGONE}/${ENVIRONMENT}/as` },
  otherTokens(`${PINGONE}/${OTHER_ENVIRONMENT}/as`, `${PINGONE}/${ENVIRONMENT}/as`),
];
const COGNITO_USERINFO = {
  path: '/acme.auth.eu-west-1.amazoncognito.com/oauth2/userInfo',
  mount: '/cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC',
};

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
      tid: TENANT,
      oid: 'a1b2c3d4-0000-4000-8000-00000000a11c',
    },
  },
  bob: {
    password: 'builder',
    claims: {
      sub: 'bob',
      name: 'Bob',
      email: 'bob@example.test',
      tid: OTHER_TENANT,
      oid: 'b0b0b0b0-0000-4000-8000-000000000b0b',
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

/** An oidc-provider calling itself `issuer`, with these clients; `quirk` as in QUIRKS. */
function createProvider(issuer, clients, quirk) {
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
      openid: quirk ? ['sub', 'tid', 'oid'] : ['sub'],
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
    // The quirk providers put the tenant (tid) and the scopes' claims in the ID token, as Entra does.
    ...(quirk ? { conformIdTokenClaims: false } : {}),
    interactions: { url: (ctx, interaction) => `${quirk?.mount ?? ''}/interaction/${interaction.uid}` },
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
  if (quirk) provider.use(quirkMiddleware(quirk));
  return provider;
}

/** What a quirk provider says differently: its discovery document, and no RFC 9207 iss. */
function quirkMiddleware(quirk) {
  const noIss = Boolean(quirk.discovery?.issuer);
  return async (ctx, next) => {
    await next();
    if (ctx.path === '/.well-known/openid-configuration') {
      for (const [member, path] of Object.entries(quirk.discovery ?? {})) {
        ctx.body[member] = `${origin}${path}`;
      }
      if (noIss) delete ctx.body.authorization_response_iss_parameter_supported;
    }
    const location = ctx.response.get('location');
    if (noIss && location?.includes('iss=')) {
      const url = new URL(location);
      url.searchParams.delete('iss');
      ctx.redirect(url.href);
    }
  };
}

/** The one provider at the origin, or the quirk providers at their mounts (longest first). */
const mounts = args.quirks
  ? QUIRKS.map((quirk) => ({
    quirk,
    prefix: quirk.mount,
    provider: createProvider(`${origin}${quirk.issuer ?? quirk.mount}`, quirk.clients ?? clients, quirk),
  })).sort((a, b) => b.prefix.length - a.prefix.length)
  : [{ prefix: '', provider: createProvider(issuer, clients, undefined) }];
for (const mount of mounts) mount.callback = mount.provider.callback();

/** The mount serving `path`: its prefix is the path or a whole leading segment of it. */
function mountOf(path) {
  return mounts.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
}

/** Hands `req` to `mount`'s provider as `url`, so it computes its own URLs with the prefix. */
function forward(mount, req, res, url) {
  req.originalUrl = req.url;
  req.url = url || '/';
  return mount.callback(req, res);
}

server.on('request', async (req, res) => {
  const path = req.url.split('?')[0];
  const mount = mountOf(path);
  if (!mount) return send(res, 404, page('Not found', '<p>No provider here.</p>'));
  const rest = req.url.slice(mount.prefix.length);
  const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(rest);
  try {
    const backChannel = !match && req.method === 'POST' && /^\/(token|request)$/.test(rest);
    if (backChannel && (mount.quirk?.thumbprint || args['client-auth-log'])) {
      // Read here to look at the client's credentials; oidc-provider then takes the body from
      // req.body.
      req.body = await readBody(req);
      const form = new URLSearchParams(req.body);
      if (args['client-auth-log']) {
        const line = { endpoint: rest.slice(1), ...clientAuthentication(req.headers, form) };
        appendFileSync(args['client-auth-log'], `${JSON.stringify(line)}\n`);
      }
      const refusal = mount.quirk?.thumbprint && certificateRefusal(form);
      if (refusal) return sendJson(res, 401, { error: 'invalid_client', error_description: refusal });
    }
    if (!match) return forward(mount, req, res, rest);
    await interaction(mount.provider, req, res, match[2] ?? '');
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 400, page('Error', `<p>${escapeHtml(err.message)}</p>`));
  }
});

// Cognito's user pool domain: another origin (127.0.0.2, the same port) that serves the pool's
// userinfo at /oauth2/userInfo, the provider's own /me.
const poolDomain = createServer((req, res) => {
  const [path, query] = req.url.split('?');
  const mount = mounts.find(({ prefix }) => prefix === COGNITO_USERINFO.mount);
  if (path !== COGNITO_USERINFO.path || !mount) return send(res, 404, page('Not found', '<p>No userinfo here.</p>'));
  return forward(mount, req, res, query ? `/me?${query}` : '/me');
});
if (args.quirks) {
  await new Promise((resolve, reject) => {
    poolDomain.once('error', reject);
    poolDomain.listen(server.address().port, '127.0.0.2', resolve);
  });
}

/** Why Entra would refuse the client assertion of this token request; undefined: it would not. */
function certificateRefusal(form) {
  const assertion = form.get('client_assertion');
  if (!assertion) return undefined;
  let header;
  try {
    header = JSON.parse(Buffer.from(assertion.split('.')[0], 'base64url').toString());
  } catch {
    return 'The client assertion is not a JWT.';
  }
  const named = [['x5t', 'sha1'], ['x5t#S256', 'sha256']].filter(([member]) => member in header);
  if (named.length === 0) return 'The client assertion names no certificate (x5t or x5t#S256).';
  const certificates = registeredCertificates();
  const known = (hash, thumbprint) => certificates.some(
    (der) => createHash(hash).update(der).digest('base64url') === thumbprint,
  );
  const unknown = named.find(([member, hash]) => !known(hash, header[member]));
  if (unknown) return `The certificate named by ${unknown[0]} is not registered for this application.`;
  return undefined;
}

/** The DER of each certificate in --pkjwt-certs FILE (none while it is missing). */
function registeredCertificates() {
  let text = '';
  try {
    text = readFileSync(args['pkjwt-certs'], 'utf8');
  } catch {
    return [];
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return pems.map((pem) => new X509Certificate(pem).raw);
}

/** How a back-channel request authenticated its client (--client-auth-log): never the secret. */
function clientAuthentication(headers, form) {
  const sha256 = (secret) => (secret == null ? null : createHash('sha256').update(secret).digest('hex'));
  const basic = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (basic) {
    // RFC 6749 §2.3.1: each part form-urlencoded, then joined by the first ':'.
    const decoded = Buffer.from(basic[1], 'base64').toString();
    const colon = decoded.indexOf(':');
    const part = (s) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s; // a malformed escape: logged as sent; oidc-provider refuses the credentials
      }
    };
    const [id, secret] = colon < 0 ? [decoded, null] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    return { client_id: part(id), method: 'client_secret_basic', secret_sha256: sha256(secret === null ? null : part(secret)) };
  }
  const clientId = form.get('client_id');
  if (form.has('client_secret')) {
    return { client_id: clientId, method: 'client_secret_post', secret_sha256: sha256(form.get('client_secret')) };
  }
  const method = form.has('client_assertion') ? 'client_assertion' : 'none';
  return { client_id: clientId, method, secret_sha256: null };
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function interaction(provider, req, res, action) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  // The interaction's own path (with a quirk provider's mount), which the form posts under.
  const here = req.url.split('?')[0].replace(/\/(login|abort)$/, '');

  if (req.method === 'GET' && action === '' && prompt.name === 'login') {
    return send(res, 200, loginPage(here, params.client_id));
  }
  if (req.method === 'GET' && action === '' && prompt.name === 'consent') {
    return consent(provider, req, res, details);
  }
  if (req.method === 'POST' && action === '/login') {
    const form = new URLSearchParams(await readBody(req));
    const username = form.get('username') ?? '';
    const user = Object.hasOwn(USERS, username) ? USERS[username] : undefined;
    if (!user || user.password !== form.get('password')) {
      return send(res, 401, loginPage(here, params.client_id, 'Wrong username or password.'));
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
async function consent(provider, req, res, details) {
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

/** The sign-in form of the interaction at the path `here`. */
function loginPage(here, clientId, error) {
  return page('Sign in', `
    <h1>Sign in to ${escapeHtml(clientId)}</h1>
    ${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
    <form method="post" action="${here}/login">
      <label>Username <input name="username" autocomplete="username" required autofocus></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>
    <form method="post" action="${here}/abort">
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
  if (poolDomain.listening) {
    poolDomain.close();
    poolDomain.closeAllConnections();
  }
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Only a pipe "closes": a TTY or /dev/null on stdin must not stop the provider.
if (fstatSync(0).isFIFO() || fstatSync(0).isSocket()) {
  process.stdin.on('end', stop).on('close', stop).resume();
}

process.stdout.write(`READY ${issuer}\n`);
