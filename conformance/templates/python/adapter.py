#!/usr/bin/env python3
"""A jpki-mobile shim adapter in Python: the template a vendor copies.

The suite starts this program once per check and talks to it over stdin and
stdout (conformance/SHIM.md, "The shim protocol"). Every message, both ways,
is a 4-byte big-endian length and then that many bytes of CBOR in core
deterministic encoding: a map with text keys. Log to stderr only: stdout
carries frames.

As it stands the adapter serves every role and implements nothing: each
method answers `unimplemented`, so a run against it is "not certified"
(exit status 3) with no check passed. Replace the stubs in METHODS with
calls into your own Issuer, Status, Verifier or wallet, and list in ROLES
only the roles you serve (the suite plays the others itself).

Needs cbor2 (`pip install cbor2`).

Run it:  cargo run -p jpki-conformance -- run --sut "shim:python3 conformance/templates/python/adapter.py"
"""

import struct
import sys

import cbor2

IDENTITY = "python template adapter"
# The roles this adapter serves: any of "issuer", "status", "verifier", "device".
ROLES = ["issuer", "status", "verifier", "device"]
MAX_FRAME = 16 * 1024 * 1024  # SHIM.md: at most 16 MiB per message


class Unimplemented(Exception):
    """Answered as `{"id": id, "unimplemented": method}` (SHIM.md)."""


class Refused(Exception):
    """A protocol refusal: `code` from spec/errors.md, `detail` for people."""

    def __init__(self, code, detail=""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def read_frame(stream):
    """The next message, or None when the suite closed the pipe."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    (length,) = struct.unpack(">I", head)
    if length > MAX_FRAME:
        raise ValueError(f"frame of {length} bytes is over the limit")
    body = stream.read(length)
    if len(body) < length:
        return None
    return cbor2.loads(body)


def write_frame(stream, message):
    """Writes one message in core deterministic encoding (canonical=True)."""
    body = cbor2.dumps(message, canonical=True)
    stream.write(struct.pack(">I", len(body)) + body)
    stream.flush()


SHIM_VERSION = 3  # SHIM.md, "Versions"


def hello(params):
    """SHIM.md `hello`: `version`, `seed`; answer the version you speak, who you are and what you serve."""
    if params.get("version") != SHIM_VERSION:
        raise Refused("malformed", f"this adapter speaks shim protocol {SHIM_VERSION}, not {params.get('version')}")
    return {"version": SHIM_VERSION, "identity": IDENTITY, "roles": ROLES}


def unimplemented(params):
    raise Unimplemented()


# One entry per method of SHIM.md's table. A role method takes `params` (a
# dict: byte strings are `bytes`, times are ints) and returns the `ok`
# value, or raises Refused(code) for a protocol refusal. A verifier's
# `verifier.verify` asks Status through the call-back `status.answer`: send
# `{"id": id, "callback": "status.answer", "params": {"request": bytes}}`
# and keep serving requests until the call-back answer with that id arrives.
# Controls (`*.register_card`, `*.card_event`, `*.load`) set fixtures up;
# observations (`*.observe`) report what spec/observation.cddl lists, as a
# CBOR map (byte strings as bytes), never a secret; see SHIM.md.
METHODS = {
    "hello": hello,
    # Issuer
    "issuer.challenge": unimplemented,
    "issuer.issue": unimplemented,
    "issuer.migrate": unimplemented,
    "issuer.holder_action": unimplemented,
    "issuer.device_revocation": unimplemented,
    "issuer.deliver_wipes": unimplemented,
    "issuer.acknowledge_wipe": unimplemented,
    "issuer.register_card": unimplemented,
    "issuer.card_event": unimplemented,
    "issuer.observe": unimplemented,
    "issuer.load": unimplemented,
    # Status
    "status.apply_feed": unimplemented,
    "status.answer": unimplemented,
    "status.list": unimplemented,
    "status.observe": unimplemented,
    "status.load": unimplemented,
    # Verifier
    "verifier.request": unimplemented,
    "verifier.verify": unimplemented,
    # ... as a qualification reader (spec/qualification.md; a product without
    # it lists "qualification" in its capability statement's absent_features)
    "verifier.mdoc_request": unimplemented,
    "verifier.mdoc_verify": unimplemented,
    "verifier.observe": unimplemented,
    "verifier.load": unimplemented,
    # Wallet (device)
    "device.create": unimplemented,
    "device.digest": unimplemented,
    "device.prepare_issuance": unimplemented,
    "device.request_issuance": unimplemented,
    "device.install": unimplemented,
    "device.installed_serials": unimplemented,
    "device.assert": unimplemented,
    "device.present_mdoc": unimplemented,
    "device.sign_lifecycle": unimplemented,
    "device.apply_wipe": unimplemented,
    "device.release": unimplemented,
    "device.observe": unimplemented,
}


def serve(stdin, stdout):
    while True:
        request = read_frame(stdin)
        if request is None:
            return
        ident = request.get("id")
        method = request.get("method", "")
        handler = METHODS.get(method, unimplemented)
        try:
            answer = {"id": ident, "ok": handler(request.get("params", {}))}
        except Unimplemented:
            answer = {"id": ident, "unimplemented": method}
        except Refused as refused:
            answer = {"id": ident, "error": {"code": refused.code, "detail": refused.detail}}
        write_frame(stdout, answer)


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
