#!/usr/bin/env python3
"""Prints the comparison table (Markdown) from a compare.sh results file: one
row per measured figure, one column per server, then the machine floor (the
chat rows measured through parley-load relay, when the run has them), then
Parley/peer ratios. The floor is not a peer: no ratio is taken against it.
A figure measured more than once (the paced chat, PACED_REPEATS) shows its
median, and every run's p99 is listed under the table."""
import json
import statistics
import sys

ROWS = [  # (label, selector, field, better)
    ("idle RSS/conn KiB, N={n}", "idle", "kib_per_conn", "lower"),
    ("login server CPU ms/login", "login", "server_cpu_ms_per_login", "lower"),
    ("login logins/s", "login", "logins_per_s", "higher"),
    ("login generator CPU ms/login", "login", "gen_cpu_ms_per_login", "lower"),
    ("chat server CPU s/100k msgs", "chat", "server_cpu_s_per_100k", "lower"),
    ("chat msgs/s (window-bound peak)", "chat", "msgs_per_s", "higher"),
    ("chat p50 ms at peak", "chat", "lat_p50_ms", "lower"),
    ("chat p99 ms at peak", "chat", "lat_p99_ms", "lower"),
    ("chat max ms at peak", "chat", "lat_max_ms", "lower"),
    ("chat generator CPU s/100k", "chat", "gen_cpu_s_per_100k", "lower"),
    ("paced chat p50 ms at {rate}/s", "paced", "lat_p50_ms", "lower"),
    ("paced chat p99 ms at {rate}/s", "paced", "lat_p99_ms", "lower"),
    ("paced chat max ms at {rate}/s", "paced", "lat_max_ms", "lower"),
    ("paced chat server CPU s/100k", "paced", "server_cpu_s_per_100k", "lower"),
    ("presence delivered/s (fan-out)", "presence", "presences_per_s", "higher"),
    ("presence server CPU s/100k delivered", "presence", "server_cpu_s_per_100k", "lower"),
    ("presence p50 ms", "presence", "lat_p50_ms", "lower"),
    ("presence p99 ms", "presence", "lat_p99_ms", "lower"),
    ("presence max ms", "presence", "lat_max_ms", "lower"),
    ("presence generator CPU s/100k", "presence", "gen_cpu_s_per_100k", "lower"),
    ("initial presence server CPU ms/user", "presence", "initial_server_cpu_ms_per_user", "lower"),
    ("initial presence s until all seen", "presence", "initial_s", "lower"),
]


def main(path):
    meta, lines = {}, []
    for raw in open(path):
        rec = json.loads(raw)
        if rec.get("meta"):
            meta = rec
        else:
            lines.append(rec)
    servers = []
    for r in lines:
        if r["scenario"] != "floor" and r["server"] not in servers:
            servers.append(r["server"])
    has_floor = any(r["scenario"] == "floor" for r in lines)
    peers = [s for s in servers if s != "parley"]

    def groups():
        idle_sizes = sorted({r["connections"] for r in lines if r["scenario"] == "idle"})
        for label, sel, field, better in ROWS:
            if sel == "idle":
                for n in idle_sizes:
                    yield label.format(n=n), lambda r, n=n: r["scenario"] == "idle" and r[
                        "connections"] == n, field, better, None
            elif sel == "chat":
                yield label, lambda r: r["scenario"] == "chat" and not r["rate_target"], field, better, \
                    lambda r: r["scenario"] == "floor" and not r["rate_target"]
            elif sel == "paced":
                rate = next((r["rate_target"] for r in lines if r["scenario"] == "chat" and r["rate_target"]), 0)
                yield label.format(rate=int(rate)), lambda r: r["scenario"] == "chat" and r[
                    "rate_target"], field, better, lambda r: r["scenario"] == "floor" and r["rate_target"]
            else:
                yield label, lambda r, sel=sel: r["scenario"] == sel, field, better, None

    print(f"Run {meta.get('date', '?')}, commit {meta.get('commit', '?')}, "
          f"{meta.get('cores', '?')} cores, {int(meta.get('mem_kib', 0)) // 1024} MiB, "
          f"{meta.get('cpu', '')}; Prosody {meta.get('prosody', '?')}, ejabberd {meta.get('ejabberd', '?')}")
    print()
    head = ["figure"] + servers + (["machine floor"] if has_floor else []) + [
        f"parley/{p}" for p in peers] + ["better"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, match, field, better, floor_match in groups():
        runs = {}
        for r in lines:
            if match(r) and field in r:
                runs.setdefault(r["server"], []).append(float(r[field]))
        if not runs:
            continue
        vals = {s: statistics.median(v) for s, v in runs.items()}
        row = [label] + [f"{vals[s]:.3g}" if s in vals else "–" for s in servers]
        if has_floor:
            floor = [float(r[field]) for r in lines if floor_match and floor_match(r) and field in r]
            row.append(f"{statistics.median(floor):.3g}" if floor else "–")
        for p in peers:
            if "parley" in vals and vals.get(p):
                row.append(f"{vals['parley'] / vals[p]:.2f}")
            else:
                row.append("–")
        print("| " + " | ".join(row + [better]) + " |")
    problems = [r for r in lines if r.get("failed") or r.get("failed_logins") or r.get("failed_connects")
                or r.get("errors") or r.get("warmup_errors")
                or r.get("error") or r.get("lost") or r.get("initial_missing") or r.get("missing")
                or r.get("first_round_missing")]
    if problems:
        print()
        for r in problems:
            lost = "".join(f" {k}={r[k]}" for k in ("lost", "initial_missing", "missing", "first_round_missing")
                           if r.get(k))
            failed = r.get("failed", r.get("failed_logins", r.get("failed_connects", 0)))
            warm = f" (warm-up: {r['warmup_errors']})" if r.get("warmup_errors") else ""
            print(f"- {r['server']} {r['scenario']}: failed={failed} "
                  f"errors={r.get('errors', 0)}{warm}{lost} {r.get('error', '')}")
    if has_floor:
        print()
        print("machine floor: the chat load (same generator, message bytes, window and pacing) through "
              "parley-load relay, one thread copying bytes between paired plain TCP connections with "
              "epoll: no TLS (on either side), no XML, no routing. Its latency is what loopback TCP "
              "allows on this machine; its server CPU rows are the relay's.")
    paced = {}
    for r in lines:
        if r["scenario"] in ("chat", "floor") and r.get("rate_target"):
            paced.setdefault("machine floor" if r["scenario"] == "floor" else r["server"], []).append(
                r["lat_p99_ms"])
    if any(len(v) > 1 for v in paced.values()):
        print()
        print("paced chat p99 ms, every run: " + "; ".join(
            f"{s} " + " ".join(f"{x:.3g}" for x in v) for s, v in paced.items()))
    sizes = [r for r in lines if r["scenario"] == "presence"]
    if sizes:
        r = sizes[0]
        print()
        print(f"presence: {r['users']} users, {r['contacts']} contacts each ('both'), "
              f"{r['changes']} changes per user, the next once the last reached every contact")
    busy = [f"{r['server']} {r['scenario']} {r['machine_busy']:.2f}" for r in lines if "machine_busy" in r]
    print()
    print("machine busy (all cores, during the measured phase): " + "; ".join(busy))


if __name__ == "__main__":
    main(sys.argv[1])
