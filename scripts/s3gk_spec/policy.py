"""Sections 4.1, 5 and 6 of docs/protocol.md: the co-signer's checks, the gatekeeper's checks 1
to 6, the time window, object keys and the ACL."""
from .codec import (U64_MAX, client_message, decode_request, is_key_id, refuse_if, vendor_message,
                    verify_strict)


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

def check_cosign_time(issued_at, expires_at, now, max_lifetime, max_skew):
    """Section 4.1: a short window, issued within max_skew of the co-signer's own clock."""
    refuse_if(expires_at <= issued_at, "invalid_time_window")
    refuse_if(expires_at - issued_at > max_lifetime, "lifetime_too_long")
    refuse_if(issued_at > min(now + max_skew, U64_MAX), "not_yet_valid")
    refuse_if(issued_at < max(now - max_skew, 0), "stale_request")

def cosigner_check(gatekeeper_id, request, now, max_lifetime, max_skew):
    """Section 4.1, steps 1 to 4, before the vendor's own permission check and the signature."""
    req = decode_request(request)
    refuse_if(req["gatekeeper_id"] != gatekeeper_id, "wrong_audience")
    check_key(req["key"], "prefix" if req["operation"] == "list_prefix" else "object", b"")
    check_cosign_time(req["issued_at"], req["expires_at"], now, max_lifetime, max_skew)
    return req
