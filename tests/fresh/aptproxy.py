#!/usr/bin/python3
"""The fresh root's only way out: apt's HTTP requests to the Debian mirror.

aptproxy.py proxy SOCKET HOST...  (outside the network namespace) serves HTTP proxy
    requests arriving on the Unix socket SOCKET, for the named mirror hosts only.
aptproxy.py bridge PORT SOCKET     (inside it) accepts on 127.0.0.1:PORT and joins each
    connection to SOCKET.
"""
import os
import socket
import sys
import threading


def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def join(a, b):
    threading.Thread(target=pipe, args=(a, b), daemon=True).start()
    threading.Thread(target=pipe, args=(b, a), daemon=True).start()


def proxy_one(c, hosts):
    head = b""
    while b"\r\n" not in head:
        d = c.recv(4096)
        if not d:
            c.close()
            return
        head += d
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    url = parts[1].decode("ascii", "replace") if len(parts) > 2 else ""
    host = url[len("http://"):].split("/", 1)[0] if url.startswith("http://") else ""
    if host not in hosts:
        c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        c.close()
        return
    try:
        u = socket.create_connection((host, 80), timeout=30)
        u.settimeout(None)
    except OSError:
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        c.close()
        return
    u.sendall(head)
    join(c, u)


def main():
    mode = sys.argv[1]
    if mode == "proxy":
        path, hosts = sys.argv[2], set(sys.argv[3:])
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        s.listen(16)
        while True:
            c, _ = s.accept()
            threading.Thread(target=proxy_one, args=(c, hosts), daemon=True).start()
    elif mode == "bridge":
        port, path = int(sys.argv[2]), sys.argv[3]
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(16)
        while True:
            c, _ = s.accept()
            u = socket.socket(socket.AF_UNIX)
            try:
                u.connect(path)
            except OSError:
                c.close()
                continue
            join(c, u)
    else:
        sys.exit("usage: aptproxy.py proxy SOCKET HOST... | bridge PORT SOCKET")


main()
