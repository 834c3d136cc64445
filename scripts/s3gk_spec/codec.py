"""Sections 2 to 4 of docs/protocol.md: conventions, strict Ed25519, the access request, the
signed messages and the receipt. Every decoder is total: each problem raises ProtocolError with
its section 8 code and the field."""
import ipaddress

import nacl.bindings
import nacl.exceptions


class ProtocolError(Exception):
    """A refusal with its section 8 code; decoders also name the field and the problem."""

    def __init__(self, code, field=None, problem=None):
        super().__init__(f"{code} (field {field}: {problem})" if field else code)
        self.code, self.field, self.problem = code, field, problem

def refuse_if(condition, code):
    if condition:
        raise ProtocolError(code)



# ---- Section 2: conventions and strict Ed25519 -----------------------------------------------

U64_MAX = 2**64 - 1
KEY_ID_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
GATEKEEPER_ID_BYTES = KEY_ID_BYTES | {ord(":")}
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
IDENTITY = bytes([1]) + bytes(31)

def be(n, size):
    """An unsigned big-endian integer of `size` bytes (u8, u16, u32, u64)."""
    return n.to_bytes(size, "big")

def bytes16(x):
    return be(len(x), 2) + x

def pae(parts):
    return be(len(parts), 4) + b"".join(be(len(part), 4) + part for part in parts)

def is_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False

def is_key_id(b):
    return 1 <= len(b) <= 64 and all(c in KEY_ID_BYTES for c in b)

def is_strict_point(enc):
    """A canonical encoding (y < p) of a curve point P with [8]P != identity (no small order)."""
    if len(enc) != 32 or int.from_bytes(enc, "little") & ((1 << 255) - 1) >= P:
        return False
    point = enc
    try:
        for _ in range(3):
            point = nacl.bindings.crypto_core_ed25519_add(point, point)
    except nacl.exceptions.RuntimeError:  # not the encoding of a curve point
        return False
    return point != IDENTITY

def verify_strict(public_key, message, signature):
    if len(signature) != 64 or not is_strict_point(public_key):
        return False
    if not is_strict_point(signature[:32]) or int.from_bytes(signature[32:], "little") >= L:
        return False
    try:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
        return True
    except nacl.exceptions.BadSignatureError:
        return False


# ---- Section 3: the access request -----------------------------------------------------------

REQUEST_DOMAIN = b"s3-gatekeeper/v1 access-request"
OPERATIONS = {1: "get", 2: "put", 3: "list_prefix"}
MAX_REQUEST_LEN, MAX_CONTENT_LENGTH = 4498, 5 * 2**30
CONTENT_TYPE_TOKEN = set(b"abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-")

class Reader:
    """Reads fields in order with exact lengths; each problem raises ProtocolError(code, field)."""

    def __init__(self, data, code):
        self.data, self.pos, self.code = data, 0, code

    def fail_if(self, condition, field, problem, code=None):
        if condition:
            raise ProtocolError(code or self.code, field, problem)

    def take(self, n, field):
        self.fail_if(self.pos + n > len(self.data), field, "truncated")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def uint(self, size, field):
        return int.from_bytes(self.take(size, field), "big")

    def bytes16(self, field, min_len, max_len):
        n = self.uint(2, field)
        self.fail_if(n < min_len, field, "too short")
        self.fail_if(n > max_len, field, "too long")
        return self.take(n, field)

    def label(self, label):
        self.fail_if(self.take(2 + len(label), "domain") != bytes16(label), "domain",
                     "wrong domain label")

    def end(self):
        self.fail_if(self.pos != len(self.data), "end", "trailing bytes")

def decode_request(data):
    r = Reader(data, "malformed_request")
    r.fail_if(len(data) > MAX_REQUEST_LEN, "request", "too long")
    r.label(REQUEST_DOMAIN)
    r.fail_if(r.uint(1, "version") != 1, "version", "unsupported version", "unsupported_version")
    op = r.uint(1, "operation")
    r.fail_if(op not in OPERATIONS, "operation", "invalid value")
    req = {"operation": OPERATIONS[op], "gatekeeper_id": r.bytes16("gatekeeper_id", 1, 128)}
    r.fail_if(any(c not in GATEKEEPER_ID_BYTES for c in req["gatekeeper_id"]), "gatekeeper_id",
              "invalid value")
    req["key"] = r.bytes16("key", 0, 4096)
    r.fail_if(not is_utf8(req["key"]), "key", "not utf-8")
    req["issued_at"] = r.uint(8, "issued_at")
    req["expires_at"] = r.uint(8, "expires_at")
    req["nonce"] = r.take(16, "nonce")
    req["session_key"] = r.take(32, "session_key")
    if req["operation"] == "put":
        req["content_length"] = r.uint(8, "content_length")
        r.fail_if(req["content_length"] > MAX_CONTENT_LENGTH, "content_length", "invalid value")
        has_sha256 = r.uint(1, "has_sha256")
        r.fail_if(has_sha256 not in (0, 1), "has_sha256", "invalid value")
        req["sha256"] = r.take(32, "sha256") if has_sha256 == 1 else None
        has_content_type = r.uint(1, "has_content_type")
        r.fail_if(has_content_type not in (0, 1), "has_content_type", "invalid value")
        req["content_type"] = None
        if has_content_type == 1:
            ct = r.bytes16("content_type", 1, 127)
            parts = ct.split(b"/")
            r.fail_if(len(parts) != 2 or not all(p and set(p) <= CONTENT_TYPE_TOKEN for p in parts),
                      "content_type", "invalid value")
            req["content_type"] = ct.decode("ascii")
    r.end()
    return req

def encode_request(req):
    op = {name: code for code, name in OPERATIONS.items()}[req["operation"]]
    out = bytes16(REQUEST_DOMAIN) + be(1, 1) + be(op, 1)
    out += bytes16(req["gatekeeper_id"]) + bytes16(req["key"])
    out += be(req["issued_at"], 8) + be(req["expires_at"], 8) + req["nonce"] + req["session_key"]
    if req["operation"] == "put":
        out += be(req["content_length"], 8)
        out += be(0, 1) if req["sha256"] is None else be(1, 1) + req["sha256"]
        ct = req.get("content_type")
        out += be(0, 1) if ct is None else be(1, 1) + bytes16(ct.encode("ascii"))
    return out


# ---- Section 4: signatures and the receipt ---------------------------------------------------

def vendor_message(vendor_key_id, request):
    return pae([b"s3-gatekeeper/v1 vendor-signature", vendor_key_id, request])

def client_message(request, vendor_key_id, vendor_signature):
    return pae([b"s3-gatekeeper/v1 client-signature", request, vendor_key_id, vendor_signature])

def receipt_message(gatekeeper_key_id, receipt):
    return pae([b"s3-gatekeeper/v1 receipt-signature", gatekeeper_key_id, receipt])

def decode_receipt(data):
    r = Reader(data, "malformed_receipt")
    r.label(b"s3-gatekeeper/v1 receipt")
    r.fail_if(r.uint(1, "version") != 1, "version", "unsupported version")  # see the report
    rec = {"request": r.bytes16("request", 1, MAX_REQUEST_LEN)}
    rec["vendor_key_id"] = r.bytes16("vendor_key_id", 1, 64)
    r.fail_if(not is_key_id(rec["vendor_key_id"]), "vendor_key_id", "invalid value")
    rec["vendor_signature"] = r.take(64, "vendor_signature")
    rec["client_signature"] = r.take(64, "client_signature")
    rec["sequence"] = r.uint(8, "sequence")
    rec["decided_at"] = r.uint(8, "decided_at")
    family = r.uint(1, "client_ip")
    r.fail_if(family not in (4, 6), "client_ip", "invalid value")
    rec["client_ip"] = ipaddress.ip_address(r.take(4 if family == 4 else 16, "client_ip"))
    # "an IPv4-mapped IPv6 address MUST be sent as family 4": refused as family 6 (see the report)
    r.fail_if(family == 6 and rec["client_ip"].ipv4_mapped is not None, "client_ip",
              "invalid value")
    r.end()
    return rec

def client_check_receipt(pinned_key_id, pinned_public_key, receipt, signature, sent_request):
    """Section 4.3, client side: the signature, then decoding, then the request match."""
    refuse_if(not verify_strict(pinned_public_key, receipt_message(pinned_key_id, receipt),
                                signature), "bad_receipt_signature")
    rec = decode_receipt(receipt)
    refuse_if(rec["request"] != sent_request, "receipt_mismatch")
    return rec

