#!/usr/bin/env python3
"""Measures the console as a user meets it, through a real pseudo-terminal (160x45).

  scripts/bench-console.py launch BINARY [RUNS]
      time from exec to the first full table on the demo (`--demo`, 501 users), per run.
  scripts/bench-console.py memory BINARY [USERS]
      starts `BINARY serve --seed-users USERS` (default 1,000,000), opens the console on it,
      pages through it (1,000 PgDn, G, 500 PgUp, 2,000 j) and prints resident memory
      (VmRSS now, VmHWM peak) at each step, then idle CPU over 10 s.

BINARY is normally the release build: `cargo build --release` then
`$CARGO_TARGET_DIR/release/geobox-users` (or target/release/geobox-users).
Uses only the standard library; Linux only (/proc).
"""

import fcntl
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time

ROWS, COLS = 45, 160


class Console:
    def __init__(self, binary, args, env):
        self.start = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(binary, [binary, *args], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.output = b""

    def read_until(self, predicate, timeout=30.0):
        """Reads the screen stream until predicate(output) holds; returns seconds since exec."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    self.output += os.read(self.fd, 1 << 16)
                except OSError:
                    return None
                if predicate(self.output):
                    return time.perf_counter() - self.start
        return None

    def drain(self, seconds):
        self.read_until(lambda _: False, timeout=seconds)
        self.output = self.output[-(1 << 20):]

    def keys(self, data, times=1, pause=0.0):
        for _ in range(times):
            os.write(self.fd, data)
            if pause:
                self.drain(pause)

    def status(self, field):
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_ticks(self):
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def quit(self):
        try:
            os.write(self.fd, b"q")
            time.sleep(0.3)
            os.kill(self.pid, signal.SIGTERM)
        except (OSError, ProcessLookupError):
            pass
        os.waitpid(self.pid, 0)


def clean_env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOBOX")}
    env.update(
        HOME=home,
        XDG_DATA_HOME=os.path.join(home, "data"),
        XDG_CACHE_HOME=os.path.join(home, "cache"),
        XDG_CONFIG_HOME=os.path.join(home, "config"),
        TERM="xterm-256color",
    )
    return env


def launch(binary, runs):
    home = tempfile.mkdtemp(prefix="geobox-launch-")
    env = clean_env(home)
    for run in range(1, runs + 1):
        console = Console(binary, ["--demo"], env)
        took = console.read_until(lambda out: "● Active".encode() in out and b" of 501" in out)
        console.quit()
        note = " (first run: seeds the demo database)" if run == 1 else ""
        print(f"run {run}: launch to first full table: {took * 1000:.0f} ms{note}" if took else f"run {run}: no table")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory(binary, users):
    home = tempfile.mkdtemp(prefix="geobox-memory-")
    port = free_port()
    password = "bench-memory-pass"
    print(f"seeding {users:,} users (in memory) ...", flush=True)
    server = subprocess.Popen(
        [binary, "serve", "--bind", f"127.0.0.1:{port}", "--seed-users", str(users),
         "--admin-password", password],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=clean_env(home),
    )
    try:
        for line in server.stdout:
            if b"Stop with Ctrl-C" in line:
                break
        env = clean_env(home)
        env.update(GEOBOX_HOST=f"http://127.0.0.1:{port}", GEOBOX_USERNAME="admin", GEOBOX_PASSWORD=password)
        console = Console(binary, [], env)
        # ratatui writes only changed cells, so the count may arrive apart from " of ".
        total = f"{users + 1:,}".encode()
        took = console.read_until(lambda out: total in out, timeout=60)
        print(f"first table after {took * 1000:.0f} ms" if took else "no table")
        console.drain(1)

        def report(step):
            print(f"{step:<28} VmRSS {console.status('VmRSS'):6.1f} MB   VmHWM {console.status('VmHWM'):6.1f} MB", flush=True)

        report("at start")
        console.keys(b"\x1b[6~", times=1000, pause=0.005)
        console.drain(2)
        report("after 1,000 PgDn")
        console.keys(b"G")
        console.drain(2)
        report("after G (last user)")
        console.keys(b"\x1b[5~", times=500, pause=0.005)
        console.drain(2)
        report("after 500 PgUp")
        console.keys(b"j", times=2000, pause=0.001)
        console.drain(2)
        report("after 2,000 j")
        before = console.cpu_ticks()
        time.sleep(10)
        ticks = console.cpu_ticks() - before
        print(f"idle CPU over 10 s: {ticks} clock ticks ({ticks / os.sysconf('SC_CLK_TCK'):.2f} s)")
        console.quit()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("launch", "memory"):
        print(__doc__)
        sys.exit(2)
    binary = os.path.abspath(sys.argv[2])
    if sys.argv[1] == "launch":
        launch(binary, int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    else:
        memory(binary, int(re.sub(r"[_,]", "", sys.argv[3])) if len(sys.argv) > 3 else 1_000_000)


if __name__ == "__main__":
    main()
