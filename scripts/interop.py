#!/usr/bin/env python3
"""Independent implementation of the s3-gatekeeper protocol, version 1, for interoperability tests.

Written from the normative specification docs/protocol.md and the vector files in vectors/ alone;
no Rust source of this repository was consulted. It

1. checks every vectors/*.txt file (spec section 9) against its own implementation: the request
   codec (section 3), strict Ed25519 and the signed messages (2, 4), receipts (4.3), the
   gatekeeper's checks (5, 6) and the encrypted object format (7, with a streaming decryptor);
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
import hashlib
import hmac
import io
import ipaddress
import os
import sys
import time
from pathlib import Path

import nacl.bindings
import nacl.exceptions
import nacl.signing
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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


# ---- Sections 5 and 6: the gatekeeper's checks -----------------------------------------------

def check_time(issued_at, expires_at, now, max_lifetime, max_skew):
    refuse_if(expires_at <= issued_at, "invalid_time_window")
    refuse_if(expires_at - issued_at > max_lifetime, "lifetime_too_long")
    refuse_if(issued_at > min(now + max_skew, U64_MAX), "not_yet_valid")
    refuse_if(now > min(expires_at + max_skew, U64_MAX), "expired")

def is_forbidden_char(ch):
    return ord(ch) <= 0x1F or 0x7F <= ord(ch) <= 0x9F or ch == "\\"

def check_key(key, kind, root_prefix):
    """Section 6.2; key and root_prefix are UTF-8 bytes, kind is "object" or "prefix"."""
    refuse_if(key == b"", "key_empty")
    refuse_if(len(key) > 1024, "key_too_long")
    refuse_if(key.startswith(b"/"), "key_leading_slash")
    refuse_if(any(is_forbidden_char(ch) for ch in key.decode("utf-8")), "key_forbidden_char")
    body = key
    if kind == "prefix":
        refuse_if(not key.endswith(b"/"), "key_prefix_not_directory")
        body = key[:-1]
    for segment in body.split(b"/"):  # left to right, the first bad segment decides
        refuse_if(segment == b"", "key_empty_segment")
        refuse_if(segment in (b".", b".."), "key_dot_segment")
    refuse_if(not key.startswith(root_prefix), "key_outside_root")  # a prefix keeps its "/"

def in_any(ip, networks):
    return any(ip.version == net.version and ip in net for net in networks)

def check_acl(ip, country, allow_cidrs, deny_cidrs, allow_countries, deny_countries):
    """Section 6.3. None stands for an absent allow list and for an unknown country."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    refuse_if(in_any(ip, deny_cidrs), "acl_denied_ip")
    refuse_if(country is not None and country in deny_countries, "acl_denied_country")
    refuse_if(allow_cidrs is not None and not in_any(ip, allow_cidrs), "acl_denied_ip")
    refuse_if(allow_countries is not None and (country is None or country not in allow_countries),
              "acl_denied_country")

def gatekeeper_decide(policy, request, key_id, vendor_signature, client_signature):
    """Section 5, checks 1 to 6, over the request bytes exactly as received."""
    req = decode_request(request)
    refuse_if(req["gatekeeper_id"] != policy["gatekeeper_id"], "wrong_audience")
    kind = "prefix" if req["operation"] == "list_prefix" else "object"
    check_key(req["key"], kind, policy["root_prefix"])
    check_time(req["issued_at"], req["expires_at"], *policy["times"])
    refuse_if(not is_key_id(key_id) or key_id != policy["vendor_key_id"], "unknown_vendor_key")
    refuse_if(not verify_strict(policy["vendor_public_key"], vendor_message(key_id, request),
                                vendor_signature), "bad_vendor_signature")
    refuse_if(not verify_strict(req["session_key"], client_message(request, key_id,
                                vendor_signature), client_signature), "bad_client_signature")
    return req


# ---- Section 7: the encrypted object format --------------------------------------------------

MAGIC, TAG_LEN, LAST_INDEX = b"s3gk-obj", 16, 2**32 - 1

def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()

def hkdf_expand_32(prk, info):
    """RFC 5869 HKDF-Expand with L = 32: one SHA-256 block, T(1) = HMAC(PRK, info || 0x01)."""
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()

def object_key(master_key, master_key_id, bucket, key_name):
    info = pae([b"s3-gatekeeper/v1 object-key", master_key_id, bucket, key_name])
    return hkdf_expand_32(hkdf_extract(b"\x00" * 32, master_key), info)

def derive_data_key(k_obj, salt, header_prefix):
    """Returns (data_key, commitment)."""
    prk = hkdf_extract(salt, k_obj)
    return (hkdf_expand_32(prk, pae([b"s3-gatekeeper/v1 data-key", header_prefix])),
            hkdf_expand_32(prk, pae([b"s3-gatekeeper/v1 key-commitment", header_prefix])))

def chunk_nonce(index, final):
    return be(index, 11) + (b"\x01" if final else b"\x00")

def read_up_to(stream, n):
    """Up to n bytes; fewer only when the stream has ended."""
    out = b""
    while len(out) < n:
        piece = stream.read(n - len(out))
        if not piece:
            break
        out += piece
    return out

class StreamDecryptor:
    """Section 7.4. Holds the header or one stored chunk at a time, plus one look-ahead byte."""

    def __init__(self, keys, stream):
        self.keys, self.stream = keys, stream  # keys: {master key id (bytes): K_obj}

    def read_header(self):
        start = read_up_to(self.stream, 10)  # magic, version, key_id_len
        refuse_if(len(start) < 9, "decryption_failed")
        refuse_if(start[:8] != MAGIC or start[8] != 1, "unsupported_object_format")
        refuse_if(len(start) < 10 or not 1 <= start[9] <= 64, "decryption_failed")
        n = start[9]
        rest = read_up_to(self.stream, n + 68)  # key id, salt, chunk_size, commitment
        refuse_if(len(rest) < n + 68, "decryption_failed")
        self.key_id, self.salt, self.commitment = rest[:n], rest[n:n + 32], rest[n + 36:]
        self.chunk_size = int.from_bytes(rest[n + 32:n + 36], "big")
        refuse_if(not is_key_id(self.key_id), "decryption_failed")
        refuse_if(not 16 <= self.chunk_size <= 16_777_216, "decryption_failed")
        refuse_if(self.key_id not in self.keys, "unknown_master_key")
        prefix = start + rest[:n + 36]
        self.data_key, expected = derive_data_key(self.keys[self.key_id], self.salt, prefix)
        refuse_if(not hmac.compare_digest(expected, self.commitment), "decryption_failed")

    def open_chunk(self, index, final, sealed):
        try:
            return AESGCM(self.data_key).decrypt(chunk_nonce(index, final), sealed, b"")
        except InvalidTag:
            raise ProtocolError("decryption_failed") from None

    def chunks(self):
        """Yields each chunk's plaintext once its tag verifies (provisional until the last)."""
        step = self.chunk_size + TAG_LEN
        block, index = read_up_to(self.stream, step), 0
        while len(block) == step:
            lookahead = read_up_to(self.stream, 1)
            if not lookahead:
                break  # a full block that ends the stream is the final chunk
            refuse_if(index == LAST_INDEX, "decryption_failed")  # more than 2^32 chunks
            yield self.open_chunk(index, False, block)
            block, index = lookahead + read_up_to(self.stream, step - 1), index + 1
        refuse_if(len(block) < TAG_LEN, "decryption_failed")
        refuse_if(len(block) == TAG_LEN and index > 0, "decryption_failed")
        yield self.open_chunk(index, True, block)

    def read_all(self):
        self.read_header()
        return b"".join(self.chunks())

def encrypt_stream(k_obj, master_key_id, stream, chunk_size=65536):
    """Section 7.3: yields the header, then each sealed chunk. A full chunk is held back until
    more plaintext arrives; whatever is held when the input ends is sealed as the final chunk."""
    salt = os.urandom(32)
    prefix = MAGIC + be(1, 1) + be(len(master_key_id), 1) + master_key_id + salt
    prefix += be(chunk_size, 4)
    data_key, commitment = derive_data_key(k_obj, salt, prefix)
    yield prefix + commitment
    aes, index, held = AESGCM(data_key), 0, read_up_to(stream, chunk_size)
    while len(held) == chunk_size:
        more = read_up_to(stream, chunk_size)
        if not more:
            break
        refuse_if(index == LAST_INDEX, "object_too_large")
        yield aes.encrypt(chunk_nonce(index, False), held, b"")
        held, index = more, index + 1
    yield aes.encrypt(chunk_nonce(index, True), held, b"")

class Trickle:
    """A stream that returns at most 7 bytes per read, so that the readers above must loop."""

    def __init__(self, data):
        self.inner = io.BytesIO(data)

    def read(self, n):
        return self.inner.read(min(n, 7))

def decrypt(keys, data):
    return StreamDecryptor(keys, Trickle(data)).read_all()


# ---- Section 9: the vector files -------------------------------------------------------------

class Mismatch(Exception):
    pass

def parse_vector(path):
    fields = {}
    for line in path.read_text(encoding="ascii").splitlines():
        name, sep, value = line.partition(": ")
        if not sep and line.endswith(":"):
            name, sep = line[:-1], ":"
        if not sep or name in fields:
            raise Mismatch(f"bad or repeated line {line!r}")
        fields[name] = value
    return fields

def outcome(decide):
    try:
        return "ok", decide()
    except ProtocolError as error:
        return error.code, error

def same(v, name, mine):
    if name not in v:
        raise Mismatch(f"the vector lacks the field {name}")
    if v[name] != str(mine):
        raise Mismatch(f"{name}: computed {mine}, the vector has {v[name]}")

def check_request_vector(v):
    code, req = outcome(lambda: decode_request(bytes.fromhex(v["request"])))
    if code != "ok":
        return code, lambda: same(v, "field", req.field)

    def outputs():
        for name in ("operation", "issued_at", "expires_at"):
            same(v, name, req[name])
        same(v, "gatekeeper_id", req["gatekeeper_id"].decode("ascii"))
        for name in ("key", "nonce", "session_key"):
            same(v, name, req[name].hex())
        if req["operation"] == "put":
            same(v, "content_length", req["content_length"])
            same(v, "sha256", "none" if req["sha256"] is None else req["sha256"].hex())
            same(v, "content_type", req["content_type"] or "none")
        same(v, "request", encode_request(req).hex())  # re-encoding gives the same bytes
    return code, outputs

def check_signature_vector(v):
    policy = {"gatekeeper_id": v["gatekeeper_id"].encode(),
              "root_prefix": v["root_prefix"].encode(),
              "times": [int(v[name]) for name in ("now", "max_lifetime", "max_skew")],
              "vendor_key_id": v["vendor_key_id"].encode(),
              "vendor_public_key": bytes.fromhex(v["vendor_public_key"])}
    request, key_id = bytes.fromhex(v["request"]), v["presented_vendor_key_id"].encode()
    vendor_sig = bytes.fromhex(v["vendor_signature"])
    client_sig = bytes.fromhex(v["client_signature"])
    code, req = outcome(lambda: gatekeeper_decide(policy, request, key_id, vendor_sig, client_sig))

    def outputs():
        vendor_msg = vendor_message(key_id, request)
        client_msg = client_message(request, key_id, vendor_sig)
        same(v, "vendor_signed_bytes", vendor_msg.hex())
        same(v, "client_signed_bytes", client_msg.hex())
        vendor = nacl.signing.SigningKey(bytes.fromhex(v["vendor_seed"]))
        session = nacl.signing.SigningKey(bytes.fromhex(v["session_seed"]))
        same(v, "vendor_public_key", bytes(vendor.verify_key).hex())
        if bytes(session.verify_key) != req["session_key"]:
            raise Mismatch("session_seed does not give the request's session_key")
        same(v, "vendor_signature", vendor.sign(vendor_msg).signature.hex())
        same(v, "client_signature", session.sign(client_msg).signature.hex())
    return code, outputs

def check_receipt_vector(v):
    key_id, receipt = v["gatekeeper_key_id"].encode(), bytes.fromhex(v["receipt"])
    code, rec = outcome(lambda: client_check_receipt(
        key_id, bytes.fromhex(v["gatekeeper_public_key"]), receipt,
        bytes.fromhex(v["receipt_signature"]), bytes.fromhex(v["sent_request"])))

    def outputs():
        for name in ("sequence", "decided_at", "client_ip"):
            same(v, name, rec[name])
        same(v, "receipt_signed_bytes", receipt_message(key_id, receipt).hex())
    return code, outputs

def check_time_vector(v):
    args = [int(v[name]) for name in ("issued_at", "expires_at", "now", "max_lifetime", "max_skew")]
    return outcome(lambda: check_time(*args))[0], None

def check_object_key_vector(v):
    if v["key_kind"] not in ("object", "prefix"):
        raise Mismatch(f"unknown key_kind {v['key_kind']}")
    key, root = bytes.fromhex(v["key"]), v["root_prefix"].encode()
    return outcome(lambda: check_key(key, v["key_kind"], root))[0], None

def acl_list(value, parse):
    """`any` is an absent list (None); an empty value is an empty list."""
    if value == "any":
        return None
    return [parse(item) for item in value.split(",")] if value else []

def check_acl_vector(v):
    def network(text):
        net = ipaddress.ip_network(text, strict=True)  # refuses host bits; bare address = host
        mapped = net.network_address.ipv4_mapped if net.version == 6 else None
        if mapped is None:
            return net
        # Section 6.3: a mapped rule is the IPv4 network, whatever its text form (hex included).
        if net.prefixlen < 96:
            raise ValueError(f"mapped network shorter than /96: {text}")
        return ipaddress.ip_network(f"{mapped}/{net.prefixlen - 96}", strict=True)
    country = None if v["country"] == "unknown" else v["country"]
    return outcome(lambda: check_acl(
        ipaddress.ip_address(v["client_ip"]), country, acl_list(v["allow_cidrs"], network),
        acl_list(v["deny_cidrs"], network) or [], acl_list(v["allow_countries"], str),
        acl_list(v["deny_countries"], str) or []))[0], None

def check_object_vector(v):
    key_id = v["master_key_id"].encode()
    k_obj = object_key(bytes.fromhex(v["master_key"]), key_id, v["bucket"].encode(),
                       bytes.fromhex(v["object_key"]))
    decryptor = StreamDecryptor({key_id: k_obj}, Trickle(bytes.fromhex(v["ciphertext"])))
    code, plaintext = outcome(decryptor.read_all)

    def outputs():
        same(v, "object_key_material", k_obj.hex())
        same(v, "salt", decryptor.salt.hex())
        same(v, "chunk_size", decryptor.chunk_size)
        same(v, "data_key", decryptor.data_key.hex())
        same(v, "commitment", decryptor.commitment.hex())
        same(v, "plaintext", plaintext.hex())
    return code, outputs

CHECKERS = {"request": check_request_vector, "signature": check_signature_vector,
            "receipt": check_receipt_vector, "time": check_time_vector,
            "object-key": check_object_key_vector, "acl": check_acl_vector,
            "object": check_object_vector}

def check_vector(v):
    if v.get("kind") not in CHECKERS or "expect" not in v:
        raise Mismatch(f"unknown kind {v.get('kind')!r} or no expect line")
    code, more_checks = CHECKERS[v["kind"]](v)
    if code != v["expect"]:
        raise Mismatch(f"expected {v['expect']}, got {code}")
    if more_checks and (code == "ok" or v["kind"] == "request"):  # outputs, or a request's field
        more_checks()


# ---- Vendor co-signer, client and encryptor from scratch (self-checks) -----------------------

INTEROP_GK, INTEROP_ROOT, VENDOR_KEY_ID = b"interop-gk", b"tickets/", b"py-vendor-1"

def vendor_cosign(vendor_key, request, now):
    """Section 4.1: decode; check audience, permission (here: the root) and a short window; sign."""
    req = decode_request(request)
    refuse_if(req["gatekeeper_id"] != INTEROP_GK, "wrong_audience")
    check_key(req["key"], "prefix" if req["operation"] == "list_prefix" else "object", INTEROP_ROOT)
    check_time(req["issued_at"], req["expires_at"], now, 300, 60)
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
    key_id, k_obj, plaintext = b"py-mk-1", os.urandom(32), os.urandom(size)
    sealed = b"".join(encrypt_stream(k_obj, key_id, Trickle(plaintext), chunk_size))
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
