//! The PROXY protocol header (HAProxy's, versions 1 and 2) that a load
//! balancer sends before the request to tell the client's address
//! (`enable-proxy-protocol`, `http-enable-proxy-protocol`).

use std::net::{Ipv4Addr, Ipv6Addr};

/// Version 2's signature.
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// Version 1's longest line (`PROXY TCP6 …\r\n`), by the specification.
const V1_MAX: usize = 107;
/// Bytes enough to tell whether a header is there and read its length.
pub const PROBE_LEN: usize = 16;

/// The client a header names; `None` fields: the header carries no
/// address (`UNKNOWN`, `LOCAL`, a family other than TCP/UDP over IP).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Source {
    pub addr: Option<String>,
    pub port: Option<u16>,
}

/// What the first bytes of a connection are.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// No PROXY header: the bytes are the request.
    Absent,
    /// More bytes are needed to tell.
    Incomplete,
    /// A header of `len` bytes naming `source`.
    Header { source: Source, len: usize },
    /// A header that breaks the specification: the connection is refused.
    Invalid(&'static str),
}

/// Parses the start of a connection.
pub fn parse(buf: &[u8]) -> Parsed {
    if could_be(buf, b"PROXY ") {
        if buf.len() < 6 {
            return Parsed::Incomplete;
        }
        return parse_v1(buf);
    }
    if could_be(buf, V2_SIGNATURE) {
        if buf.len() < PROBE_LEN {
            return Parsed::Incomplete;
        }
        return parse_v2(buf);
    }
    Parsed::Absent
}

/// `buf` starts with `prefix`, or with as much of it as it holds.
fn could_be(buf: &[u8], prefix: &[u8]) -> bool {
    let n = buf.len().min(prefix.len());
    buf[..n] == prefix[..n]
}

fn parse_v1(buf: &[u8]) -> Parsed {
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return if buf.len() >= V1_MAX {
            Parsed::Invalid("PROXY v1 line too long")
        } else {
            Parsed::Incomplete
        };
    };
    if end + 2 > V1_MAX {
        return Parsed::Invalid("PROXY v1 line too long");
    }
    let Ok(line) = std::str::from_utf8(&buf[6..end]) else {
        return Parsed::Invalid("PROXY v1 line is not text");
    };
    let fields: Vec<&str> = line.split(' ').collect();
    let source = match fields.as_slice() {
        ["UNKNOWN", ..] => Source::default(),
        [family @ ("TCP4" | "TCP6"), src, _dst, sport, _dport] => {
            let valid = if *family == "TCP4" {
                src.parse::<Ipv4Addr>().is_ok()
            } else {
                src.parse::<Ipv6Addr>().is_ok()
            };
            let Ok(port) = sport.parse::<u16>() else {
                return Parsed::Invalid("PROXY v1 source port is not a port");
            };
            if !valid {
                return Parsed::Invalid("PROXY v1 source address does not match its family");
            }
            Source {
                addr: Some((*src).to_owned()),
                port: Some(port),
            }
        }
        _ => return Parsed::Invalid("PROXY v1 line is malformed"),
    };
    Parsed::Header {
        source,
        len: end + 2,
    }
}

fn parse_v2(buf: &[u8]) -> Parsed {
    let version_command = buf[12];
    if version_command >> 4 != 2 {
        return Parsed::Invalid("PROXY v2 version is not 2");
    }
    let len = 16 + usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if buf.len() < len {
        return Parsed::Incomplete;
    }
    let body = &buf[16..len];
    let source = match (version_command & 0x0f, buf[13] >> 4) {
        // LOCAL (a health check of the balancer itself): the peer is real.
        (0, _) => Source::default(),
        (1, 1) if body.len() >= 12 => Source {
            addr: Some(Ipv4Addr::new(body[0], body[1], body[2], body[3]).to_string()),
            port: Some(u16::from_be_bytes([body[8], body[9]])),
        },
        (1, 2) if body.len() >= 36 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&body[..16]);
            Source {
                addr: Some(Ipv6Addr::from(octets).to_string()),
                port: Some(u16::from_be_bytes([body[32], body[33]])),
            }
        }
        (1, 1 | 2) => return Parsed::Invalid("PROXY v2 address block too short"),
        (1, _) => Source::default(),
        _ => return Parsed::Invalid("PROXY v2 command is neither LOCAL nor PROXY"),
    };
    Parsed::Header { source, len }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(addr: &str, port: u16, len: usize) -> Parsed {
        Parsed::Header {
            source: Source {
                addr: Some(addr.to_owned()),
                port: Some(port),
            },
            len,
        }
    }

    #[test]
    fn version_1() {
        let line = b"PROXY TCP4 1.2.3.4 5.6.7.8 1111 80\r\nGET / HTTP/1.1\r\n";
        assert_eq!(parse(line), header("1.2.3.4", 1111, 36));
        let six = b"PROXY TCP6 2001:db8::1 2001:db8::2 3333 80\r\n";
        assert_eq!(parse(six), header("2001:db8::1", 3333, six.len()));
        let unknown = b"PROXY UNKNOWN\r\n";
        assert_eq!(
            parse(unknown),
            Parsed::Header {
                source: Source::default(),
                len: 15
            }
        );
        assert_eq!(parse(b"PROXY TCP4 1.2.3.4"), Parsed::Incomplete);
        assert_eq!(parse(b"PRO"), Parsed::Incomplete);
        assert!(matches!(parse(b"PROXY garbage\r\n"), Parsed::Invalid(_)));
        assert!(matches!(
            parse(b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n"),
            Parsed::Invalid(_)
        ));
        assert!(matches!(parse(&[b'P'; 200]), Parsed::Absent));
        let long = [b"PROXY ".as_slice(), &[b'x'; 120]].concat();
        assert!(matches!(parse(&long), Parsed::Invalid(_)));
    }

    #[test]
    fn version_2() {
        let mut v2 = V2_SIGNATURE.to_vec();
        v2.extend([0x21, 0x11, 0, 12, 9, 8, 7, 6, 5, 6, 7, 8, 0x08, 0xae, 0, 80]);
        assert_eq!(parse(&v2), header("9.8.7.6", 2222, 28));
        assert_eq!(parse(&v2[..20]), Parsed::Incomplete);
        let mut local = V2_SIGNATURE.to_vec();
        local.extend([0x20, 0x00, 0, 0]);
        assert_eq!(
            parse(&local),
            Parsed::Header {
                source: Source::default(),
                len: 16
            }
        );
        let mut bad = V2_SIGNATURE.to_vec();
        bad.extend([0x11, 0x11, 0, 0]);
        assert!(matches!(parse(&bad), Parsed::Invalid(_)));
    }

    #[test]
    fn requests_are_not_headers() {
        assert_eq!(parse(b"GET / HTTP/1.1\r\n"), Parsed::Absent);
        assert_eq!(parse(b"POST"), Parsed::Absent);
        assert_eq!(parse(b""), Parsed::Incomplete);
    }
}
