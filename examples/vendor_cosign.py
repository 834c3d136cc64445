"""A vendor co-signer in a dozen lines of Python (PyNaCl / libsodium), from docs/protocol.md 4.1.

Run as a check: `python3 examples/vendor_cosign.py vectors/signature-ok-get.txt` signs the vector's
request with the vector's vendor seed and compares the result with the vector's signature.
"""
import base64
import struct
import sys

from nacl.signing import SigningKey

VENDOR_LABEL = b"s3-gatekeeper/v1 vendor-signature"


def pae(*parts: bytes) -> bytes:
    out = struct.pack(">I", len(parts))
    for part in parts:
        out += struct.pack(">I", len(part)) + part
    return out


def cosign(vendor_key: SigningKey, key_id: str, request: bytes) -> dict:
    """Signs an encoded access request. Call it only after your own login and permission checks
    on the decoded request (gatekeeper id, operation, key, time window: docs/protocol.md 4.1)."""
    signature = vendor_key.sign(pae(VENDOR_LABEL, key_id.encode(), request)).signature
    return {"vendor_key_id": key_id, "vendor_signature": base64.b64encode(signature).decode()}


if __name__ == "__main__":
    fields = dict(line.split(": ", 1) for line in open(sys.argv[1]).read().splitlines())
    key = SigningKey(bytes.fromhex(fields["vendor_seed"]))
    answer = cosign(key, fields["vendor_key_id"], bytes.fromhex(fields["request"]))
    assert base64.b64decode(answer["vendor_signature"]).hex() == fields["vendor_signature"], "signature differs"
    print(f"vendor_cosign: signature matches {sys.argv[1]}")
