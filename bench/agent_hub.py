#!/usr/bin/env python3
"""A stand-in hub for bench/agent.sh: serves the shtab-agent protocol (crates/access-protocol)
from a state file on 127.0.0.1 and a free port, which it writes to PORT_FILE.

    agent_hub.py STATE_JSON TOKEN PORT_FILE

GET /agent/v1/state answers the file with ETag "<revision>" (304 on If-None-Match);
POST /agent/v1/register and /agent/v1/report are accepted. A wrong bearer token gets 401.
"""
import http.server
import json
import sys

STATE_FILE, TOKEN, PORT_FILE = sys.argv[1], sys.argv[2], sys.argv[3]


class Hub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def authorized(self):
        if self.headers.get("Authorization") == "Bearer " + TOKEN:
            return True
        self.answer(401, b"")
        return False

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/agent/v1/state":
            return self.answer(404, b"")
        if not self.authorized():
            return
        with open(STATE_FILE, "rb") as f:
            body = f.read()
        etag = '"%s"' % json.loads(body)["revision"]
        if self.headers.get("If-None-Match") == etag:
            return self.answer(304, b"", [("ETag", etag)])
        self.answer(200, body, [("ETag", etag), ("Content-Type", "application/json")])

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        if not self.authorized():
            return
        if self.path == "/agent/v1/register":
            body = json.dumps({"server": "bench"}).encode()
            return self.answer(200, body, [("Content-Type", "application/json")])
        if self.path == "/agent/v1/report":
            return self.answer(204, b"")
        self.answer(404, b"")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
with open(PORT_FILE, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
