#!/usr/bin/env python3
"""The origin behind nginx in the access-log tests: answers by path prefix
and counts every request it receives (GET /__counts, asked directly, returns
the counts as JSON).

  /c/…        200, Cache-Control: max-age=1 (cached, then EXPIRED)
  /s/…        200, max-age=1; every request after the first for a path takes
              1 s (a slow background update, so nginx serves STALE/UPDATING)
  /r/…        200 with ETag "v1", max-age=1; 304 to If-None-Match: "v1"
  /nostore/…  200, Cache-Control: no-store (never cached)
  /err/…      500
  anything    200
Prints "ready <port>" when listening."""

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, headers=(), body=b"ok"):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if code != 304 else 0))
        self.end_headers()
        if code != 304:
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/__counts":
            with lock:
                body = json.dumps(counts).encode()
            return self.send(200, [("Content-Type", "application/json")], body)
        with lock:
            seen = counts.get(self.path, 0)
            counts[self.path] = seen + 1
        p = self.path
        if p.startswith("/c/"):
            return self.send(200, [("Cache-Control", "max-age=1")])
        if p.startswith("/s/"):
            if seen > 0:
                time.sleep(1.0)
            return self.send(200, [("Cache-Control", "max-age=1")])
        if p.startswith("/r/"):
            if self.headers.get("If-None-Match") == '"v1"':
                return self.send(304, [("ETag", '"v1"'), ("Cache-Control", "max-age=1")])
            return self.send(200, [("ETag", '"v1"'), ("Cache-Control", "max-age=1")])
        if p.startswith("/nostore/"):
            return self.send(200, [("Cache-Control", "no-store")])
        if p.startswith("/err/"):
            return self.send(500, [], b"boom")
        return self.send(200)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"ready {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
