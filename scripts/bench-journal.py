#!/usr/bin/env python3
"""Times `geobox-users journal` on a journal of many entries (default 100,000).

  scripts/bench-journal.py BINARY [ENTRIES]

Writes ENTRIES synthetic entries into a temporary data directory, rotated as the CLI
rotates them (10 MB files: journal.jsonl newest, then journal.1.jsonl, ...; the reader reads
every file there), then times a few listings (best of 5 runs each, whole process). Listing
needs no server. BINARY is normally the release build ($CARGO_TARGET_DIR/release/geobox-users).
Uses only the standard library.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

MAX_BYTES = 10 * 1024 * 1024


def entry(index, when, rng):
    user_id = rng.randint(1, 5000)
    status = rng.choice(["Active", "Disabled", "Pending"])
    return {
        "id": f"b{index:09d}",
        "time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "host": "http://127.0.0.1:8080/v1/",
        "by": "admin",
        "tool": rng.choice(["cli", "console"]),
        "action": "update",
        "changes": [
            {
                "user_id": user_id,
                "username": f"user{user_id}",
                "before": {"status": "New"},
                "after": {"status": status},
            }
        ],
        "outcome": "ok",
    }


def write_journal(directory, count):
    """Oldest first, rotating like the CLI: returns the number of files."""
    rng = random.Random(7)
    start = datetime.now(timezone.utc) - timedelta(days=60)
    step = timedelta(days=59) / count
    lines = [json.dumps(entry(i, start + step * i, rng), separators=(",", ":")) + "\n" for i in range(count)]
    files, current, size = [], [], 0
    for line in lines:
        if size and size + len(line) > MAX_BYTES:
            files.append(current)
            current, size = [], 0
        current.append(line)
        size += len(line)
    files.append(current)
    files.reverse()  # newest first: generation 0 is journal.jsonl
    for generation, chunk in enumerate(files):
        name = "journal.jsonl" if generation == 0 else f"journal.{generation}.jsonl"
        with open(os.path.join(directory, name), "w") as out:
            out.writelines(chunk)
    return len(files)


def best_of(binary, env, args, runs=5, expected=0):
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run([binary, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        timings.append(time.perf_counter() - began)
        if done.returncode != expected:
            sys.exit(f"{args}: exit {done.returncode}: {done.stderr.decode()}")
    return min(timings) * 1000


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    with tempfile.TemporaryDirectory() as directory:
        files = write_journal(directory, count)
        total = sum(os.path.getsize(os.path.join(directory, f)) for f in os.listdir(directory))
        env = {k: v for k, v in os.environ.items() if not k.startswith("GEOBOX")}
        env["GEOBOX_USERS_DATA_DIR"] = directory
        env["GEOBOX_USERS_CONFIG"] = os.path.join(directory, "config.toml")
        print(f"{count} entries in {files} files, {total / 1e6:.1f} MB")
        for label, args in [
            ("journal (newest 100, table)", ["journal"]),
            ("journal --since 2h", ["journal", "--since", "2h"]),
            ("journal --user user42 --limit 0", ["journal", "--user", "user42", "--limit", "0"]),
            ("journal --limit 0 --output json (all)", ["journal", "--limit", "0", "--output", "json"]),
        ]:
            print(f"{label:58} {best_of(binary, env, args):8.1f} ms")
        # Finds the oldest entry, then stops (exit 2) at the deployment check: no server needed.
        # The entries are unsealed (written here), which --allow-unverified lets through.
        undo = ["journal", "undo", "b000000000", "--yes", "--allow-unverified"]
        print(f"{'journal undo <oldest id> (the lookup)':58} {best_of(binary, env, undo, expected=2):8.1f} ms")


if __name__ == "__main__":
    main()
