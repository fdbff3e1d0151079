#!/usr/bin/env python3
"""A real SMTP server for the tests (aiosmtpd): stores every accepted message
as <dir>/<n>.eml. Optional STARTTLS (--cert/--key, required before AUTH) and
AUTH PLAIN/LOGIN against one --user/--password; --implicit-tls for SMTPS. Prints "ready <port>" once it
listens.

    python3 tests/smtp/server.py --port 2525 --dir /tmp/mails [--cert c.pem --key k.pem] [--user u --password p]
"""
import argparse
import asyncio
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, folder):
        self.folder = folder
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.folder, "%03d.eml" % self.n)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        with open(os.path.join(self.folder, "%03d.rcpt" % self.n), "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        return "250 OK stored"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (SMTPS) instead of STARTTLS")
    ap.add_argument("--user")
    ap.add_argument("--password")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    kwargs = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        if a.implicit_tls:
            kwargs.update(ssl_context=ctx)
        else:
            kwargs.update(tls_context=ctx, require_starttls=True)
    if a.user:
        def check(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == a.user \
                and auth_data.password.decode() == a.password
            return AuthResult(success=ok, handled=False)
        kwargs.update(authenticator=check, auth_require_tls=bool(a.cert), auth_required=True)
    c = Controller(Store(a.dir), hostname="127.0.0.1", port=a.port, **kwargs)
    c.start()
    print("ready %d" % a.port, flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
