#!/usr/bin/env python3
"""Hostile HTTP clients for the exporter's tests and benchmark (issue 13).

http_clients.py PORT [--idle N] [--slow N] [--idle-from K] [--every S]

Keeps N idle connections (connected, silent) and N slowloris ones (a
request line, then one header line every S seconds, never the end) open to
127.0.0.1:PORT. Idle ones come from K loopback addresses (127.0.0.2 and
up), slow ones from 127.0.0.1, the scraper's address. A connection the
server closes is opened again half a second later, as an attacker would.
Prints "ready" once every connection is open, then runs until SIGTERM, when
it prints how many the server closed.
"""
import argparse
import resource
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--slow", type=int, default=0)
    ap.add_argument("--idle-from", type=int, default=1)
    ap.add_argument("--every", type=float, default=4.0)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    sel = selectors.DefaultSelector()
    closed = 0
    reopen = []  # (when, kind, source)
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    def open_one(kind, src):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1)  # a full backlog: try again later
        try:
            s.bind((src, 0))
            s.connect(("127.0.0.1", a.port))
        except OSError:
            s.close()
            reopen.append((time.monotonic() + 0.5, kind, src))
            return
        s.setblocking(False)
        if kind == "slow":
            s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        sel.register(s, selectors.EVENT_READ, (kind, src))

    for i in range(a.idle):
        open_one("idle", "127.0.0.%d" % (2 + i % max(a.idle_from, 1)))
    for i in range(a.slow):
        open_one("slow", "127.0.0.1")
    print("ready", flush=True)
    next_line = time.monotonic() + a.every
    n = 0
    while not stop:
        for key, _ in sel.select(0.1):
            try:
                data = key.fileobj.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                closed += 1
                reopen.append((time.monotonic() + 0.5, *key.data))
        now = time.monotonic()
        due = [r for r in reopen if r[0] <= now]
        reopen = [r for r in reopen if r[0] > now]
        for _, kind, src in due:
            open_one(kind, src)
        if now >= next_line:
            next_line = now + a.every
            for key in list(sel.get_map().values()):
                if key.data[0] == "slow":
                    n += 1
                    try:
                        key.fileobj.send(b"X-Slow-%d: x\r\n" % n)
                    except OSError:
                        pass
    print("closed by the server: %d" % closed, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
