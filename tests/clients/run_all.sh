#!/usr/bin/env bash
# Real-client checks: drive the official SDKs (boto3, the AWS CLI, the Huawei OBS SDK, the QingStor
# SDK), unmodified, against a mock-server binary.
#
#   tests/clients/run_all.sh [BINARY]        (default BINARY: target/release/mock-server)
#
# Every check starts its own fresh server on 127.0.0.1 port 0 (so no state leaks between checks),
# waits for the line with its URL, runs one client script against it and stops it again. Each
# script prints `PASS <name>` / `FAIL <name>: <reason>` per sub-check; this driver prints one
# summary line per check and at the end a line `N passed, N failed` counting the sub-checks (a
# check that dies without reporting, or whose server does not come up, counts as one failure).
# Exit status: 0 only if nothing failed.
#
# Environment:
#   CLIENTS_VENV           virtualenv to create/reuse (default: <repo>/.venv-clients)
#   CLIENTS_ONLY           space-separated check names to run (default: all; see list_checks)
#   CLIENTS_LOG_DIR        where server and client logs go (default: <repo>/target/clients-logs)
#   CLIENTS_READY_TIMEOUT  seconds to wait for a server's ready line (default 30)
#   CLIENTS_CHECK_TIMEOUT  seconds one client script may run (default 600)
#   CLIENTS_SKIP_INSTALL   set to 1 to skip `pip install` (offline re-runs)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/target/release/mock-server}
VENV=${CLIENTS_VENV:-$ROOT/.venv-clients}
LOG_DIR=${CLIENTS_LOG_DIR:-$ROOT/target/clients-logs}
READY_TIMEOUT=${CLIENTS_READY_TIMEOUT:-30}
CHECK_TIMEOUT=${CLIENTS_CHECK_TIMEOUT:-600}

# Test credentials (public documentation examples, also used in shared/captures).
S3_AK=AKIAIOSFODNN7EXAMPLE
S3_SK=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
QS_AK=QYACCESSKEYIDEXAMPLE
QS_SK=SECRETACCESSKEY0EXAMPLE0QINGSTOR0SECRET
S3_MIN_PART=5242880

list_checks() {
  echo s3-http s3-https s3-auth-http s3-auth-https \
    awscli-http awscli-https \
    obs-ip obs-hostname obs-auth-ip obs-auth-hostname \
    qingstor-zone-empty qingstor-zone-proxy qingstor-auth \
    mixed-autodetect mixed-autodetect-auth
}

log() { printf '%s\n' "$*"; }

if [[ "$BIN" != /* ]]; then BIN="$PWD/$BIN"; fi
if [[ ! -x "$BIN" ]]; then
  log "run_all.sh: server binary '$BIN' not found or not executable (build it: cargo build --release -p mock-server)"
  log "0 passed, 1 failed"
  exit 1
fi

rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR"

# ---------------------------------------------------------------------------------------------
# the one server we run at a time; only processes we started are ever signalled

SERVER_PID=""

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  log "   (pid $pid ignored SIGTERM for 5 s; sending SIGKILL)"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  if [[ -n "$SERVER_PID" ]]; then stop_pid "$SERVER_PID"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# virtualenv with the pinned SDKs

setup_venv() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "== creating virtualenv $VENV"
    if ! python3 -m venv "$VENV"; then
      # Debian without python3-venv: fall back to the virtualenv package from PyPI
      log "   python3 -m venv failed; trying virtualenv from PyPI"
      rm -rf "$VENV"
      python3 -m pip install -q --user virtualenv && python3 -m virtualenv -q "$VENV" || return 1
    fi
    printf '*\n' >"$VENV/.gitignore"   # never committed, wherever it lives
  fi
  [[ -f "$VENV/.gitignore" ]] || printf '*\n' >"$VENV/.gitignore"
  if [[ "${CLIENTS_SKIP_INSTALL:-0}" == 1 ]]; then return 0; fi
  local want have
  want=$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)
  have=$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)
  if [[ "$want" != "$have" ]]; then
    log "== installing tests/clients/requirements.txt into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$HERE/requirements.txt" \
      || return 1
    echo "$want" >"$VENV/.requirements.sha256"
  fi
}

t0=$SECONDS
if ! setup_venv; then
  log "run_all.sh: could not set up the virtualenv $VENV"
  log "0 passed, 1 failed"
  exit 1
fi
PY="$VENV/bin/python"
log "== venv ready ($((SECONDS - t0)) s): $("$PY" --version 2>&1), $("$VENV/bin/aws" --version 2>&1)"

# Hermetic client environment: no user AWS config, no instance metadata, no proxies.
export AWS_CONFIG_FILE="$LOG_DIR/no-aws-config"
export AWS_SHARED_CREDENTIALS_FILE="$LOG_DIR/no-aws-credentials"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL \
  AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CA_BUNDLE \
  HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
export HOME_FOR_CLIENTS="$LOG_DIR/home"
mkdir -p "$HOME_FOR_CLIENTS"

# ---------------------------------------------------------------------------------------------
# server lifecycle

ENDPOINT=""
CA_BUNDLE=""

# start_server ARGS... : start a fresh server, wait for its ready line; sets ENDPOINT, CA_BUNDLE.
start_server() {
  local out="$LOG_DIR/$CHECK.server.stdout" err="$LOG_DIR/$CHECK.server.stderr"
  local tls=0 a
  for a in "$@"; do [[ "$a" == --tls ]] && tls=1; done
  ENDPOINT="" CA_BUNDLE=""
  echo "$BIN --listen 127.0.0.1:0 $*" >"$LOG_DIR/$CHECK.server.cmd"
  "$BIN" --listen 127.0.0.1:0 "$@" >"$out" 2>"$err" </dev/null &
  SERVER_PID=$!
  local deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    ENDPOINT=$(grep -oE 'https?://[][A-Za-z0-9.:-]+:[0-9]+' "$out" 2>/dev/null | head -n1 || true)
    if [[ -n "$ENDPOINT" ]]; then
      if ((tls)); then
        # the PEM path: the first token ending in .pem (give the line a moment if it comes late)
        local i
        for i in $(seq 1 20); do
          CA_BUNDLE=$(grep -ohE "[^[:space:]\"'=]+\.pem" "$out" "$err" 2>/dev/null | head -n1 || true)
          [[ -n "$CA_BUNDLE" ]] && break
          sleep 0.1
        done
        if [[ -z "$CA_BUNDLE" || ! -f "$CA_BUNDLE" ]]; then
          log "   server printed no readable .pem path with --tls (got '${CA_BUNDLE}')"
          return 1
        fi
      fi
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null
      log "   server exited with status $? before printing its URL"
      return 1
    fi
    sleep 0.1
  done
  log "   server printed no http(s)://HOST:PORT line within ${READY_TIMEOUT} s"
  return 1
}

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then stop_pid "$SERVER_PID"; fi
  SERVER_PID=""
}

show_server_log() {
  local f
  for f in "$LOG_DIR/$CHECK.server.stdout" "$LOG_DIR/$CHECK.server.stderr"; do
    if [[ -s "$f" ]]; then
      log "   --- last lines of $(basename "$f"):"
      tail -n 25 "$f" | sed 's/^/   | /'
    fi
  done
}

# run_client SCRIPT ARGS... : run one client script with a timeout; its output goes to the check
# log, and its PASS/FAIL lines also to the console as they come.
run_client() {
  local script=$1
  shift
  HOME="$HOME_FOR_CLIENTS" timeout --kill-after=10 "$CHECK_TIMEOUT" \
    "$PY" "$HERE/$script" "$@" </dev/null 2>&1 |
    tee -a "$CLOG" | grep --line-buffered -E '^(PASS|FAIL) ' | sed -u 's/^/  /'
  return "${PIPESTATUS[0]}"
}

# ---------------------------------------------------------------------------------------------
# the checks: each starts its server, runs a client, stops the server

s3_args() { echo --endpoint "$ENDPOINT" ${CA_BUNDLE:+--ca-bundle "$CA_BUNDLE"}; }

check_s3-http() {
  start_server --min-part-size $S3_MIN_PART || return 1
  run_client s3_boto3.py $(s3_args)
}
check_s3-https() {
  start_server --min-part-size $S3_MIN_PART --tls || return 1
  AWS_CA_BUNDLE="$CA_BUNDLE" run_client s3_boto3.py $(s3_args)
}
check_s3-auth-http() {
  start_server --min-part-size $S3_MIN_PART --access-key $S3_AK --secret-key $S3_SK || return 1
  run_client s3_boto3.py $(s3_args) --access-key $S3_AK --secret-key $S3_SK --auth
}
check_s3-auth-https() {
  # signatures over aws-chunked bodies; the 64 MiB transfers already ran in s3-https
  start_server --min-part-size $S3_MIN_PART --tls --access-key $S3_AK --secret-key $S3_SK || return 1
  run_client s3_boto3.py $(s3_args) --access-key $S3_AK --secret-key $S3_SK --auth --skip-large
}
check_awscli-http() {
  start_server --min-part-size $S3_MIN_PART || return 1
  run_client awscli.py $(s3_args) --aws "$VENV/bin/aws"
}
check_awscli-https() {
  start_server --min-part-size $S3_MIN_PART --tls || return 1
  run_client awscli.py $(s3_args) --aws "$VENV/bin/aws"
}
obs_host_endpoint() { echo "${ENDPOINT/127.0.0.1/localhost}"; }
check_obs-ip() {
  start_server --dialect obs || return 1
  run_client obs_sdk.py --endpoint "$ENDPOINT"
}
check_obs-hostname() {
  start_server --dialect obs || return 1
  run_client obs_sdk.py --endpoint "$(obs_host_endpoint)"
}
check_obs-auth-ip() {
  start_server --dialect obs --access-key $S3_AK --secret-key $S3_SK || return 1
  run_client obs_sdk.py --endpoint "$ENDPOINT" --access-key $S3_AK --secret-key $S3_SK --auth
}
check_obs-auth-hostname() {
  start_server --dialect obs --access-key $S3_AK --secret-key $S3_SK || return 1
  run_client obs_sdk.py --endpoint "$(obs_host_endpoint)" --access-key $S3_AK --secret-key $S3_SK --auth
}
check_qingstor-zone-empty() {
  start_server --dialect qingstor || return 1
  run_client qingstor_sdk.py --endpoint "$ENDPOINT" --zone ""
}
check_qingstor-zone-proxy() {
  start_server --dialect qingstor || return 1
  run_client qingstor_sdk.py --endpoint "$ENDPOINT" --zone pek3b --via-proxy
}
check_qingstor-auth() {
  start_server --dialect qingstor --access-key $QS_AK --secret-key $QS_SK || return 1
  run_client qingstor_sdk.py --endpoint "$ENDPOINT" --zone "" --access-key $QS_AK --secret-key $QS_SK --auth
}

check_mixed-autodetect() {
  # one server without --dialect: it must tell the three SDKs apart per request (and apply
  # each dialect's default minimum part size); the clients run one after the other
  start_server || return 1
  local rc=0
  run_client obs_sdk.py --endpoint "$ENDPOINT" --suite-name "obs_sdk[ip,autodetect]" || rc=1
  run_client obs_sdk.py --endpoint "$(obs_host_endpoint)" \
    --suite-name "obs_sdk[hostname,autodetect]" || rc=1
  run_client qingstor_sdk.py --endpoint "$ENDPOINT" --zone "" \
    --suite-name "qingstor_sdk[autodetect]" || rc=1
  run_client s3_boto3.py --endpoint "$ENDPOINT" --skip-large --suite-name "s3_boto3[autodetect]" || rc=1
  return $rc
}

check_mixed-autodetect-auth() {
  # the same without --dialect, with keys of both vendors: signatures of every scheme are
  # verified on one port, wrong secrets refused in each dialect's own form; QingStor also
  # with its zone through the proxy (absolute-form targets)
  start_server --access-key $S3_AK --secret-key $S3_SK --access-key $QS_AK --secret-key $QS_SK \
    || return 1
  local rc=0 s3=(--access-key $S3_AK --secret-key $S3_SK --auth)
  local qs=(--access-key $QS_AK --secret-key $QS_SK --auth)
  run_client obs_sdk.py --endpoint "$ENDPOINT" "${s3[@]}" \
    --suite-name "obs_sdk[ip,autodetect+auth]" || rc=1
  run_client obs_sdk.py --endpoint "$(obs_host_endpoint)" "${s3[@]}" \
    --suite-name "obs_sdk[hostname,autodetect+auth]" || rc=1
  run_client qingstor_sdk.py --endpoint "$ENDPOINT" --zone "" "${qs[@]}" \
    --suite-name "qingstor_sdk[autodetect+auth]" || rc=1
  run_client qingstor_sdk.py --endpoint "$ENDPOINT" --zone pek3b --via-proxy "${qs[@]}" \
    --suite-name "qingstor_sdk[pek3b+proxy,autodetect+auth]" || rc=1
  run_client s3_boto3.py $(s3_args) "${s3[@]}" --skip-large \
    --suite-name "s3_boto3[autodetect+auth]" || rc=1
  return $rc
}

# ---------------------------------------------------------------------------------------------

TOTAL_PASS=0
TOTAL_FAIL=0
declare -a SUMMARY=()

run_check() {
  CHECK=$1
  CLOG="$LOG_DIR/$CHECK.client.log"
  : >"$CLOG"
  local start=$SECONDS rc p f status=PASS why=""
  log ""
  log "== $CHECK"
  "check_$CHECK"
  rc=$?
  stop_server
  p=$(grep -c '^PASS ' "$CLOG" || true)
  f=$(grep -c '^FAIL ' "$CLOG" || true)
  if ! grep -q '^RESULT ' "$CLOG"; then
    f=$((f + 1))
    status=FAIL
    why=" (no RESULT line: server did not start, or the client crashed/timed out; exit $rc)"
    if [[ -s "$CLOG" ]]; then
      log "  --- last lines of $CHECK.client.log:"
      grep -vE '^(PASS|FAIL) ' "$CLOG" | tail -n 20 | sed 's/^/  | /'
    fi
  elif ((f > 0 || rc != 0)); then
    status=FAIL
    if ((f == 0)); then f=1; why=" (exit $rc without FAIL lines)"; fi
  fi
  if [[ $status == FAIL ]]; then show_server_log; fi
  TOTAL_PASS=$((TOTAL_PASS + p))
  TOTAL_FAIL=$((TOTAL_FAIL + f))
  local line
  line=$(printf '%-4s %-20s %3d passed, %2d failed, %4d s%s' "$status" "$CHECK" "$p" "$f" \
    $((SECONDS - start)) "$why")
  SUMMARY+=("$line")
  log "$line"
}

checks=${CLIENTS_ONLY:-$(list_checks)}
for c in $checks; do
  if ! declare -F "check_$c" >/dev/null; then
    log "unknown check '$c' (known: $(list_checks))"
    TOTAL_FAIL=$((TOTAL_FAIL + 1))
    continue
  fi
  run_check "$c"
done

log ""
log "== summary (logs in $LOG_DIR, $((SECONDS - t0)) s)"
for line in "${SUMMARY[@]}"; do log "  $line"; done
log "$TOTAL_PASS passed, $TOTAL_FAIL failed"
((TOTAL_FAIL == 0))
