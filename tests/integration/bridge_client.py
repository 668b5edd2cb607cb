#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Raw-socket clients for the bridge tests: what curl cannot send or measure.

  raw PORT                      send stdin as is, print the first line of the reply
  dump PORT                     send stdin as is, print the whole reply (until the bridge closes)
  load PORT TOKEN HOST N C      N CONNECT + GET exchanges to HOST:80, C at a time;
                                prints "ok=N failed=F" and the first failure
  halfclose PORT TOKEN HOST     CONNECT, send an HTTP/1.0 GET, shut down writing, read to
                                EOF; prints the body (the reply must survive the half-close)
  idle PORT TOKEN HOST SECONDS  CONNECT, then wait; prints "closed after S" when the bridge
                                closes the idle connection, "open" if it is still open
"""
import base64
import socket
import sys
import threading
import time


def auth(token):
    return base64.b64encode(f"phantom:{token}".encode()).decode()


def recv_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def connect_via(port, token, host, target_port=80, timeout=10):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(
        f"CONNECT {host}:{target_port} HTTP/1.1\r\nHost: {host}:{target_port}\r\n"
        f"Proxy-Authorization: Basic {auth(token)}\r\n\r\n".encode())
    head = recv_head(sock)
    if not head.startswith(b"HTTP/1.1 200"):
        sock.close()
        first = head.split(b"\r\n")[0]
        raise RuntimeError(f"CONNECT answered {first!r}")
    return sock, head.split(b"\r\n\r\n", 1)[1]


def read_all(sock, data=b""):
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def read_response(sock, data=b""):
    """Reads one response with a Content-Length body (the fixture's upstream sends one)."""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError(f"connection closed after {data[:60]!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed inside the body")
        body += chunk
    return head, body


def exchange(port, token, host):
    sock, rest = connect_via(port, token, host)
    try:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        head, _ = read_response(sock, rest)
        if b" 200 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"GET answered {head[:60]!r}")
    finally:
        sock.close()


def cmd_raw(port):
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    sock.sendall(sys.stdin.buffer.read())
    reply = read_all(sock)
    print(reply.split(b"\r\n")[0].decode(errors="replace"))
    print(reply.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip())


def cmd_dump(port):
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    sock.sendall(sys.stdin.buffer.read())
    sys.stdout.write(read_all(sock).decode(errors="replace"))


def cmd_load(port, token, host, n, concurrency):
    n, concurrency = int(n), int(concurrency)
    lock = threading.Lock()
    counts = {"ok": 0, "failed": 0, "first": ""}
    remaining = iter(range(n))

    def worker():
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            try:
                exchange(int(port), token, host)
                with lock:
                    counts["ok"] += 1
            except Exception as e:  # report, do not stop the run
                with lock:
                    counts["failed"] += 1
                    counts["first"] = counts["first"] or repr(e)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"ok={counts['ok']} failed={counts['failed']} {counts['first']}")


def cmd_halfclose(port, token, host):
    sock, rest = connect_via(int(port), token, host)
    sock.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    sock.shutdown(socket.SHUT_WR)
    reply = read_all(sock, rest)
    print(reply.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip())


def cmd_idle(port, token, host, seconds):
    sock, _ = connect_via(int(port), token, host)
    sock.settimeout(float(seconds))
    start = time.monotonic()
    try:
        data = sock.recv(1)
        print(f"closed after {time.monotonic() - start:.1f}" if not data else "data")
    except socket.timeout:
        print("open")


if __name__ == "__main__":
    commands = {"raw": cmd_raw, "dump": cmd_dump, "load": cmd_load, "halfclose": cmd_halfclose, "idle": cmd_idle}
    commands[sys.argv[1]](*sys.argv[2:])
