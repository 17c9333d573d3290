#!/usr/bin/env bash
# Runs the same load against Parley, Prosody and ejabberd, one after another in
# the same run, and prints Parley/peer ratios. Results go to bench/results/.
#
#   bench/compare.sh                 default sizes (see below; about 6 minutes on 2 cores)
#   QUICK=1 bench/compare.sh         small sizes, a couple of minutes
#   SERVERS="parley prosody" bench/compare.sh
#
#   SCENARIOS="presence" bench/compare.sh    only some of: idle login chat presence
#
# With chat, the run also measures the machine floor once, after the servers:
# the same chat load (same generator, message bytes, window and pacing, unpaced
# and then at the paced rate the servers got) through `parley-load relay`, a
# single-threaded epoll relay with no TLS and no XML. Loopback TCP is what it
# costs, so a server's chat latency and CPU read against what this machine
# itself allows; the table shows it in a column of its own, not as a peer.
#
# Sizes (environment): IDLE_SIZES="1000 10000" USERS=1000 LOGINS=3000
# LOGIN_CONCURRENCY=20 PAIRS=50 WINDOW=8 MESSAGES=200000 BODY_BYTES=64
# PACED_REPEATS=3 (the paced chat, a few seconds each, runs this many times per
# server and for the floor: on a shared machine one run's p99 is one sample of
# its noise; the table shows the median, and lists every run's p99)
# CONTACTS=20 CHANGES=10 (presence: the first USERS accounts in groups of
# CONTACTS+1, everyone 'both' with the rest of the group, set up by
# parley-load presence-setup through the protocol)
# SERVER_CORES=1 (default): every server gets the same budget of one core, so
# that the generator has the other one of this 2-core machine to itself and no
# server fights it for a core (Prosody is single-threaded anyway; Parley runs one
# I/O thread, ejabberd one Erlang scheduler). SERVER_CORES=all: each server's
# own default of one thread or scheduler per core.
# Prosody and ejabberd come from Debian (installed here when missing); each server
# runs in the foreground under this script, on loopback ports of its own, with
# its own temporary data directory, and is stopped at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ "${QUICK:-0}" == "1" ]]; then
  : "${IDLE_SIZES:=200 1000}" "${USERS:=200}" "${LOGINS:=500}" "${MESSAGES:=30000}"
fi
IDLE_SIZES=${IDLE_SIZES:-"1000 10000"}
USERS=${USERS:-1000}
LOGINS=${LOGINS:-3000}
LOGIN_CONCURRENCY=${LOGIN_CONCURRENCY:-20}
IDLE_CONCURRENCY=${IDLE_CONCURRENCY:-50}
PAIRS=${PAIRS:-50}
WINDOW=${WINDOW:-8}
MESSAGES=${MESSAGES:-200000}
PACED_REPEATS=${PACED_REPEATS:-3}
BODY_BYTES=${BODY_BYTES:-64}
CONTACTS=${CONTACTS:-20}
CHANGES=${CHANGES:-10}
SERVERS=${SERVERS:-"parley prosody ejabberd"}
SCENARIOS=${SCENARIOS:-"idle login chat presence"}
BUILD_DIR=${BUILD_DIR:-build-bench}
SERVER_CORES=${SERVER_CORES:-1}
if [[ $SERVER_CORES == all ]]; then
  IO_THREADS=0 ERL_SCHEDULERS=""
else
  IO_THREADS=$SERVER_CORES ERL_SCHEDULERS="+S $SERVER_CORES:$SERVER_CORES"
fi
PASSWORD=bench

# --- packages -----------------------------------------------------------------
install_peers() {
  local missing=()
  for p in prosody ejabberd; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing ${missing[*]} from Debian"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The packages start system instances where an init system runs; this script
  # runs its own, so stop and disable only what the installation just started.
  for p in "${missing[@]}"; do
    if [[ -d /run/systemd/system ]]; then
      $sudo systemctl disable --now "$p" >/dev/null 2>&1 || true
    elif command -v service >/dev/null; then
      $sudo service "$p" stop >/dev/null 2>&1 || true
    fi
  done
}
install_peers
command -v ss >/dev/null || { echo "needs ss (iproute2)"; exit 1; }

# --- build ----------------------------------------------------------------------
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target parleyd parleyctl parley-load >/dev/null
LOAD="$root/$BUILD_DIR/parley-load"

work=$(mktemp -d /tmp/parley-compare.XXXXXX)
chmod 755 "$work"
server_pid=""
cleanup() {
  stop_server || true
  rm -rf "$work"
}
trap cleanup EXIT

# One certificate for all three servers (P-256, like Parley's generated one), so
# that TLS costs the same everywhere.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
chmod 644 "$work/key.pem"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

render() {  # template dir port -> stdout
  sed -e "s|@DIR@|$2|g" -e "s|@PORT@|$3|g" -e "s|@CERT@|$work/cert.pem|g" \
      -e "s|@KEY@|$work/key.pem|g" -e "s|@DISTPORT@|${4:-0}|g" \
      -e "s|@IO_THREADS@|$IO_THREADS|g" -e "s|@ERL_SCHEDULERS@|$ERL_SCHEDULERS|g" "bench/conf/$1"
}

# The process that listens on the port is the one to measure (beam.smp for
# ejabberd, lua for Prosody), whatever wrappers started it.
listener_pid() {
  ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1
}

wait_listening() {  # port
  for _ in $(seq 1 600); do
    local pid
    pid=$(listener_pid "$1")
    if [[ -n "$pid" ]]; then echo "$pid"; return 0; fi
    sleep 0.1
  done
  return 1
}

launcher_pid=""
start_server() {  # name dir port
  local name=$1 dir=$2 port=$3
  case $name in
    parley)
      setsid "$root/$BUILD_DIR/parleyd" --config "$dir/parley.yml" >"$dir/server.log" 2>&1 &
      ;;
    prosody)
      setsid prosody --config "$dir/prosody.cfg.lua" -F >"$dir/server.log" 2>&1 &
      ;;
    ejabberd)
      # As the ejabberd user without su: su applies PAM limits (1024 open files)
      # and ejabberd would refuse connections past that.
      HOME="$dir" setsid setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
        ejabberdctl --config "$dir/ejabberd.yml" --ctl-config "$dir/ejabberdctl.cfg" \
        --spool "$dir/spool" --logs "$dir" --node "bench$port@localhost" foreground \
        >"$dir/server.log" 2>&1 &
      ;;
  esac
  launcher_pid=$!
  if ! server_pid=$(wait_listening "$port"); then
    echo "$name did not start:"; tail -20 "$dir/server.log"; exit 1
  fi
  # Ready means a full login works (ejabberd opens its port before its modules
  # are up); a few logins also warm up every server the same way.
  # Before the accounts exist, registering one is the probe.
  local probe=(login --users "$USERS" --logins 5)
  [[ "${registering:-0}" == 1 ]] && probe=(register --users 1 --user-prefix ready)
  for _ in $(seq 1 60); do
    "$LOAD" "${probe[@]}" --server "127.0.0.1:$port" --password "$PASSWORD" \
      --concurrency 1 --duration 10 2>/dev/null | grep -q '"failed":0' && return 0
    sleep 0.5
  done
  echo "$name accepts no logins:"; tail -20 "$dir/server.log"; exit 1
}

stop_server() {
  [[ -z "$server_pid" ]] && return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null || true
  # The wrappers (ejabberdctl, su) end with the server; wait for them too.
  [[ -n "$launcher_pid" ]] && wait "$launcher_pid" 2>/dev/null || true
  server_pid=""
  launcher_pid=""
}

prepare_server() {  # name dir port -> config written, users created
  local name=$1 dir=$2 port=$3
  mkdir -p "$dir"
  case $name in
    parley)
      render parley.yml.in "$dir" "$port" >"$dir/parley.yml"
      # The first account alone: two parleyctl creating a fresh database at once
      # race on its schema.
      "$root/$BUILD_DIR/parleyctl" --config "$dir/parley.yml" register u0 localhost "$PASSWORD" >/dev/null
      seq 1 $((USERS - 1)) | xargs -P 2 -I{} \
        "$root/$BUILD_DIR/parleyctl" --config "$dir/parley.yml" register "u{}" localhost "$PASSWORD" >/dev/null
      ;;
    prosody)
      render prosody.cfg.lua.in "$dir" "$port" >"$dir/prosody.cfg.lua"
      mkdir -p "$dir/data"
      ;;
    ejabberd)
      render ejabberd.yml.in "$dir" "$port" >"$dir/ejabberd.yml"
      render ejabberdctl.cfg.in "$dir" "$port" "$(free_port)" >"$dir/ejabberdctl.cfg"
      cat "$work/cert.pem" "$work/key.pem" >"$dir/cert+key.pem"
      mkdir -p "$dir/spool"
      chown -R ejabberd:ejabberd "$dir"
      ;;
  esac
  if [[ $name != parley ]]; then
    # In-band registration: the peers' admin tools take a second per account.
    registering=1 start_server "$name" "$dir" "$port"
    "$LOAD" register --server "127.0.0.1:$port" --users "$USERS" --password "$PASSWORD" \
      --concurrency 10 --label "$name" --duration 600 | tee -a "$work/register.log"
    stop_server
  fi
}

results="$work/results.jsonl"
: >"$results"
collect() {  # parley-load's output on stdin: shown, and its JSON lines kept
  while IFS= read -r line; do
    echo "$line" >&2
    [[ $line == "{"* ]] && echo "$line" >>"$results"
  done
}

run() {  # name port scenario args... ; restarts the server so scenarios do not share state
  local name=$1 dir=$2 port=$3 scenario=$4
  shift 4
  start_server "$name" "$dir" "$port"
  "$LOAD" "$scenario" --server "127.0.0.1:$port" --users "$USERS" --password "$PASSWORD" \
    --server-pid "$server_pid" --label "$name" "$@" | collect
  stop_server
}

# The machine floor (see the top): the relay runs like a server, in its own
# session, measured through --server-pid, and stops the same way.
run_floor() {  # rate
  local dir="$work/floor" port=""
  mkdir -p "$dir"
  echo "== machine floor (parley-load relay)" >&2
  setsid "$LOAD" relay --listen 127.0.0.1:0 --duration 900 >"$dir/relay.log" 2>&1 &
  launcher_pid=$!
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^{"listening":\([0-9]*\)}$/\1/p' "$dir/relay.log")
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  if [[ -z "$port" ]] || ! server_pid=$(wait_listening "$port"); then
    echo "relay did not start:"; cat "$dir/relay.log"; exit 1
  fi
  local common=(--server "127.0.0.1:$port" --server-pid "$server_pid" --label relay
    --pairs "$PAIRS" --window "$WINDOW" --body-bytes "$BODY_BYTES" --duration 300)
  "$LOAD" floor "${common[@]}" --messages "$MESSAGES" | collect
  for _ in $(seq 1 "$PACED_REPEATS"); do
    "$LOAD" floor "${common[@]}" --messages "$((MESSAGES / 2))" --rate "$1" | collect
  done
  stop_server
}

wants() { [[ " $SCENARIOS " == *" $1 "* ]]; }

chat_rate=""
for name in $SERVERS; do
  dir="$work/$name"
  port=$(free_port)
  echo "== $name (port $port)" >&2
  prepare_server "$name" "$dir" "$port"
  if wants idle; then
    for n in $IDLE_SIZES; do
      run "$name" "$dir" "$port" idle --connections "$n" --concurrency "$IDLE_CONCURRENCY" --duration 600
    done
  fi
  if wants login; then
    run "$name" "$dir" "$port" login --logins "$LOGINS" --concurrency "$LOGIN_CONCURRENCY" --duration 300
  fi
  if wants chat; then
    run "$name" "$dir" "$port" chat --pairs "$PAIRS" --window "$WINDOW" --messages "$MESSAGES" \
      --body-bytes "$BODY_BYTES" --duration 300
    # Latency at half of Parley's peak rate (Parley runs first), the same rate for all.
    if [[ -z "$chat_rate" ]]; then
      chat_rate=$(tail -1 "$results" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["msgs_per_s"]/2))')
    fi
    for _ in $(seq 1 "$PACED_REPEATS"); do
      run "$name" "$dir" "$port" chat --pairs "$PAIRS" --window "$WINDOW" \
        --messages "$((MESSAGES / 2))" --body-bytes "$BODY_BYTES" --rate "$chat_rate" --duration 300
    done
  fi
  if wants presence; then
    # Rosters through the protocol (subscribe/subscribed), then the measurement
    # on a freshly restarted server.
    run "$name" "$dir" "$port" presence-setup --contacts "$CONTACTS" \
      --concurrency "$IDLE_CONCURRENCY" --duration 300
    run "$name" "$dir" "$port" presence --contacts "$CONTACTS" --changes "$CHANGES" \
      --concurrency "$IDLE_CONCURRENCY" --duration 300
  fi
done
if wants chat && [[ -n "$chat_rate" ]]; then
  run_floor "$chat_rate"
fi

mkdir -p bench/results
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/results' || echo "-dirty")
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
out="bench/results/$stamp-$commit"
{
  python3 - "$commit" "$stamp" "$SERVER_CORES" <<'PY'
import json, os, platform, subprocess, sys
def version(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""
mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
print(json.dumps({"meta": True, "date": sys.argv[2], "commit": sys.argv[1],
                  "cores": os.cpu_count(), "mem_kib": int(mem), "cpu": cpu,
                  "kernel": platform.release(),
                  "prosody": version("dpkg-query -W -f='${Version}' prosody"),
                  "ejabberd": version("dpkg-query -W -f='${Version}' ejabberd"),
                  "openfiles": version("ulimit -n"),
                  "server_cores": sys.argv[3]}))
PY
  cat "$results"
} >"$out.jsonl"
python3 bench/ratios.py "$out.jsonl" | tee "$out.md"
echo "results: $out.jsonl $out.md"
