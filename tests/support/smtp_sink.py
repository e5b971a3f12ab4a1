#!/usr/bin/env python3
"""A real SMTP server on loopback for the integration tests (driven by tests/support/smtp.rs).

    smtp_sink.py PORT OUTDIR RULES [--auth USER:PASS] [--tlscert CERT --tlskey KEY]

Listens on 127.0.0.1:PORT (0 = any free port) with aiosmtpd and prints `PORT <n>` as the
first stdout line once it accepts connections. Each accepted message becomes, in OUTDIR:

  NNNNNN.eml   the raw bytes as received (dot-unstuffed; nothing injected)
  NNNNNN.json  the envelope plus a parse by the stdlib `email` package (policy.default):
               decoded headers, and the text/plain and text/html bodies as str with "\n"
               line ends

Both are written to a temporary name and renamed, the .json last, so a reader that lists
*.json never sees half a file. Numbering continues after the highest number already in
OUTDIR, so a restarted sink keeps counting.

RULES is a JSON file re-read on every RCPT and DATA, so a test can change it while the
sink runs (all keys optional):

  reject_rcpt    ["sub", ...]   RCPT TO containing one of these -> 550 5.1.1
  tempfail_rcpt  {"sub": N}     the first N RCPTs containing "sub" -> 451 4.3.0
  tempfail_data  N              the first N messages -> 451 4.3.0 at the end of DATA
                                (the message is received, then refused and not stored)
  delay_data_ms  N              wait N ms before answering the end of DATA
  generation     any            the tempfail counters restart when this value changes

Tempfail counters live in this process only: a restarted sink starts them afresh.

--auth USER:PASS offers AUTH PLAIN and LOGIN (without TLS: it is loopback) and requires
it: MAIL before a successful AUTH answers 530. --tlscert/--tlskey offer STARTTLS.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import re
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    """aiosmtpd handler: applies the rules, stores accepted messages."""

    def __init__(self, outdir, rules_path):
        self.outdir = outdir
        self.rules_path = rules_path
        numbers = [int(m.group(1)) for m in map(re.compile(r"^(\d{6})\.json$").match, os.listdir(outdir)) if m]
        self.next_number = max(numbers, default=0) + 1
        self.generation = None
        self.tempfails = {}  # ("rcpt", substring) or ("data",) -> how many answered 451 so far

    def rules(self):
        """The current rules; counters restart when the generation changes."""
        try:
            with open(self.rules_path, encoding="utf-8") as f:
                rules = json.load(f)
        except FileNotFoundError:
            rules = {}
        if rules.get("generation") != self.generation:
            self.generation = rules.get("generation")
            self.tempfails = {}
        return rules

    def take_tempfail(self, key, limit):
        """True (and counts it) while fewer than `limit` tempfails were answered for key."""
        used = self.tempfails.get(key, 0)
        if used < limit:
            self.tempfails[key] = used + 1
            return True
        return False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        rules = self.rules()
        if any(s in address for s in rules.get("reject_rcpt", [])):
            return "550 5.1.1 mailbox unavailable"
        for sub, limit in rules.get("tempfail_rcpt", {}).items():
            if sub in address and self.take_tempfail(("rcpt", sub), limit):
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        rules = self.rules()
        if rules.get("delay_data_ms", 0) > 0:
            await asyncio.sleep(rules["delay_data_ms"] / 1000)
        if self.take_tempfail(("data",), rules.get("tempfail_data", 0)):
            return "451 4.3.0 try again later"
        raw = envelope.original_content
        number = self.next_number
        self.next_number += 1
        base = os.path.join(self.outdir, f"{number:06d}")
        write_atomic(base + ".eml", raw)
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, **parse(raw)}
        write_atomic(base + ".json", json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
        return "250 OK message accepted"


def parse(raw):
    """The fields the tests check, decoded by the stdlib email package."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)

    def header(name):
        value = msg.get(name)
        return None if value is None else str(value)

    def body(subtype):
        part = msg.get_body(preferencelist=(subtype,))
        # As a mail reader shows it: the wire's CRLF line ends become "\n".
        return None if part is None else part.get_content().replace("\r\n", "\n")

    return {
        "subject": header("Subject") or "",
        "from": header("From") or "",
        "to": header("To") or "",
        "date": header("Date"),
        "message_id": header("Message-ID"),
        "list_id": header("List-Id"),
        "list_unsubscribe": header("List-Unsubscribe"),
        "list_unsubscribe_post": header("List-Unsubscribe-Post"),
        "content_type": msg.get_content_type(),
        "is_multipart": msg.is_multipart(),
        "text": body("plain"),
        "html": body("html"),
        "headers": [[name, str(value)] for name, value in msg.items()],
    }


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def authenticator(user, password):
    """An aiosmtpd authenticator accepting exactly user/password (PLAIN and LOGIN)."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            user.encode(),
            password.encode(),
        )
        # handled=False: aiosmtpd answers a failure itself (535 5.7.8); with its default,
        # handled=True, it would answer nothing and the client would hang.
        return AuthResult(success=ok, handled=False)

    return check


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("port", type=int)
    p.add_argument("outdir")
    p.add_argument("rules")
    p.add_argument("--auth", metavar="USER:PASS")
    p.add_argument("--tlscert")
    p.add_argument("--tlskey")
    args = p.parse_args()

    sink = Sink(args.outdir, args.rules)
    options = {
        # A fixed name: the default, socket.getfqdn(), may wait on DNS for every connection.
        "hostname": "tidings-sink",
        "enable_SMTPUTF8": True,
    }
    if args.auth:
        user, _, password = args.auth.partition(":")
        # aiosmtpd warns that AUTH without TLS is unsafe; on loopback in tests it is fine.
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        options.update(authenticator=authenticator(user, password), auth_required=True, auth_require_tls=False)
    if args.tlscert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tlscert, args.tlskey)
        options["tls_context"] = context

    loop = asyncio.get_running_loop()
    # create_server sets SO_REUSEADDR, so a restarted sink can bind the same port at once.
    server = await loop.create_server(lambda: SMTP(sink, loop=loop, **options), "127.0.0.1", args.port)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
