//! The uwsgi binary protocol, as nginx's `uwsgi_pass` speaks it.
//!
//! A request is a 4-byte header — `modifier1` (u8), `datasize` (u16,
//! little-endian: the size of the vars block, body excluded), `modifier2`
//! (u8) — then the vars block: `u16le key_len, key, u16le val_len, val`
//! repeated until `datasize` bytes, then the body, `CONTENT_LENGTH` bytes,
//! unframed. The answer is a raw HTTP response; one request per connection.
//!
//! Keys and values are bytes on the wire; PEP 3333 wants native strings
//! holding those bytes as latin-1, so every byte maps to the char of the same
//! number and nothing can fail to decode.

/// Bytes in the packet header.
pub const HEADER_LEN: usize = 4;

/// The packet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader {
    /// 0 for WSGI requests (nginx's `uwsgi_modifier1` default).
    pub modifier1: u8,
    /// Size of the vars block that follows, in bytes.
    pub datasize: u16,
    pub modifier2: u8,
}

impl PacketHeader {
    /// Reads a header from its 4 bytes; every byte pattern is a header.
    pub fn parse(bytes: [u8; HEADER_LEN]) -> Self {
        PacketHeader {
            modifier1: bytes[0],
            datasize: u16::from_le_bytes([bytes[1], bytes[2]]),
            modifier2: bytes[3],
        }
    }

    /// The header's 4 bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let size = self.datasize.to_le_bytes();
        [self.modifier1, size[0], size[1], self.modifier2]
    }
}

/// Why a vars block was refused. The texts are uWSGI's log lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UwsgiError {
    /// A length field or a key or value runs past the end of the block.
    #[error("invalid uwsgi request (current strsize: {0}). skip.")]
    Truncated(usize),
    /// The block holds more vars than [`MAX_VARS`].
    #[error("max vec size reached. skip this var.")]
    TooManyVars,
}

/// The most vars one request may carry (uWSGI allows about 128 too; nginx
/// sends about 30).
pub const MAX_VARS: usize = 256;

/// Parses a vars block into `(key, value)` pairs, in wire order, decoded as
/// latin-1. A var with an empty key is skipped, as uWSGI does (`uwsgi key
/// cannot be null. skip this var.`).
pub fn parse_vars(block: &[u8]) -> Result<Vec<(String, String)>, UwsgiError> {
    let mut vars = Vec::with_capacity(32);
    let mut rest = block;
    while !rest.is_empty() {
        let (key, after_key) = take_field(rest, block.len())?;
        let (value, after_value) = take_field(after_key, block.len())?;
        rest = after_value;
        if key.is_empty() {
            continue;
        }
        if vars.len() == MAX_VARS {
            return Err(UwsgiError::TooManyVars);
        }
        vars.push((latin1(key), latin1(value)));
    }
    Ok(vars)
}

/// Takes one `u16le length, bytes` field off the front of `buf`.
fn take_field(buf: &[u8], block_len: usize) -> Result<(&[u8], &[u8]), UwsgiError> {
    let offset = block_len - buf.len();
    let (len_bytes, rest) = buf
        .split_first_chunk::<2>()
        .ok_or(UwsgiError::Truncated(offset))?;
    let len = usize::from(u16::from_le_bytes(*len_bytes));
    if rest.len() < len {
        return Err(UwsgiError::Truncated(offset + 2 + len));
    }
    Ok(rest.split_at(len))
}

/// Decodes bytes as latin-1: byte `b` becomes `char::from(b)`.
pub fn latin1(bytes: &[u8]) -> String {
    // ASCII, by far the common case, needs no per-char work.
    match std::str::from_utf8(bytes) {
        Ok(s) if s.is_ascii() => s.to_owned(),
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Encodes a string of latin-1 chars back to bytes; a char above U+00FF is
/// written as `?`, since it cannot have come from the wire.
fn latin1_bytes(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
}

/// Encodes vars into a block (for clients and tests). Fields longer than
/// 65535 bytes are truncated to fit their u16 length.
pub fn encode_vars(vars: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in vars {
        push_field(&mut out, key);
        push_field(&mut out, value);
    }
    out
}

fn push_field(out: &mut Vec<u8>, s: &str) {
    let bytes: Vec<u8> = latin1_bytes(s).take(usize::from(u16::MAX)).collect();
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&bytes);
}

/// Encodes a whole request head: the header (modifier1 0) and the vars.
/// A block over 65535 bytes cannot be framed; its size saturates, as a
/// client must not send one (nginx refuses: `uwsgi request is too big`).
pub fn encode_packet(vars: &[(&str, &str)]) -> Vec<u8> {
    let block = encode_vars(vars);
    let header = PacketHeader {
        modifier1: 0,
        datasize: u16::try_from(block.len()).unwrap_or(u16::MAX),
        modifier2: 0,
    };
    let mut out = Vec::with_capacity(HEADER_LEN + block.len());
    out.extend_from_slice(&header.encode());
    out.extend_from_slice(&block);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_is_little_endian() {
        let h = PacketHeader::parse([0, 0x34, 0x12, 7]);
        assert_eq!(h.modifier1, 0);
        assert_eq!(h.datasize, 0x1234);
        assert_eq!(h.modifier2, 7);
        assert_eq!(h.encode(), [0, 0x34, 0x12, 7]);
    }

    #[test]
    fn http_sent_to_a_uwsgi_socket_reads_as_21573() {
        // uWSGI's ThingsToKnow: "ET" of "GET " is the datasize 21573.
        assert_eq!(PacketHeader::parse(*b"GET ").datasize, 21573);
    }

    #[test]
    fn vars_round_trip_in_order() {
        let vars = [
            ("REQUEST_METHOD", "GET"),
            ("PATH_INFO", "/a b"),
            ("QUERY_STRING", ""),
            ("HTTP_COOKIE", "a=1; b=2"),
        ];
        let parsed = parse_vars(&encode_vars(&vars)).expect("valid block");
        let want: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(parsed, want);
    }

    #[test]
    fn non_ascii_bytes_decode_as_latin1() {
        let mut block = Vec::new();
        block.extend_from_slice(&9u16.to_le_bytes());
        block.extend_from_slice(b"PATH_INFO");
        block.extend_from_slice(&3u16.to_le_bytes());
        block.extend_from_slice(&[b'/', 0xc3, 0xa9]); // "/é" in UTF-8
        let vars = parse_vars(&block).expect("valid block");
        assert_eq!(vars[0].1, "/\u{c3}\u{a9}");
        assert_eq!(encode_vars(&[("PATH_INFO", &vars[0].1)]), block);
    }

    #[test]
    fn empty_key_is_skipped() {
        let block = encode_vars(&[("", "x"), ("A", "1")]);
        assert_eq!(
            parse_vars(&block).expect("valid block"),
            vec![("A".to_string(), "1".to_string())]
        );
    }

    #[test]
    fn truncated_blocks_are_refused() {
        let block = encode_vars(&[("REQUEST_METHOD", "GET")]);
        for cut in 1..block.len() {
            assert!(
                matches!(parse_vars(&block[..cut]), Err(UwsgiError::Truncated(_))),
                "cut at {cut}"
            );
        }
        assert_eq!(parse_vars(&[]).expect("empty block"), vec![]);
    }

    #[test]
    fn too_many_vars_are_refused() {
        let names: Vec<String> = (0..=MAX_VARS).map(|i| format!("K{i}")).collect();
        let vars: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        assert_eq!(
            parse_vars(&encode_vars(&vars)),
            Err(UwsgiError::TooManyVars)
        );
    }

    #[test]
    fn packet_header_counts_the_vars_block() {
        let packet = encode_packet(&[("A", "1")]);
        let head: [u8; 4] = packet[..4].try_into().expect("4 bytes");
        assert_eq!(
            usize::from(PacketHeader::parse(head).datasize),
            packet.len() - 4
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse_vars(&bytes);
        }

        #[test]
        fn header_of_any_bytes_round_trips(bytes in any::<[u8; 4]>()) {
            prop_assert_eq!(PacketHeader::parse(bytes).encode(), bytes);
        }

        #[test]
        fn any_vars_round_trip(
            vars in proptest::collection::vec(
                ("[A-Z_]{1,20}", proptest::collection::vec(any::<u8>(), 0..64)), 0..40)
        ) {
            let decoded: Vec<(String, String)> =
                vars.iter().map(|(k, v)| (k.clone(), latin1(v))).collect();
            let refs: Vec<(&str, &str)> =
                decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            prop_assert_eq!(parse_vars(&encode_vars(&refs)).expect("valid block"), decoded);
        }
    }
}
