#!/usr/bin/env python3
"""Which Ed25519 verifiers are strict (docs/protocol.md section 2): runs every signature of the
`signature` and `receipt` vectors through PyNaCl (libsodium), the `cryptography` package (OpenSSL)
and Node's crypto.verify (OpenSSL, through verify-node.mjs), called the way an implementer would
call them, with no checks of our own in front.

Each check is one signature of one vector, with the public key, the signed message (PAE of the
label and the fields, section 4) and the signature. A check is expected to be refused when the
vector fails on that very signature (`bad_vendor_signature`, `bad_client_signature`,
`bad_receipt_signature`), and accepted otherwise. Vectors that fail before any signature is
checked (`malformed_request`, `unknown_vendor_key`) are skipped.

Usage: python3 scripts/ed25519-strictness/measure.py [--vectors vectors] [--cases-json FILE]
Prints one row per check where some verifier differs from strict verification, then a summary
per verifier, alone and with the checks section 2.1 asks for in front of it.
--cases-json also writes the checks as JSON ({vector, role, strict, public_key, message,
signature}, hex), for verifiers in other languages. Exits 0; it measures, it does not judge.
"""
import argparse
import json
import struct
import subprocess
import sys
from pathlib import Path

import nacl
import nacl.exceptions
import nacl.signing
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

LABELS = {role: f"s3-gatekeeper/v1 {role}-signature".encode() for role in ("vendor", "client", "receipt")}
SKIPPED = {"malformed_request", "unknown_vendor_key"}


def pae(*parts):
    return struct.pack(">I", len(parts)) + b"".join(struct.pack(">I", len(p)) + p for p in parts)


def session_key(request):
    """The request's session_key (section 3.1): after domain, version, operation, gatekeeper_id,
    key, issued_at, expires_at and nonce."""
    at = 0
    for step in ("domain", 2, "gatekeeper_id", "key", 8 + 8 + 16):
        at += step if isinstance(step, int) else 2 + struct.unpack(">H", request[at:at + 2])[0]
    return request[at:at + 32]


def read_vector(path):
    return dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
                for line in path.read_text().splitlines())


def checks(vectors):
    out = []
    for path in sorted(vectors.glob("*.txt")):
        v = read_vector(path)
        if v["kind"] not in ("signature", "receipt") or v["expect"] in SKIPPED:
            continue
        name, expect, h = path.stem, v["expect"], bytes.fromhex
        if v["kind"] == "receipt":
            roles = {"receipt": (h(v["gatekeeper_public_key"]),
                                 pae(LABELS["receipt"], v["gatekeeper_key_id"].encode(), h(v["receipt"])),
                                 h(v["receipt_signature"]))}
        else:
            request, key_id = h(v["request"]), v["presented_vendor_key_id"].encode()
            roles = {"vendor": (h(v["vendor_public_key"]), pae(LABELS["vendor"], key_id, request),
                                h(v["vendor_signature"])),
                     "client": (session_key(request),
                                pae(LABELS["client"], request, key_id, h(v["vendor_signature"])),
                                h(v["client_signature"]))}
        for role, (key, message, signature) in roles.items():
            failing = expect == f"bad_{role}_signature"
            if expect.startswith("bad_") and not failing:
                continue  # the other signature of a vector that fails on one: not a defined case
            out.append({"vector": name, "role": role, "strict": "refuse" if failing else "accept",
                        "public_key": key.hex(), "message": message.hex(), "signature": signature.hex()})
    return out


P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
SMALL_ORDER_Y = {bytes.fromhex(h) for h in (
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")}


def passes_section_2_1_checks(c):
    """The checks section 2.1 asks for in front of a lenient verifier: A and R canonical (y < p)
    and not of small order (y, sign bit cleared, not one of the five values), S < L."""
    signature = bytes.fromhex(c["signature"])
    for point in (bytes.fromhex(c["public_key"]), signature[:32]):
        y = point[:31] + bytes([point[31] & 0x7F])
        if int.from_bytes(y, "little") >= P or y in SMALL_ORDER_Y:
            return False
    return int.from_bytes(signature[32:], "little") < L


def pynacl(c):
    try:
        nacl.signing.VerifyKey(bytes.fromhex(c["public_key"])).verify(
            bytes.fromhex(c["message"]), bytes.fromhex(c["signature"]))
        return "accept"
    except nacl.exceptions.BadSignatureError:
        return "refuse"


def cryptography_openssl(c):
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(c["public_key"]))
    except ValueError:
        return "refuse (key)"
    try:
        key.verify(bytes.fromhex(c["signature"]), bytes.fromhex(c["message"]))
        return "accept"
    except InvalidSignature:
        return "refuse"


def node(cases):
    script = Path(__file__).with_name("verify-node.mjs")
    run = subprocess.run(["node", str(script)], input=json.dumps(cases), capture_output=True, text=True,
                         check=True)
    return json.loads(run.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vectors", default="vectors", type=Path)
    parser.add_argument("--cases-json", type=Path)
    args = parser.parse_args()
    cases = checks(args.vectors)
    if args.cases_json:
        args.cases_json.write_text(json.dumps(cases, indent=1))
    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend
    node_version = subprocess.run(["node", "-p", "process.versions.node + ' (OpenSSL ' + "
                                   "process.versions.openssl + ')'"], capture_output=True, text=True,
                                  check=True).stdout.strip()
    columns = {
        f"PyNaCl {nacl.__version__} (its bundled libsodium)": [pynacl(c) for c in cases],
        f"cryptography {cryptography.__version__} ({backend.openssl_version_text()})":
            [cryptography_openssl(c) for c in cases],
        f"Node {node_version}": node(cases),
    }
    print("verifiers:", *(f"  [{i}] {name}" for i, name in enumerate(columns)), sep="\n")
    differs = 0
    for i, c in enumerate(cases):
        results = [col[i] for col in columns.values()]
        if any(r != c["strict"] for r in results):
            differs += 1
            print(f"{c['vector']} ({c['role']}): strict {c['strict']};",
                  "; ".join(f"[{j}] {r}" for j, r in enumerate(results)))
    print(f"{len(cases)} checks from {len({c['vector'] for c in cases})} vectors; "
          f"{differs} where some verifier differs from strict verification")
    for i, (name, col) in enumerate(columns.items()):
        lenient = sorted({c["vector"] for c, r in zip(cases, col) if r != c["strict"]})
        print(f"[{i}] differs on {len(lenient)}: {', '.join(lenient) or 'none'}")
        guarded = [r if passes_section_2_1_checks(c) else "refuse" for c, r in zip(cases, col)]
        still = sorted({c["vector"] for c, r in zip(cases, guarded) if r != c["strict"]})
        print(f"[{i}] with the section 2.1 checks in front, differs on {len(still)}: {', '.join(still) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
