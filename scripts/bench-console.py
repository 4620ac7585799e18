#!/usr/bin/env python3
"""Measures the console as a user meets it, through a real pseudo-terminal (160x45).

  scripts/bench-console.py launch BINARY [RUNS]
      time from exec to the first full table on the demo (`--demo`, 501 users), per run.
  scripts/bench-console.py memory BINARY [USERS]
      starts `BINARY serve --seed-users USERS` (default 1,000,000), opens the console on it,
      pages through it (1,000 PgDn, G, 500 PgUp, 2,000 j) and prints resident memory
      (VmRSS now, VmHWM peak) at each step, then idle CPU over 10 s.
  scripts/bench-console.py keys BINARY [USERS] [DB]
      the time from a key to the table it asks for, at USERS users (default 1,000,000):
      for each shape of the server bench's slow list (a filter with a sort on another
      column), a saved view applied from the `F` picker (a filter and sort change in one key),
      then `G` (the last page), then `O` (the order flipped). The screen is read through a
      terminal emulator (pyte: `pip install pyte`), and a step is done when the table shows
      the count and the first (or last) username the server gives for that request (asked in
      an equivalent form, so the console's requests find nothing cached). DB keeps the seeded
      database between runs (seeded on the first, reused after).

BINARY is normally the release build: `cargo build --release` then
`$CARGO_TARGET_DIR/release/geobox-users` (or target/release/geobox-users).
Uses only the standard library (and pyte for `keys`); Linux only (/proc).
"""

import fcntl
import json
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
import urllib.parse
import urllib.request

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


# Saved views for `keys`: a name, the `views save` flags, and the API parameters of the same list.
SHAPES = [
    ("k1-disabled-username", ["--status", "disabled", "--order-by", "username A"],
     {"status": "Disabled", "order_by": "username A"}),
    ("k2-viewer-username", ["--q", "role = 'Viewer'", "--order-by", "username A"],
     {"q": "role = 'Viewer'", "order_by": "username A"}),
    ("k3-editor-active-lastname", ["--status", "active", "--q", "role = 'Editor'", "--order-by", "last_name D"],
     {"status": "Active", "q": "role = 'Editor'", "order_by": "last_name D"}),
    ("k4-since-2024-username", ["--q", "created_at > DATE('2024-01-01')", "--order-by", "username A"],
     {"q": "created_at > DATE('2024-01-01')", "order_by": "username A"}),
    ("k5-gmail-active-created", ["--status", "active", "--search", "gmail", "--order-by", "created_at D"],
     {"status": "Active", "search": "gmail", "order_by": "created_at D"}),
    ("k6-reza-expiration", ["--q", "username LIKE '%reza%'", "--order-by", "expiration_date A"],
     {"q": "username LIKE '%reza%'", "order_by": "expiration_date A"}),
]


class Api:
    """What the server says a list holds, to know what the screen must show."""

    def __init__(self, base, password):
        self.base = base
        body = urllib.parse.urlencode({"username": "admin", "password": password}).encode()
        with urllib.request.urlopen(f"{base}auth/token/", body) as answer:
            self.token = json.load(answer)["access_token"]

    def get(self, params):
        url = f"{self.base}users/?f=json&{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)

    def count(self, params):
        return self.get({**params, "return_count": "True"})["count"]

    def username_at(self, params, skip):
        return self.get({**params, "skip": skip, "limit": 1})[0]["username"]


def twin(params):
    """The same list asked another way. The script asks the server what the screen must show
    before each key; asked as the console asks, that would leave the count and the sort order
    in the server's caches (keyed by the query) and time a warm server. Asked this way, the
    console's own requests are first asks."""
    if "search" in params:
        return {**params, "search": f"{params['search']} {params['search']}"}
    q = params.get("q")
    return {**params, "q": f"({q}) AND id > 0" if q else "id > 0"}


def flipped(params):
    column, direction = params["order_by"].split()
    return {**params, "order_by": f"{column} {'D' if direction == 'A' else 'A'}"}


class Screen:
    """The console's pseudo-terminal read through a terminal emulator."""

    def __init__(self, console):
        import pyte
        self.console = console
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)

    def wait(self, predicate, timeout=30.0, quiet=0.2):
        """Seconds from now until the bytes arrived that make predicate(lines) hold (None on
        timeout). Bytes are stamped as they arrive and fed to the emulator only once the
        terminal has been quiet a moment, so the emulator's own slowness is not measured."""
        return self.wait_all([predicate], timeout, quiet)[0]

    def wait_all(self, predicates, timeout=30.0, quiet=0.2):
        """wait() for each of predicates, in one stream of bytes: the first time each held."""
        start = time.perf_counter()
        deadline = start + timeout
        pending = []
        held = [None] * len(predicates)
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.console.fd], [], [], quiet)
            if ready:
                pending.append((time.perf_counter(), os.read(self.console.fd, 1 << 16)))
                continue
            for arrived, data in pending:
                self.stream.feed(data)
                for index, predicate in enumerate(predicates):
                    if held[index] is None and predicate(self.screen.display):
                        held[index] = arrived - start
            pending.clear()
            if all(took is not None for took in held):
                break
        return held

    def press(self, key, *predicates):
        """Presses key; the time until predicates[0] held (or each of them, given several)."""
        self.wait(lambda _: False, timeout=0.4)  # let earlier redraws (sessions pane) settle
        os.write(self.console.fd, key)
        held = self.wait_all(list(predicates))
        return held[0] if len(held) == 1 else held


def table_shows(count, username, at_top):
    """The header says the count, and the first (or the selected last) row is that user;
    without a count, only the row."""
    total = f"of {count:,}" if count is not None else ""
    name = username[:14]

    def predicate(lines):
        if total not in lines[0]:
            return False
        rows = [line for line in lines[2:] if "│" in line]
        if at_top:
            return any(name in row for row in rows[:2])
        return any(name in row and "▌" in row for row in rows)
    return predicate


def keys(binary, users, db):
    home = tempfile.mkdtemp(prefix="geobox-keys-")
    db = db or os.path.join(home, "bench.sqlite")
    port = free_port()
    password = "bench-keys-pass"
    env = clean_env(home)
    config = os.path.join(home, "config.toml")
    env.update(GEOBOX_USERS_CONFIG=config, GEOBOX_USERS_DATA_DIR=os.path.join(home, "data"))
    for name, flags, _ in SHAPES:
        subprocess.run([binary, "views", "save", name, *flags], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"starting the server on {db} ({users:,} users; seeds them when the file is new) ...", flush=True)
    server = subprocess.Popen(
        [binary, "serve", "--db", db, "--bind", f"127.0.0.1:{port}", "--seed-users", str(users),
         "--admin-password", password],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    try:
        for line in server.stdout:
            if b"Stop with Ctrl-C" in line:
                break
        base = f"http://127.0.0.1:{port}/"
        api = Api(f"{base}v1/", password)
        env.update(GEOBOX_HOST=base, GEOBOX_USERNAME="admin", GEOBOX_PASSWORD=password)
        console = Console(binary, [], env)
        screen = Screen(console)
        everyone = api.count({})
        took = screen.wait(lambda lines: f"of {everyone:,}" in lines[0], timeout=60)
        print(f"first table ({everyone:,} users): {took * 1000:.0f} ms" if took else "no table")
        print("F ⏎ (view): until the first row is right / until the header's count is too")
        print(f"{'shape':<28} {'matches':>9} {'F ⏎ (view)':>15} {'G':>8} {'O (flip)':>9} {'G again':>8}")
        for index, (name, _, shape) in enumerate(SHAPES):
            params = twin(shape)
            count = api.count(params)
            first = api.username_at(params, 0)
            last = api.username_at(params, max(count - 1, 0))
            reverse = flipped(params)
            first_flipped = api.username_at(reverse, 0)
            last_flipped = api.username_at(reverse, max(count - 1, 0))
            # The picker lists saved views by name; the cursor starts on the first.
            screen.press(b"F", lambda lines: any(name in line for line in lines))
            for _ in range(index):
                screen.press(b"j", lambda _: True)
            rows, applied = screen.press(
                b"\r", table_shows(None, first, True), table_shows(count, first, True))
            end = screen.press(b"G", table_shows(count, last, False))
            screen.press(b"g", table_shows(count, first, True))
            flip = screen.press(b"O", table_shows(count, first_flipped, True))
            end_again = screen.press(b"G", table_shows(count, last_flipped, False))
            cells = [f"{t * 1000:.0f}" if t is not None else "timeout" for t in (rows, applied, end, flip, end_again)]
            view = f"{cells[0]} / {cells[1]} ms"
            print(f"{name:<28} {count:>9,} {view:>15} {cells[2]:>5} ms {cells[3]:>6} ms {cells[4]:>5} ms", flush=True)
            screen.press(b"g", lambda _: True)
        console.quit()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("launch", "memory", "keys"):
        print(__doc__)
        sys.exit(2)
    binary = os.path.abspath(sys.argv[2])
    if sys.argv[1] == "launch":
        launch(binary, int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    elif sys.argv[1] == "keys":
        users = int(re.sub(r"[_,]", "", sys.argv[3])) if len(sys.argv) > 3 else 1_000_000
        keys(binary, users, sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        memory(binary, int(re.sub(r"[_,]", "", sys.argv[3])) if len(sys.argv) > 3 else 1_000_000)


if __name__ == "__main__":
    main()
