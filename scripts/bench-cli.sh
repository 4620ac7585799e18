#!/usr/bin/env bash
# Times what scripts do in loops: one whole process fetching 100 users, geobox-users
# (`users list --limit 100 --output json`) against the official Python SDK
# (`GeoboxClient(host=...).get_users(limit=100)`), both against the same local server,
# and prints both times and their ratio.
#
# Usage: scripts/bench-cli.sh            # starts `geobox-users serve` on a free port
#        BENCH_HOST=http://127.0.0.1:8000 BENCH_PASSWORD=... scripts/bench-cli.sh
#                                         # against a server already running (admin login)
# Knobs: RUNS (default 30), BENCH_USERNAME (default admin), BENCH_VENV (the SDK's venv,
#        default ~/.cache/geobox-users/bench-venv), CARGO_TARGET_DIR.
#
# Both clients use the same access token (fetched once), so the server's password hashing
# is not in the numbers: what is measured is process start-up, the request and decoding.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-30}
BENCH_USERNAME=${BENCH_USERNAME:-admin}
BENCH_VENV=${BENCH_VENV:-$HOME/.cache/geobox-users/bench-venv}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building the release binary"
cargo build --release --quiet --bin geobox-users
bin=$TARGET_DIR/release/geobox-users

if [[ -n ${BENCH_HOST:-} ]]; then
  host=${BENCH_HOST%/}
  password=${BENCH_PASSWORD:?set BENCH_PASSWORD for the admin of BENCH_HOST}
else
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  password="bench-$RANDOM$RANDOM"
  host="http://127.0.0.1:$port"
  echo "==> starting geobox-users serve on $host"
  GEOBOX_SERVE_ADMIN_PASSWORD=$password "$bin" serve --bind "127.0.0.1:$port" \
    --seed-users 500 --admin-username "$BENCH_USERNAME" >"$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$host/v1/auth/token/" -d "username=$BENCH_USERNAME" \
      --data-urlencode "password=$password" 2>/dev/null && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server did not start:" >&2
      cat "$work/serve.log" >&2
      exit 1
    fi
    sleep 0.2
  done
fi

token=$(curl -fsS "$host/v1/auth/token/" -d "username=$BENCH_USERNAME" \
  --data-urlencode "password=$password" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

if [[ ! -x $BENCH_VENV/bin/python ]]; then
  echo "==> installing the Python SDK into $BENCH_VENV"
  python3 -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/pip" install --quiet --disable-pip-version-check geobox aiohttp tqdm
fi

# Only these variables reach the two clients: no developer setup, no .env (empty cwd).
export GEOBOX_HOST=$host GEOBOX_ACCESS_TOKEN=$token
unset GEOBOX_APIKEY GEOBOX_USERNAME GEOBOX_PASSWORD GEOBOX_PROFILE
cd "$work"

rust_cmd="$bin users list --limit 100 --output json"
python_cmd="$BENCH_VENV/bin/python -c 'from geobox import GeoboxClient; GeoboxClient(host=\"$host\").get_users(limit=100)'"

echo "==> checking both commands work"
count=$(eval "$rust_cmd" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
echo "    geobox-users printed $count users"
eval "$python_cmd"

mean_of() { # name, command -> mean seconds
  local name=$1 cmd=$2
  if command -v hyperfine >/dev/null; then
    # No shell in between (-N): a few-millisecond command is what is being measured.
    hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$work/$name.json" \
      --command-name "$name" "$cmd" >&2
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' \
      "$work/$name.json"
  else
    local start end
    start=$(date +%s.%N)
    for _ in $(seq "$RUNS"); do eval "$cmd" >/dev/null; done
    end=$(date +%s.%N)
    python3 -c "print(($end - $start) / $RUNS)"
  fi
}

echo "==> timing $RUNS runs each"
rust_mean=$(mean_of geobox-users "$rust_cmd")
python_mean=$(mean_of python-sdk "$python_cmd")

python3 - "$rust_mean" "$python_mean" <<'EOF'
import sys
rust, python = map(float, sys.argv[1:])
print()
print(f"geobox-users users list --limit 100 --output json: {rust * 1000:8.1f} ms")
print(f"Python SDK get_users(limit=100):                  {python * 1000:8.1f} ms")
print(f"ratio (Python / geobox-users):                    {python / rust:8.1f}x")
EOF
