#!/usr/bin/python3
"""A shop's webhook endpoint, for `make demo` (docs/webhooks.md): records each
POST it gets, answers 200. Each delivery is kept as DIR/NNN.json (the body,
byte for byte, as the signature covers it) and DIR/NNN.sig (the
Qpayd-Signature header), and a line `NNN type data.id` is appended to
DIR/index. Prints `listening HOST:PORT` once; SIGTERM stops it."""
import argparse
import http.server
import json
import os
import signal
import sys
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    lock = threading.Lock()
    count = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                count[0] += 1
                n = "%03d" % count[0]
                with open(os.path.join(args.dir, n + ".json"), "wb") as f:
                    f.write(body)
                with open(os.path.join(args.dir, n + ".sig"), "w") as f:
                    f.write(self.headers.get("Qpayd-Signature", ""))
                try:
                    event = json.loads(body)
                    line = "%s %s %s" % (n, event["type"], event["data"]["id"])
                except (ValueError, KeyError, TypeError):
                    line = "%s (not an event)" % n
                with open(os.path.join(args.dir, "index"), "a") as f:
                    f.write(line + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print("listening %s:%d" % server.server_address[:2], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
