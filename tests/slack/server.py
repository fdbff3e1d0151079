#!/usr/bin/env python3
"""A real HTTP server standing in for a Slack incoming webhook in the tests:
answers each POST with the next scripted status (the last repeats), with
`Retry-After: 1` on a 429, and records every request as <dir>/<n>.json (the
body) and <n>.meta (status answered, path, content type, seconds since the
first request). Prints "ready <port>" once it listens.

    python3 tests/slack/server.py --port 8099 --dir /tmp/posts --statuses 429,200
"""
import argparse
import http.server
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--statuses", default="200")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    statuses = [int(s) for s in args.statuses.split(",")]
    state = {"n": 0, "t0": None}

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            n = state["n"]
            state["n"] += 1
            now = time.monotonic()
            if state["t0"] is None:
                state["t0"] = now
            status = statuses[min(n, len(statuses) - 1)]
            path = os.path.join(args.dir, "%03d" % (n + 1))
            with open(path + ".json.tmp", "wb") as f:
                f.write(body)
            os.rename(path + ".json.tmp", path + ".json")
            with open(path + ".meta", "w") as f:
                f.write("%d %s %s %.3f\n" % (status, self.path, self.headers.get("Content-Type"), now - state["t0"]))
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "1")
            reply = b"ok" if status == 200 else b"error"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", args.port), Hook)
    print("ready %d" % args.port, flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
