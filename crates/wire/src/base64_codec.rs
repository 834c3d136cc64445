//! Standard base64 with padding (RFC 4648 section 4), strict: the length is a multiple of four,
//! `=` only as the last one or two characters, and the bits a final group does not use are zero,
//! so every byte string has exactly one accepted text. Written here rather than taken from the
//! `base64` crate to keep the browser module small; the tests hold it to that crate's `STANDARD`
//! engine. It must never accept a second spelling of the same bytes.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The base64 of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [group.first().copied(), group.get(1).copied(), group.get(2).copied()];
        let n =
            (u32::from(b[0].unwrap_or(0)) << 16) | (u32::from(b[1].unwrap_or(0)) << 8) | u32::from(b[2].unwrap_or(0));
        let symbols = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        let kept = group.len() + 1;
        for (i, s) in symbols.iter().enumerate() {
            let c = if i < kept { ALPHABET.get(*s as usize).copied().unwrap_or(b'=') } else { b'=' };
            out.push(char::from(c));
        }
    }
    out
}

/// The value of one symbol.
fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// The bytes of `text`, or `None` if it is not strict standard base64 with padding.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let groups = text.len() / 4;
    for (index, group) in text.chunks(4).enumerate() {
        let padding = group.iter().rev().take_while(|c| **c == b'=').count();
        if padding > 2 || (padding > 0 && index + 1 != groups) {
            return None;
        }
        let mut n = 0u32;
        for c in group.iter().take(4 - padding) {
            n = (n << 6) | value(*c)?;
        }
        n <<= 6 * padding as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let kept = 3 - padding;
        // The bits of the last symbol that no byte uses must be zero (one spelling per value).
        if bytes.get(kept..).is_some_and(|unused| unused.iter().any(|b| *b != 0)) {
            return None;
        }
        out.extend_from_slice(bytes.get(..kept)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    #[test]
    fn encodes_like_the_base64_crate() {
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            assert_eq!(encode(&bytes), STANDARD.encode(&bytes), "{len} bytes");
            assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }
    }

    #[test]
    fn decodes_exactly_what_the_base64_crate_accepts() {
        // Every text of up to 8 characters over a small alphabet that covers the edge cases:
        // padding in every position, symbols whose unused bits are set or clear, a bad symbol.
        let symbols = [b'A', b'Q', b'g', b'/', b'=', b'-'];
        let mut checked = 0;
        for len in 0..=8usize {
            let mut index = vec![0usize; len];
            loop {
                let text: String = index.iter().map(|i| char::from(symbols[*i])).collect();
                assert_eq!(decode(&text), STANDARD.decode(&text).ok(), "{text:?}");
                checked += 1;
                let mut pos = 0;
                while pos < len {
                    index[pos] += 1;
                    if index[pos] < symbols.len() {
                        break;
                    }
                    index[pos] = 0;
                    pos += 1;
                }
                if pos == len {
                    break;
                }
            }
        }
        assert_eq!(checked, (0..=8u32).map(|n| 6usize.pow(n)).sum::<usize>());
    }
}
