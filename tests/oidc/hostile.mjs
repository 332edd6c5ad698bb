// A hostile "OpenID provider" on loopback: what a careful relying party must refuse.
//
//   node tests/oidc/hostile.mjs --mode issuer-mismatch|huge|redirect [--port N]
//
// Like provider.mjs it prints exactly one line, `READY <its-url>` (no trailing slash), and runs
// until SIGTERM/SIGINT, or until stdin closes when stdin is a pipe. Modes, all on
// GET /.well-known/openid-configuration:
// - issuer-mismatch: a well-formed document whose `issuer` is `<its-url>/other`.
// - huge:            a 2 MiB body sent chunked, with no Content-Length, so only a client that
//                    counts bytes as they arrive can stop early.
// - redirect:        302 to `<its-url>/elsewhere/.well-known/openid-configuration`, which serves
//                    a document valid for `<its-url>`: a client that followed it would pass.

import { fstatSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    mode: { type: 'string' },
  },
});
const MODES = ['issuer-mismatch', 'huge', 'redirect'];
if (!MODES.includes(args.mode)) {
  console.error(`usage: node hostile.mjs --mode ${MODES.join('|')} [--port N]`);
  process.exit(2);
}

const DISCOVERY = '/.well-known/openid-configuration';
let base;

function document(issuer) {
  return {
    issuer,
    authorization_endpoint: `${base}/auth`,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  };
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const path = new URL(req.url, base).pathname;
  if (args.mode === 'issuer-mismatch' && path === DISCOVERY) {
    return json(res, 200, document(`${base}/other`));
  }
  if (args.mode === 'huge' && path === DISCOVERY) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`{"issuer": "${base}", "padding": "`);
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    const more = () => {
      // The client hangs up once it has seen enough: stop writing then.
      while (sent < 32 && !res.destroyed) {
        sent += 1;
        if (!res.write(chunk)) return res.once('drain', more);
      }
      if (!res.destroyed) res.end('"}');
    };
    res.on('error', () => {});
    return more();
  }
  if (args.mode === 'redirect' && path === DISCOVERY) {
    res.writeHead(302, { location: `${base}/elsewhere${DISCOVERY}` });
    return res.end();
  }
  if (args.mode === 'redirect' && path === `/elsewhere${DISCOVERY}`) {
    return json(res, 200, document(base));
  }
  json(res, 404, { error: 'not_found' });
});

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(args.port), '127.0.0.1', resolve);
});
base = `http://127.0.0.1:${server.address().port}`;

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (fstatSync(0).isFIFO() || fstatSync(0).isSocket()) {
  process.stdin.on('end', stop).on('close', stop).resume();
}

process.stdout.write(`READY ${base}\n`);
