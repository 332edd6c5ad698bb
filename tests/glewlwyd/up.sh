#!/usr/bin/env bash
# Starts a throw-away Glewlwyd (Debian package `glewlwyd`, an OpenID Certified provider) on
# 127.0.0.1 and provisions it over its admin REST API, for login tests. See README.md here.
#
#   tests/glewlwyd/up.sh [--dir DIR] [--port N] [--redirect-uri URI]... [--watch-pid PID]
#
# Provisioned: SQLite storage; the OIDC plugin `oidc` (RS256, PKCE S256, code flow, the RFC 9207
# `iss` response parameter on); the scopes `profile` and `email`; one confidential client
# (client_secret_basic only) whose redirect URIs are exactly those given (--redirect-uri, or
# GLEWLWYD_REDIRECT_URIS, space-separated); the user alice, who may be granted every scope.
#
# On success it prints one line on stdout and exits, leaving glewlwyd running in the background:
#   READY <base url> issuer=<issuer> client_id=<id> client_secret=<secret> user=alice
#         password=<password> pid=<pid> dir=<dir>
# (one line; values never contain spaces). Stop it with `tests/glewlwyd/down.sh DIR`, or by its
# pid. With --watch-pid PID, it is also stopped once that process has gone (a test runner that
# died without cleaning up). Everything lives in DIR (default: a new temporary folder).
#
# Invariants: it listens on 127.0.0.1 only; it never touches a system-wide glewlwyd; a port is
# free when chosen (with --port, a taken port is an error; without, another is tried).
set -euo pipefail

die() { printf 'glewlwyd/up.sh: %s\n' "$*" >&2; exit 1; }

DIR="" PORT="" WATCH_PID=""
read -r -a REDIRECT_URIS <<<"${GLEWLWYD_REDIRECT_URIS:-}"
while (($#)); do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --redirect-uri) REDIRECT_URIS+=("$2"); shift 2 ;;
    --watch-pid) WATCH_PID=$2; shift 2 ;;
    *) die "unknown argument $1 (see the header of this script)" ;;
  esac
done
((${#REDIRECT_URIS[@]})) || die "give at least one --redirect-uri (or GLEWLWYD_REDIRECT_URIS)"

for tool in glewlwyd sqlite3 openssl curl jq; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run \`make deps\` (it installs glewlwyd, sqlite3, openssl, curl and jq)"
done
INIT_SQL=/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz
[[ -f $INIT_SQL ]] || die "$INIT_SQL is missing: run \`make deps\` to install the glewlwyd package"

DIR=${DIR:-$(mktemp -d "${TMPDIR:-/tmp}/glewlwyd.XXXXXX")}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
[[ ! -e $DIR/glewlwyd.db ]] || die "$DIR already holds a glewlwyd database: give a new or empty --dir"

CLIENT_ID=eca-glewlwyd
CLIENT_SECRET=$(openssl rand -hex 24)   # unreserved characters: Glewlwyd reads Basic credentials raw
USER_NAME=alice
USER_PASSWORD=$(openssl rand -hex 12)

# 1. A fresh database from the shipped script: admin/password, scopes g_admin, g_profile and
#    openid, and the "database" user and client back ends.
zcat "$INIT_SQL" | sqlite3 "$DIR/glewlwyd.db"

# 2. The RS256 signing key.
openssl genrsa -out "$DIR/rsa.key" 2048 2>/dev/null
openssl rsa -in "$DIR/rsa.key" -pubout -out "$DIR/rsa.pub" 2>/dev/null

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# 3. The config. Not `use_secure_connection=false`: written at all, it makes glewlwyd demand a
#    certificate and exit. external_url has no trailing slash (URLs are built as url + "/api/").
write_config() {
  cat >"$DIR/glewlwyd.conf" <<CONF
port=$1
bind_address="127.0.0.1"
external_url="http://127.0.0.1:$1"
login_url="login.html"
api_prefix="api"
log_mode="file"
log_level="DEBUG"
log_file="$DIR/glewlwyd.log"
cookie_secure=0
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
hash_algorithm="SHA512"
database = { type = "sqlite3"; path = "$DIR/glewlwyd.db"; };
CONF
}

# 4. Start it and wait until /config answers. Without --port, a port that another process took
#    between the check and the bind costs one retry on another port.
start_on() { # PORT -> 0 when it answers
  write_config "$1"
  glewlwyd --config-file="$DIR/glewlwyd.conf" >"$DIR/stdout.log" 2>&1 &
  PID=$!
  echo "$PID" >"$DIR/glewlwyd.pid"
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/config" >/dev/null 2>&1 && return 0
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.1
  done
  kill -KILL "$PID" 2>/dev/null || true
  return 1
}
if [[ -n $PORT ]]; then
  port_is_free "$PORT" || die "port $PORT on 127.0.0.1 is taken: stop what listens there or give another --port"
  start_on "$PORT" || die "glewlwyd did not start on port $PORT: $(tail -n 5 "$DIR/stdout.log" "$DIR/glewlwyd.log" 2>/dev/null)"
else
  started=""
  for _ in 1 2 3 4 5; do
    PORT=$(shuf -i 20000-59999 -n 1)
    port_is_free "$PORT" || continue
    if start_on "$PORT"; then started=1; break; fi
  done
  [[ -n $started ]] || die "glewlwyd did not start: $(tail -n 5 "$DIR/stdout.log" "$DIR/glewlwyd.log" 2>/dev/null)"
fi
BASE="http://127.0.0.1:$PORT"
ISSUER="$BASE/api/oidc"   # the plugin's name "oidc": its endpoints are under /api/oidc

# A failure from here on must not leave glewlwyd running.
trap 'kill -KILL "$PID" 2>/dev/null || true' ERR

# 5. Provisioning over the admin API, right after the admin login (g_admin wants a password
#    login younger than 600 s). Any non-2xx answer stops the script with the answer.
api() { # METHOD PATH [JSON]
  local out code
  out=$(curl -s -w '\n%{http_code}' -b "$DIR/admin.jar" -c "$DIR/admin.jar" -X "$1" \
    -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$BASE/api$2")
  code=${out##*$'\n'}
  [[ $code == 2* ]] || { kill -KILL "$PID" 2>/dev/null; die "admin API $1 $2 answered HTTP $code: ${out%$'\n'*}"; }
}
api POST /auth/ '{"username":"admin","password":"password"}'
for scope in profile email; do
  api POST /scope/ "$(jq -nc --arg s "$scope" '{name:$s, display_name:$s, description:$s,
    password_required:false, password_max_age:0, scheme:{}}')"
done
api POST /mod/plugin/ "$(jq -nc --arg iss "$ISSUER" --rawfile key "$DIR/rsa.key" \
  --rawfile cert "$DIR/rsa.pub" '{module:"oidc", name:"oidc", display_name:"OIDC", enabled:true,
  parameters:{iss:$iss, "oauth-as-iss-id":true, "jwt-type":"rsa", "jwt-key-size":"256",
    key:$key, cert:$cert, "access-token-duration":3600, "refresh-token-duration":1209600,
    "code-duration":600, "refresh-token-rolling":true, "allow-non-oidc":false,
    "auth-type-code-enabled":true, "auth-type-token-enabled":false,
    "auth-type-none-enabled":false, "auth-type-password-enabled":false,
    "auth-type-client-enabled":false, "auth-type-refresh-enabled":true, "jwks-show":true,
    "subject-type":"public", "name-claim":"on-demand", "name-claim-scope":["profile"],
    "email-claim":"on-demand", "email-claim-scope":["email"], "scope-claim":"no",
    "allowed-scope":["openid","profile","email"], "pkce-allowed":true,
    "pkce-method-plain-allowed":false, "pkce-required":false,
    "request-parameter-allow":false, "session-management-allowed":false}}')"
api POST /client/ "$(jq -nc --arg id "$CLIENT_ID" --arg secret "$CLIENT_SECRET" \
  '{client_id:$id, name:"ECA Admin tests", description:"", enabled:true, confidential:true,
    client_secret:$secret, redirect_uri:$ARGS.positional, authorization_type:["code","refresh_token"],
    token_endpoint_auth_method:["client_secret_basic"], scope:[]}' \
  --args "${REDIRECT_URIS[@]}")"
api POST /user/ "$(jq -nc --arg u "$USER_NAME" --arg pw "$USER_PASSWORD" '{username:$u,
  name:"Alice Example", email:"alice@example.test", password:$pw, enabled:true,
  scope:["openid","profile","email"]}')"
curl -sf "$ISSUER/.well-known/openid-configuration" | jq -e --arg iss "$ISSUER" '.issuer == $iss' \
  >/dev/null || { kill -KILL "$PID" 2>/dev/null; die "discovery at $ISSUER does not name its issuer"; }
rm -f "$DIR/admin.jar"
trap - ERR

# 6. Stop it when the watched process is gone (checked every second, detached from our stdout).
if [[ -n $WATCH_PID ]]; then
  nohup bash -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
    kill -KILL "$2" 2>/dev/null' glewlwyd-watch "$WATCH_PID" "$PID" >/dev/null 2>&1 &
fi

echo "READY $BASE issuer=$ISSUER client_id=$CLIENT_ID client_secret=$CLIENT_SECRET" \
  "user=$USER_NAME password=$USER_PASSWORD pid=$PID dir=$DIR"
