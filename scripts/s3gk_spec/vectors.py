"""Section 9 of docs/protocol.md: reads the vector files and checks each against this
implementation, outputs included."""
import ipaddress

import nacl.signing

from .codec import (ProtocolError, client_check_receipt, client_message, decode_request,
                    encode_request, receipt_message, vendor_message)
from .objects import StreamDecryptor, Trickle, encrypt_stream, header_keys, object_key, write_key
from .policy import check_acl, check_key, check_time, cosigner_check, gatekeeper_decide

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


def check_cosign_vector(v):
    request = bytes.fromhex(v["request"])
    times = [int(v[name]) for name in ("now", "max_lifetime", "max_skew")]
    code, _ = outcome(lambda: cosigner_check(v["gatekeeper_id"].encode(), request, *times))

    def outputs():
        message = vendor_message(v["vendor_key_id"].encode(), request)
        same(v, "vendor_signed_bytes", message.hex())
        vendor = nacl.signing.SigningKey(bytes.fromhex(v["vendor_seed"]))
        same(v, "vendor_signature", vendor.sign(message).signature.hex())
    return code, outputs

def check_write_key_vector(v):
    """`ok`: the write key derives as 7.1 says, seals `plaintext` into `ciphertext` (the salt is
    the write key's), and K_obj opens it. Otherwise the write key must not open `ciphertext`
    (stored under `stored_object_key`) whether used as K_obj or as the write key of the stored
    header's salt."""
    key_id = v["master_key_id"].encode()
    k_obj = object_key(bytes.fromhex(v["master_key"]), key_id, v["bucket"].encode(),
                       bytes.fromhex(v["object_key"]))
    salt, released = bytes.fromhex(v["salt"]), bytes.fromhex(v["write_key"])
    same(v, "write_key", write_key(k_obj, salt).hex())
    ciphertext = bytes.fromhex(v["ciphertext"])
    if v["expect"] == "ok":
        sealed = b"".join(encrypt_stream(released, salt, key_id, Trickle(bytes.fromhex(
            v["plaintext"])), int(v["chunk_size"])))
        same(v, "ciphertext", sealed.hex())
        return outcome(lambda: StreamDecryptor({key_id: k_obj}, Trickle(ciphertext)).read_all())[0], None
    as_k_obj = outcome(lambda: StreamDecryptor({key_id: released}, Trickle(ciphertext)).read_all())[0]
    stored_k_obj = object_key(bytes.fromhex(v["master_key"]), key_id, v["bucket"].encode(),
                              bytes.fromhex(v["stored_object_key"]))
    reader = StreamDecryptor({key_id: stored_k_obj}, Trickle(ciphertext))
    reader.read_header()  # the stored object is valid for a reader of its own name
    prefix_len = 46 + len(key_id)
    _, commitment = header_keys(released, ciphertext[:prefix_len])
    as_prk = "ok" if commitment == reader.commitment else "decryption_failed"
    return ("ok" if "ok" in (as_k_obj, as_prk) else "decryption_failed"), None

CHECKERS = {"request": check_request_vector, "signature": check_signature_vector,
            "receipt": check_receipt_vector, "time": check_time_vector,
            "object-key": check_object_key_vector, "acl": check_acl_vector,
            "object": check_object_vector, "write-key": check_write_key_vector,
            "cosign": check_cosign_vector}

def check_vector(v):
    if v.get("kind") not in CHECKERS or "expect" not in v:
        raise Mismatch(f"unknown kind {v.get('kind')!r} or no expect line")
    code, more_checks = CHECKERS[v["kind"]](v)
    if code != v["expect"]:
        raise Mismatch(f"expected {v['expect']}, got {code}")
    if more_checks and (code == "ok" or v["kind"] == "request"):  # outputs, or a request's field
        more_checks()

