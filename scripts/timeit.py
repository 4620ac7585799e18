#!/usr/bin/env python3
"""Times a whole process: best and median wall time over RUNS, and the peak memory of the child.

    scripts/timeit.py RUNS [NAME=VALUE ...] -- COMMAND [ARG ...]

The NAME=VALUE pairs are added to the environment. Prints
`best 6 ms, median 6 ms, 11 MB, 12 lines printed`.
"""
import os
import subprocess
import sys
import time


def main() -> None:
    runs = int(sys.argv[1])
    split = sys.argv.index("--")
    extra = dict(pair.split("=", 1) for pair in sys.argv[2:split])
    command = sys.argv[split + 1 :]
    env = dict(os.environ, **extra)
    times, peak_kb, lines = [], 0, 0
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, env=env, capture_output=True)
        times.append(time.perf_counter() - started)
        peak_kb = max(peak_kb, int(done.stderr.decode().strip().splitlines()[-1]))
        lines = done.stdout.count(b"\n")
        if done.returncode:
            print("exit", done.returncode, done.stderr.decode()[-300:])
    times.sort()
    print(
        f"best {times[0] * 1000:.0f} ms, median {times[len(times) // 2] * 1000:.0f} ms, "
        f"{peak_kb / 1024:.0f} MB, {lines} lines printed"
    )


if __name__ == "__main__":
    main()
