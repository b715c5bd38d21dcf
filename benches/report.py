#!/usr/bin/env python3
"""Prints the table of one benchmark run (issue 6, DESIGN.md section 9).

Reads criterion's target/criterion/**/new/{benchmark,estimates}.json and the
run record `sessions-run.json` that the benches write beside them (cookie
lengths, notes, start time). Standard library only.

    python3 benches/report.py [CRITERION_DIR]

CRITERION_DIR defaults to $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion,
else benches/target/criterion. Every figure is criterion's median of one
run; a ratio is that median divided by the median it is compared with (the
raw floor or the peer, named in each table): below 1 is faster.
"""

import json
import os
import sys
from pathlib import Path

RUN_FILE = "sessions-run.json"

# Targets of issue 6.
FLOOR_TARGET = 1.3  # seal+open within 1.3x of the raw floor
PEER_TARGET = 1.7  # ... so about 1.7x faster than PrivateJar + JSON
LAYER_TARGET = 1.15  # the layer adds under 15%
FILES_TARGET = 2.0  # FileStore within 2x of raw file operations
REDIS_TARGET = 1.2  # RedisStore within 1.2x of raw GET+SET
POSTGRES_TARGET = 1.3  # PostgresStore within 1.3x of raw SELECT+UPDATE (issue 14)

# Each sealer: (label, its floor, its peer). The store rows work on bytes
# (no CBOR), so they are compared with nothing.
SEALERS = [
    ("ours-encrypted", "floor-encrypted", "private-jar-json"),
    ("ours-signed", "floor-signed", "signed-jar-json"),
    ("floor-encrypted", "floor-encrypted", "private-jar-json"),
    ("floor-signed", "floor-signed", "signed-jar-json"),
    ("private-jar-json", "floor-encrypted", "private-jar-json"),
    ("signed-jar-json", "floor-signed", "signed-jar-json"),
]


def criterion_dir():
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    if os.environ.get("CRITERION_HOME"):
        return Path(os.environ["CRITERION_HOME"])
    if os.environ.get("CARGO_TARGET_DIR"):
        return Path(os.environ["CARGO_TARGET_DIR"]) / "criterion"
    return Path(__file__).resolve().parent / "target" / "criterion"


def load(root):
    """Medians (ns) by full id, and the ids older than the last run."""
    run = {}
    run_path = root / RUN_FILE
    if run_path.exists():
        run = json.loads(run_path.read_text())
    started = run.get("started", 0)
    medians, stale = {}, []
    for bench in root.glob("**/new/benchmark.json"):
        estimates = bench.parent / "estimates.json"
        if not estimates.exists():
            continue
        full_id = json.loads(bench.read_text())["full_id"]
        if estimates.stat().st_mtime < started - 1:
            stale.append(full_id)
            continue
        point = json.loads(estimates.read_text())["median"]["point_estimate"]
        medians[full_id] = point
    return run, medians, sorted(stale)


def fmt_time(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_ratio(value, base):
    if value is None or base is None or base == 0:
        return "-"
    return f"{value / base:.2f}x"


def total(*values):
    return None if any(v is None for v in values) else sum(values)


def table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda cells: "  ".join(
        str(c).ljust(w) if i == 0 else str(c).rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths))
    )
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()


def seal_open(medians, prefix, label):
    seal = medians.get(f"{prefix}seal/{label}")
    open_ = medians.get(f"{prefix}open/{label}")
    return seal, open_, total(seal, open_)


def representative(medians, checks):
    print("1. Seal and open of the representative session (medians; ratios = this / that)")
    rows = []
    for label, floor, peer in SEALERS:
        seal, open_, both = seal_open(medians, "representative/", label)
        if both is None:
            continue
        if floor is None:
            rows.append([label, fmt_time(seal), fmt_time(open_), fmt_time(both), "-", "-"])
            continue
        floor_both = seal_open(medians, "representative/", floor)[2]
        peer_both = seal_open(medians, "representative/", peer)[2]
        rows.append([
            label, fmt_time(seal), fmt_time(open_), fmt_time(both),
            f"{fmt_ratio(both, floor_both)} {floor}",
            f"{fmt_ratio(both, peer_both)} {peer}",
        ])
    table(["sealer", "seal", "open", "seal+open", "vs floor", "vs peer"], rows)
    print("   ours-*: a whole request through the registry (load, replace, batch-save; or load")
    print("   from the cookie), since the envelope is private; the floor and the jars seal alone\n")
    for label in ("ours-encrypted",):
        both = seal_open(medians, "representative/", label)[2]
        floor_both = seal_open(medians, "representative/", "floor-encrypted")[2]
        peer_both = seal_open(medians, "representative/", "private-jar-json")[2]
        if None in (both, floor_both, peer_both):
            continue
        checks.append((f"{label}: seal+open <= {FLOOR_TARGET}x raw floor",
                       both / floor_both, both / floor_both <= FLOOR_TARGET))
        checks.append((f"{label}: >= {PEER_TARGET}x faster than PrivateJar+JSON",
                       peer_both / both, peer_both / both >= PEER_TARGET))


def sizes(medians, run):
    print("2. Seal+open across payload sizes (CBOR bytes; ratios = this / that)")
    found = sorted({int(k.rsplit("/", 1)[1]) for k in medians if k.startswith("sizes/")})
    rows = []
    for size in found:
        for label, floor, peer in SEALERS:
            prefix = "sizes/"
            seal = medians.get(f"{prefix}seal/{label}/{size}")
            open_ = medians.get(f"{prefix}open/{label}/{size}")
            both = total(seal, open_)
            if both is None:
                continue
            floor_both = total(medians.get(f"{prefix}seal/{floor}/{size}"),
                               medians.get(f"{prefix}open/{floor}/{size}"))
            peer_both = total(medians.get(f"{prefix}seal/{peer}/{size}"),
                              medians.get(f"{prefix}open/{peer}/{size}"))
            rows.append([
                f"{size} B", label, fmt_time(seal), fmt_time(open_), fmt_time(both),
                f"{fmt_ratio(both, floor_both)} {floor}",
                f"{fmt_ratio(both, peer_both)} {peer}",
            ])
    table(["payload", "sealer", "seal", "open", "seal+open", "vs floor", "vs peer"], rows)
    for key, text in sorted(run.get("notes", {}).items()):
        if key.startswith("sizes/"):
            print(f"   {key}: {text}")
    print()


def pairs(title, medians, entries):
    print(title)
    rows = []
    for name, base in entries:
        value = medians.get(name)
        if value is None:
            continue
        rows.append([name, fmt_time(value),
                     "-" if base is None else f"{fmt_ratio(value, medians.get(base))} {base}"])
    table(["benchmark", "median", "ratio"], rows)


def ratio_check(checks, medians, name, base, target, text):
    value, reference = medians.get(name), medians.get(base)
    if value is None or reference is None:
        return
    checks.append((text, value / reference, value / reference <= target))


def lengths(run, checks):
    print("5. Cookie length of the representative session (characters; wire = name=value as sent,")
    print("   percent-encoded like axum-extra's Cookie::encoded)")
    if note := run.get("notes", {}).get("payload"):
        print(f"   {note}")
    entries = run.get("cookie_lengths", [])
    table(["sealer", "value", "wire"],
          [[e["label"], e["value"], e["wire"]] for e in entries])
    wire = {e["label"]: e["wire"] for e in entries}
    peers = [w for label, w in wire.items() if "jar" in label]
    for label in ("ours-encrypted", "ours-signed", "store-encrypted", "store-signed"):
        if label in wire and peers:
            checks.append((f"{label}: cookie smaller than every peer's ({min(peers)})",
                           wire[label], wire[label] < min(peers)))


def main():
    root = criterion_dir()
    run, medians, stale = load(root)
    if not medians:
        sys.exit(f"no criterion estimates under {root}: run the benches first")
    mode = "quick" if run.get("quick") else "full"
    took = ""
    if "finished" in run:
        took = f", benches ran {run['finished'] - run['started']} s (without the build)"
    print(f"sessions benchmarks: {len(medians)} figures from one {mode} run in {root}{took}\n")
    checks = []
    representative(medians, checks)
    sizes(medians, run)
    pairs("3. A request in-process (ratios = this / the same service without the layer)",
          medians, [
              ("layer/oneshot/bare", None),
              ("layer/oneshot/layer-untouched", "layer/oneshot/bare"),
              ("layer/oneshot/layer-session", "layer/oneshot/bare"),
              ("layer/hyper/bare", None),
              ("layer/hyper/layer-session", "layer/hyper/bare"),
              ("layer/tcp/bare", None),
              ("layer/tcp/layer-session", "layer/tcp/bare"),
          ])
    print("   oneshot: the tower service alone; hyper: HTTP/1 over an in-memory pipe;")
    print("   tcp: HTTP/1 over loopback TCP. layer-session loads, changes and saves the session.\n")
    ratio_check(checks, medians, "layer/hyper/layer-session", "layer/hyper/bare",
                LAYER_TARGET, f"layer+session adds <= {LAYER_TARGET - 1:.0%} (hyper)")
    ratio_check(checks, medians, "layer/oneshot/layer-session", "layer/oneshot/bare",
                LAYER_TARGET, f"layer+session adds <= {LAYER_TARGET - 1:.0%} (oneshot)")
    ratio_check(checks, medians, "layer/tcp/layer-session", "layer/tcp/bare",
                LAYER_TARGET, f"layer+session adds <= {LAYER_TARGET - 1:.0%} (tcp)")
    pairs("4. Server-side stores, load + save through the Store trait (ratios = this / raw)",
          medians, [
              ("files/load/ours", "files/load/raw-read"),
              ("files/load/raw-read", None),
              ("files/load+save/ours", "files/load+save/raw"),
              ("files/load+save/raw", None),
              ("files/load+save/raw-dirsync", "files/load+save/raw"),
              ("redis/load/ours", "redis/load/raw-get"),
              ("redis/load/raw-get", None),
              ("redis/load+save/ours", "redis/load+save/raw"),
              ("redis/load+save/raw", None),
          ])
    pairs("4b. RedisStore: durable saves, owned sessions, an owner's 100 sessions "
          "(ratios = this / redis/load+save/ours)",
          medians, [
              ("redis/load+save/ours", None),
              ("redis/load+save/ours-durable", "redis/load+save/ours"),
              ("redis/load+save/ours-owned", "redis/load+save/ours"),
              ("redis/owned/list-100", "redis/load+save/ours"),
              ("redis/owned/revoke-100", "redis/load+save/ours"),
          ])
    pairs("4c. PostgresStore, against raw statements on its own pool (ratios = this / raw)",
          medians, [
              ("postgres/load/ours", "postgres/load/raw"),
              ("postgres/load/raw", None),
              ("postgres/load+save/ours", "postgres/load+save/raw"),
              ("postgres/load+save/raw", None),
          ])
    ratio_check(checks, medians, "files/load+save/ours", "files/load+save/raw",
                FILES_TARGET, f"FileStore load+save <= {FILES_TARGET}x raw")
    ratio_check(checks, medians, "redis/load+save/ours", "redis/load+save/raw",
                REDIS_TARGET, f"RedisStore load+save <= {REDIS_TARGET}x raw")
    ratio_check(checks, medians, "postgres/load+save/ours", "postgres/load+save/raw",
                POSTGRES_TARGET, f"PostgresStore load+save <= {POSTGRES_TARGET}x raw")
    lengths(run, checks)
    print("Targets")
    table(["target", "measured", "met"],
          [[text, f"{value:.2f}" if isinstance(value, float) else value,
            "yes" if ok else "NO"] for text, value, ok in checks])
    if stale:
        print(f"ignored {len(stale)} figures older than this run (e.g. {stale[0]})")


if __name__ == "__main__":
    main()
