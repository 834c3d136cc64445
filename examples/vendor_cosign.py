"""A vendor co-signer in Python (PyNaCl / libsodium), from docs/protocol.md section 4.1.

It decodes the request totally, checks the audience, the key's syntax and a window issued now by
this server's clock, leaves the permission check to you, and signs the exact bytes received.

Run as a check: `python3 examples/vendor_cosign.py vectors/cosign-*.txt` runs every co-signer vector
(each names its outcome; an `ok` one also its signature, compared byte for byte).
"""
import base64
import struct
import sys

from nacl.signing import SigningKey

VENDOR_LABEL = b"s3-gatekeeper/v1 vendor-signature"
DOMAIN = b"s3-gatekeeper/v1 access-request"
MAX_LIFETIME, MAX_SKEW = 300, 60  # seconds; at most the gatekeeper's


class Refused(Exception):
    """A refusal with the protocol's code (docs/protocol.md section 8)."""


def pae(*parts: bytes) -> bytes:
    out = struct.pack(">I", len(parts))
    for part in parts:
        out += struct.pack(">I", len(part)) + part
    return out


def decode(request: bytes) -> dict:
    """Section 3: every field in order, exact lengths, nothing after the last field."""
    at = 0

    def take(n: int) -> bytes:
        nonlocal at
        if n < 0 or at + n > len(request):
            raise Refused("malformed_request")
        at += n
        return request[at - n:at]

    def uint(n: int) -> int:
        return int.from_bytes(take(n), "big")

    def text(low: int, high: int) -> bytes:
        n = uint(2)
        if not low <= n <= high:
            raise Refused("malformed_request")
        return take(n)

    if len(request) > 4498 or text(len(DOMAIN), len(DOMAIN)) != DOMAIN:
        raise Refused("malformed_request")
    if uint(1) != 1:
        raise Refused("unsupported_version")
    operation = {1: "get", 2: "put", 3: "list_prefix"}.get(uint(1))
    gatekeeper_id, key = text(1, 128), text(0, 4096)
    fields = {"operation": operation, "gatekeeper_id": gatekeeper_id, "key": key,
              "issued_at": uint(8), "expires_at": uint(8), "nonce": take(16), "session_key": take(32)}
    ok = operation is not None and all(c in ID_BYTES for c in gatekeeper_id)
    if operation == "put":
        fields["content_length"] = uint(8)
        flag = uint(1)
        fields["sha256"] = take(32) if flag == 1 else None
        has_type = uint(1)
        ok = ok and fields["content_length"] <= 5 * 2**30 and flag in (0, 1) and has_type in (0, 1)
        fields["content_type"] = text(1, 127) if has_type == 1 else None
        parts = (fields["content_type"] or b"a/a").split(b"/")
        ok = ok and len(parts) == 2 and all(p and set(p) <= TYPE_BYTES for p in parts)
    try:
        fields["key"] = key.decode("utf-8")
    except UnicodeDecodeError:
        ok = False
    if not ok or at != len(request):
        raise Refused("malformed_request")
    return fields


ID_BYTES = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-:")
TYPE_BYTES = set(b"abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-")


def check_key(key: str, prefix: bool) -> None:
    """Section 6.2, steps 1 to 6 (the root prefix is the gatekeeper's business)."""
    if key == "":
        raise Refused("key_empty")
    if len(key.encode()) > 1024:
        raise Refused("key_too_long")
    if key.startswith("/"):
        raise Refused("key_leading_slash")
    if any(ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F or c == "\\" for c in key):
        raise Refused("key_forbidden_char")
    if prefix and not key.endswith("/"):
        raise Refused("key_prefix_not_directory")
    for segment in (key[:-1] if prefix else key).split("/"):
        if segment == "":
            raise Refused("key_empty_segment")
        if segment in (".", ".."):
            raise Refused("key_dot_segment")


def check(request: bytes, gatekeeper_id: bytes, now: int) -> dict:
    """Section 4.1, steps 1 to 4: decode, audience, key syntax, a short window issued now."""
    req = decode(request)
    if req["gatekeeper_id"] != gatekeeper_id:
        raise Refused("wrong_audience")
    check_key(req["key"], req["operation"] == "list_prefix")
    issued, expires = req["issued_at"], req["expires_at"]
    if expires <= issued:
        raise Refused("invalid_time_window")
    if expires - issued > MAX_LIFETIME:
        raise Refused("lifetime_too_long")
    if issued > now + MAX_SKEW:
        raise Refused("not_yet_valid")  # never sign a window that starts later
    if issued < now - MAX_SKEW:
        raise Refused("stale_request")  # nor one made earlier
    return req


def cosign(vendor_key: SigningKey, key_id: str, request: bytes) -> dict:
    """Section 4.1, step 6. Call it only on bytes that passed `check` and your own permission
    check on the decoded request (may this user perform this operation on this key?)."""
    signature = vendor_key.sign(pae(VENDOR_LABEL, key_id.encode(), request)).signature
    return {"vendor_key_id": key_id, "vendor_signature": base64.b64encode(signature).decode()}


if __name__ == "__main__":
    for path in sys.argv[1:]:
        fields = dict(line.split(": ", 1) for line in open(path).read().splitlines())
        request = bytes.fromhex(fields["request"])
        try:
            check(request, fields["gatekeeper_id"].encode(), int(fields["now"]))
            outcome = "ok"
        except Refused as refused:
            outcome = str(refused)
        assert outcome == fields["expect"], f"{path}: {outcome}, the vector expects {fields['expect']}"
        if outcome == "ok":
            key = SigningKey(bytes.fromhex(fields["vendor_seed"]))
            answer = cosign(key, fields["vendor_key_id"], request)
            signature = base64.b64decode(answer["vendor_signature"]).hex()
            assert signature == fields["vendor_signature"], f"{path}: signature differs"
    print(f"vendor_cosign: {len(sys.argv) - 1} co-signer vectors agree")
