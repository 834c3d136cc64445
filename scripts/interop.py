#!/usr/bin/env python3
"""Independent implementation of the s3-gatekeeper protocol, version 1, for interoperability tests.

Written from the normative specification docs/protocol.md and the vector files in vectors/ alone;
no Rust source of this repository was consulted. The implementation is the package
scripts/s3gk_spec/, one module per part of the spec; this file is its test driver. It

1. checks every vectors/*.txt file (spec section 9) against its own implementation: the request
   codec (section 3), strict Ed25519 and the signed messages (2, 4), the co-signer's checks (4.1),
   receipts (4.3), the gatekeeper's checks (5, 6) and the encrypted object format with write keys
   (7, with a streaming decryptor);
2. acts as a vendor co-signer and a client with fresh keys, writes a `signature` vector that the
   Rust side can check, and round-trips objects through its own streaming encryptor;
3. prints one line per failure, then `interop: N passed, M failed`; exits 0 only if M is 0.

Usage: python3 scripts/interop.py --vectors vectors --sign OUTFILE

Strict Ed25519 (section 2): a public key, and the R half of a signature, must be a canonical
encoding (y < p, checked here) of a curve point P whose [8]P is not the identity (no small order;
computed here with three doublings by libsodium's crypto_core_ed25519_add, which refuses
encodings of no curve point). S >= L is refused here. Only then does libsodium's crypto_sign_open
check the cofactorless equation (libsodium also repeats these checks itself).
"""
import argparse
import os
import sys
import time
from pathlib import Path

import nacl.bindings
import nacl.signing

from s3gk_spec.codec import (IDENTITY, P, ProtocolError, be, client_message, encode_request,
                             is_strict_point, vendor_message)
from s3gk_spec.objects import Trickle, decrypt, encrypt_stream, write_key
from s3gk_spec.policy import check_key, cosigner_check
from s3gk_spec.vectors import Mismatch, check_signature_vector, check_vector, outcome, parse_vector

# ---- Vendor co-signer, client and encryptor from scratch (self-checks) -----------------------

INTEROP_GK, INTEROP_ROOT, VENDOR_KEY_ID = b"interop-gk", b"tickets/", b"py-vendor-1"

def vendor_cosign(vendor_key, request, now):
    """Section 4.1: decode, audience, key, a short window issued now; the permission check (here:
    the root); then sign."""
    req = cosigner_check(INTEROP_GK, request, now, 300, 60)
    check_key(req["key"], "prefix" if req["operation"] == "list_prefix" else "object", INTEROP_ROOT)
    return vendor_key.sign(vendor_message(VENDOR_KEY_ID, request)).signature

def sign_and_check(path):
    """Writes a fresh signature vector, reads it back and checks it; a flipped bit must fail."""
    now = int(time.time())
    vendor, session = nacl.signing.SigningKey.generate(), nacl.signing.SigningKey.generate()
    request = encode_request({
        "operation": "get", "gatekeeper_id": INTEROP_GK,
        "key": b"tickets/interop/" + os.urandom(4).hex().encode() + b".txt",
        "issued_at": now, "expires_at": now + 60, "nonce": os.urandom(16),
        "session_key": bytes(session.verify_key)})
    vendor_sig = vendor_cosign(vendor, request, now)
    client_sig = session.sign(client_message(request, VENDOR_KEY_ID, vendor_sig)).signature
    fields = {"kind": "signature", "expect": "ok", "comment": "signed by scripts/interop.py",
              "gatekeeper_id": INTEROP_GK.decode(), "root_prefix": INTEROP_ROOT.decode(),
              "now": now, "max_lifetime": 300, "max_skew": 60,
              "vendor_key_id": VENDOR_KEY_ID.decode(),
              "vendor_public_key": bytes(vendor.verify_key).hex(), "request": request.hex(),
              "presented_vendor_key_id": VENDOR_KEY_ID.decode(),
              "vendor_signature": vendor_sig.hex(), "client_signature": client_sig.hex()}
    Path(path).write_text("".join(f"{name}: {value}\n" for name, value in fields.items()))
    v = parse_vector(Path(path))
    if check_signature_vector(v)[0] != "ok":
        raise Mismatch("our own signature vector is refused")
    v["client_signature"] = (bytes([client_sig[0] ^ 1]) + client_sig[1:]).hex()
    if check_signature_vector(v)[0] != "bad_client_signature":
        raise Mismatch("a flipped client signature bit is not refused")

def strict_key_check():
    """Points of order 1, 2, 4 and 8 and the non-canonical y = p + 1 are refused; a fresh key, and
    that key plus a point of order 8 (mixed, not small, order: the spec admits it) are accepted."""
    order_8 = bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
    small = [IDENTITY, be(P - 1, 32)[::-1], bytes(32), bytes(31) + b"\x80", order_8,
             nacl.bindings.crypto_core_ed25519_sub(IDENTITY, order_8), be(P + 1, 32)[::-1]]
    key = bytes(nacl.signing.SigningKey.generate().verify_key)
    mixed = nacl.bindings.crypto_core_ed25519_add(key, order_8)
    if any(is_strict_point(point) for point in small) or not is_strict_point(key):
        raise Mismatch("small-order or non-canonical points admitted, or a good key refused")
    if not is_strict_point(mixed):
        raise Mismatch("a key of mixed order (not small) refused")

def round_trip(size, chunk_size):
    """Encrypts random bytes; checks the length formula of 7.2, decryption and a wrong key."""
    key_id, k_obj, plaintext, salt = b"py-mk-1", os.urandom(32), os.urandom(size), os.urandom(32)
    sealed = b"".join(encrypt_stream(write_key(k_obj, salt), salt, key_id, Trickle(plaintext),
                                     chunk_size))
    chunks, header_len = max(1, (size + chunk_size - 1) // chunk_size), 78 + len(key_id)
    if len(sealed) != header_len + 16 * chunks + size:
        raise Mismatch(f"object length {len(sealed)} breaks the formula of section 7.2")
    if decrypt({key_id: k_obj}, sealed) != plaintext:
        raise Mismatch("the round trip changed the plaintext")
    if outcome(lambda: decrypt({key_id: os.urandom(32)}, sealed))[0] != "decryption_failed":
        raise Mismatch("a wrong K_obj is not refused")

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", required=True, help="directory of *.txt vector files")
    parser.add_argument("--sign", required=True, help="where to write our signature vector")
    args = parser.parse_args()
    paths = sorted(Path(args.vectors).glob("*.txt"))
    tests = [(p.name, lambda p=p: check_vector(parse_vector(p))) for p in paths]
    tests.append(("self-check: vendor and client signatures", lambda: sign_and_check(args.sign)))
    tests.append(("self-check: strict public key admission", strict_key_check))
    for size, chunk_size in [(0, 16), (1, 16), (16, 16), (17, 16), (64, 16), (100_000, 65536)]:
        tests.append((f"self-check: object of {size} bytes in chunks of {chunk_size}",
                      lambda s=size, c=chunk_size: round_trip(s, c)))
    passed = failed = 0
    if not paths:
        print(f"FAIL {args.vectors}: no vector files")
        failed += 1
    for name, test in tests:
        try:
            test()
            passed += 1
        except Exception as error:  # any failure, including a missing field or bad hex
            print(f"FAIL {name}: {type(error).__name__}: {error}")
            failed += 1
    print(f"interop: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1

if __name__ == "__main__":
    sys.exit(main())