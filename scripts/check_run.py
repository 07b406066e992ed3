#!/usr/bin/env python3
"""Use the portal as a newcomer would: start it, log in as the demo officer, press Ctrl-C.

    scripts/check_run.py [--timeout SECONDS] -- make run

Runs the command in a pseudo-terminal (so Ctrl-C is the real thing: the terminal's SIGINT to
the foreground process group), with ``RUN_ADDR`` on a free loopback port. It waits for the
portal to answer, logs in over HTTP as ``petugas`` with the demo password, checks that the
officer's queue is the real page (status 200 and its heading, not a login redirect), then
sends Ctrl-C and checks that every process the command started is gone within 10 seconds.
Exits non-zero, saying which step failed, otherwise. Standard library only: CI runs it before
anything else is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEMO_USER = "petugas"
DEMO_PASSWORD = "Layanan-Demo-2026"  # noqa: S105  (the README's demo password)
QUEUE_MARKER = "<h1>Antrean"
STOP_LIMIT = 10.0


class Failed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_processes(sid: int) -> list[str]:
    out = subprocess.run(
        ["ps", "-eo", "pid=,sid=,stat=,args="], capture_output=True, text=True, check=True
    ).stdout
    rows = []
    for line in out.splitlines():
        pid, psid, stat, *args = line.split(None, 3)
        if int(psid) == sid and not stat.startswith("Z"):  # a zombie has ended
            rows.append(" ".join([pid, *args]))
    return rows


class Terminal:
    """The command in a pseudo-terminal, its output collected (and echoed)."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: str | None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: its own session, the pty as its controlling terminal
            if cwd:
                os.chdir(cwd)
            os.execvpe(command[0], command, env)
        self.output = b""

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the command ended and closed the terminal
                return
            if not chunk:
                return
            self.output += chunk
            sys.stdout.write(chunk.decode(errors="replace"))
            sys.stdout.flush()

    def ctrl_c(self) -> None:
        os.write(self.fd, b"\x03")


def wait_until_up(term: Terminal, base: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        term.read(1.0)
        try:
            with urllib.request.urlopen(base + "/healthz?live=1", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if os.waitpid(term.pid, os.WNOHANG) != (0, 0):
            raise Failed("the command ended before the portal answered")
    raise Failed(f"the portal did not answer {base}/healthz within {timeout:.0f} s")


def log_in_and_open_queue(base: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/masuk/", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not token:
        raise Failed("the login page has no CSRF token")
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": DEMO_USER,
            "password": DEMO_PASSWORD,
        }
    ).encode()
    request = urllib.request.Request(base + "/masuk/", data=form, headers={"Referer": base})
    with opener.open(request, timeout=30) as response:
        response.read()
    with opener.open(base + "/permohonan/", timeout=30) as response:
        body = response.read().decode()
        final_url = response.geturl()
    if "/masuk/" in final_url or QUEUE_MARKER not in body:
        raise Failed(
            f"logging in as {DEMO_USER} with the demo password did not open the queue "
            f"(ended at {final_url}); was the demo kelurahan loaded?"
        )
    print(f"\ncheck_run: logged in as {DEMO_USER}; the queue page is served.", flush=True)


def stop_with_ctrl_c(term: Terminal) -> float:
    term.ctrl_c()
    started = time.monotonic()
    while time.monotonic() - started < STOP_LIMIT:
        term.read(0.2)
        if not session_processes(term.pid):
            return time.monotonic() - started
    raise Failed(
        f"processes still running {STOP_LIMIT:.0f} s after Ctrl-C:\n  "
        + "\n  ".join(session_processes(term.pid))
    )


def check(command: list[str], timeout: float, cwd: str | None = None, env=None) -> float:
    """Run the whole check; return the seconds Ctrl-C took to stop everything."""
    port = free_port()
    env = {**os.environ, **(env or {}), "RUN_ADDR": f"127.0.0.1:{port}"}
    term = Terminal(command, env, cwd)
    try:
        wait_until_up(term, f"http://127.0.0.1:{port}", timeout)
        log_in_and_open_queue(f"http://127.0.0.1:{port}")
        seconds = stop_with_ctrl_c(term)
    finally:
        for row in session_processes(term.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(row.split()[0]), 9)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(term.pid, 0)
    print(f"check_run: every process stopped {seconds:.1f} s after Ctrl-C.", flush=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for start")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    try:
        check(args.command, args.timeout)
    except Failed as exc:
        print(f"\ncheck_run: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
