#!/usr/bin/env bash
# Profiles parleyd under the chat and login loads of parley-load:
#   valgrind --tool=callgrind   instructions per routed message / per login
#   heaptrack                   heap allocations per routed message / per login
# Each load runs twice (small and large count) on a fresh server, so the
# difference divided by the extra count is the cost of one message or login,
# without startup and login costs. Summaries are printed; raw profiles stay in
# the directory printed at the end.
#   bench/profile.sh [callgrind|heaptrack|idle|all]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:-all}
BUILD_DIR=${BUILD_DIR:-build-bench}
MSGS_SMALL=${MSGS_SMALL:-5000} MSGS_LARGE=${MSGS_LARGE:-25000}
LOGINS_SMALL=${LOGINS_SMALL:-50} LOGINS_LARGE=${LOGINS_LARGE:-250}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target parleyd parleyctl parley-load >/dev/null
LOAD="$root/$BUILD_DIR/parley-load"
out=$(mktemp -d /tmp/parley-profile.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|@DIR@|$out|g" -e "s|@PORT@|$port|g" -e "s|@IO_THREADS@|0|g" -e "/certificate:/d" -e "/key:/d" -e "/^tls:/d" \
  bench/conf/parley.yml.in >"$out/parley.yml"
for i in $(seq 0 39); do
  "$root/$BUILD_DIR/parleyctl" --config "$out/parley.yml" register "u$i" localhost bench >/dev/null
done

pid=""
profile() {  # tool tag scenario args...
  local tool=$1 tag=$2
  shift 2
  case $tool in
    callgrind) valgrind --tool=callgrind --callgrind-out-file="$out/$tag.callgrind" \
                 "$root/$BUILD_DIR/parleyd" --config "$out/parley.yml" 2>"$out/$tag.log" & ;;
    # heaptrack names its file after the pid, in the working directory.
    heaptrack) mkdir -p "$out/$tag.d"
               (cd "$out/$tag.d" && exec heaptrack "$root/$BUILD_DIR/parleyd" \
                  --config "$out/parley.yml" >"$out/$tag.log" 2>&1) & ;;
  esac
  pid=$!
  for _ in $(seq 1 600); do
    ss -ltnH "sport = :$port" | grep -q . && break
    sleep 0.1
  done
  "$LOAD" "$@" --server "127.0.0.1:$port" --users 40 --password bench --duration 600 \
    --label "$tag" | grep '^#'
  # SIGTERM reaches parleyd through valgrind/heaptrack's wrapper; wait for the dump.
  local target
  target=$(ss -ltnpH "sport = :$port" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
  kill -TERM "${target:-$pid}"
  wait "$pid" || true
}

chat() { echo chat --pairs 10 --window 8 --body-bytes 64 --messages "$1"; }
login() { echo login --concurrency 4 --logins "$1"; }

ir_total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}'; }
allocs_total() {
  heaptrack_print -f "$1" 2>/dev/null | sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p'
}

if [[ $what == callgrind || $what == all ]]; then
  for load in chat login; do
    small=$([[ $load == chat ]] && echo "$MSGS_SMALL" || echo "$LOGINS_SMALL")
    large=$([[ $load == chat ]] && echo "$MSGS_LARGE" || echo "$LOGINS_LARGE")
    # shellcheck disable=SC2046
    profile callgrind "cg-$load-small" $($load "$small")
    # shellcheck disable=SC2046
    profile callgrind "cg-$load-large" $($load "$large")
    a=$(ir_total "$out/cg-$load-small.callgrind")
    b=$(ir_total "$out/cg-$load-large.callgrind")
    echo "callgrind $load: $(( (b - a) / (large - small) )) instructions per $load unit"
    callgrind_annotate --inclusive=no "$out/cg-$load-large.callgrind" 2>/dev/null | sed -n '1,60p' \
      >"$out/cg-$load-self.txt"
    callgrind_annotate --inclusive=yes "$out/cg-$load-large.callgrind" 2>/dev/null | sed -n '1,80p' \
      >"$out/cg-$load-inclusive.txt"
  done
fi
if [[ $what == heaptrack || $what == all ]]; then
  for load in chat login; do
    small=$([[ $load == chat ]] && echo "$MSGS_SMALL" || echo "$LOGINS_SMALL")
    large=$([[ $load == chat ]] && echo "$MSGS_LARGE" || echo "$LOGINS_LARGE")
    # shellcheck disable=SC2046
    profile heaptrack "ht-$load-small" $($load "$small")
    # shellcheck disable=SC2046
    profile heaptrack "ht-$load-large" $($load "$large")
    fa=$(ls "$out/ht-$load-small.d"/heaptrack.* | head -1)
    fb=$(ls "$out/ht-$load-large.d"/heaptrack.* | head -1)
    a=$(allocs_total "$fa")
    b=$(allocs_total "$fb")
    echo "heaptrack $load: $(( (b - a) / (large - small) )) allocations per $load unit"
    heaptrack_print -f "$fb" -n 25 -s 3 -a 1 -p 0 -T 0 -l 0 2>/dev/null | sed -n '1,600p' \
      >"$out/ht-$load-calls.txt"
  done
fi
if [[ $what == heaptrack || $what == all || $what == idle ]]; then
  # Who holds the memory of idle sessions: the peak is reached with all connected.
  profile heaptrack ht-idle idle --connections "${IDLE_N:-1000}" --concurrency 20 --settle 1
  heaptrack_print -f "$(ls "$out/ht-idle.d"/heaptrack.* | head -1)" -n 15 -s 3 -p 1 -a 0 -T 0 \
    -l 0 2>/dev/null | sed -n '1,400p' >"$out/ht-idle-peak.txt"
  grep -m1 'peak heap memory consumption' "$out/ht-idle-peak.txt" || true
fi
echo "profiles and summaries in $out"
