"""Section 7 of docs/protocol.md: the key schedule (object key, write key, data key), a streaming
encryptor and a streaming decryptor that holds one chunk at a time."""
import hashlib
import hmac
import io

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .codec import ProtocolError, be, is_key_id, pae, refuse_if


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

def write_key(k_obj, salt):
    """Section 7.1: what a put grant releases for a header carrying `salt`."""
    return hkdf_extract(salt, k_obj)

def header_keys(prk, header_prefix):
    """Returns (data_key, commitment) from a write key (PRK) and the header's prefix."""
    return (hkdf_expand_32(prk, pae([b"s3-gatekeeper/v1 data-key", header_prefix])),
            hkdf_expand_32(prk, pae([b"s3-gatekeeper/v1 key-commitment", header_prefix])))

def derive_data_key(k_obj, salt, header_prefix):
    """A reader's derivation: (data_key, commitment) from K_obj and the header's salt."""
    return header_keys(write_key(k_obj, salt), header_prefix)

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

def encrypt_stream(prk, salt, master_key_id, stream, chunk_size=65536):
    """Section 7.3, under a write key (`prk` for `salt`): yields the header, then each sealed
    chunk. A full chunk is held back until more plaintext arrives; whatever is held when the input
    ends is sealed as the final chunk."""
    prefix = MAGIC + be(1, 1) + be(len(master_key_id), 1) + master_key_id + salt
    prefix += be(chunk_size, 4)
    data_key, commitment = header_keys(prk, prefix)
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

