#!/usr/bin/env bash
# `make serve`: the mesh running itself on this machine. The online CA (`ca serve`) in the
# background; the host and the demo agent enrolled with one-time tokens (their keys are born in
# their own directories); the host serving MCP over mTLS, fetching CRLs from the CA and renewing
# its own short-lived certificate. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
ztmcp() { node --max-semi-space-size=4 dist/cli/bin.js --ca-dir "$CA_DIR" --certs-dir "$CERTS_DIR" "$@"; }
CA_DIR=${CA_DIR:-ca} CERTS_DIR=${CERTS_DIR:-certs}
HOST=${HOST:-127.0.0.1} PORT=${PORT:-8443} CA_PORT=${CA_PORT:-9443} METRICS_PORT=${METRICS_PORT:-9464}
HOST_TTL=${HOST_TTL:-10m}
CA_URL="https://127.0.0.1:$CA_PORT"

[ -f "$CA_DIR/ca.db" ] || ztmcp ca init
ztmcp ca serve --port "$CA_PORT" --url "$CA_URL" >>"$CA_DIR/ca-serve.log" 2>&1 &
ca_pid=$!
trap 'kill "$ca_pid" 2>/dev/null; wait "$ca_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS --cacert "$CA_DIR/root.pem" "$CA_URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$ca_pid" 2>/dev/null || { echo "ca serve exited; see $CA_DIR/ca-serve.log" >&2; exit 1; }
  sleep 0.1
done

# Enroll what is missing (or expired): a token from the CA, the key generated where it will live.
enroll() {
  local name=$1; shift
  if [ -f "$CERTS_DIR/$name/cert.pem" ] && openssl x509 -checkend 30 -noout -in "$CERTS_DIR/$name/cert.pem" >/dev/null 2>&1; then return; fi
  local token
  token=$(ztmcp --json token create "$name" "$@" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).token))')
  ZTMCP_ENROLL_TOKEN=$token ztmcp enroll --identity-dir "$CERTS_DIR/$name" >/dev/null
  echo "enrolled $name with a one-time token (key generated in $CERTS_DIR/$name/)"
}
enroll localhost --host --cert-ttl "$HOST_TTL"
enroll demo --role reader

cat <<MSG
online CA      $CA_URL  (logs: $CA_DIR/ca-serve.log; CRLs at $CA_URL/crl/intermediate)
metrics        http://127.0.0.1:$METRICS_PORT/metrics
the host's certificate lives $HOST_TTL and renews itself at ~2/3 of that (watch for "host.identity" "reloaded").
see a renewal now:  npx ztmcp renew --identity $CERTS_DIR/demo     (the demo agent, new key, same name and roles)
keep it renewing:   npx ztmcp renew --identity $CERTS_DIR/demo --daemon   (a running \`ztmcp connect\` moves to each new certificate)
revoke it:          npx ztmcp cert revoke demo                      (every host refuses it within ~2 s)

MSG
ztmcp serve --host "$HOST" --port "$PORT" --identity "$CERTS_DIR/localhost" --ca-url "$CA_URL" --renew --metrics-port "$METRICS_PORT"
