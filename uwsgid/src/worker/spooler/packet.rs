//! A task file's content, as uWSGI writes it: a uwsgi packet (modifier1
//! 17, the vars block's size, modifier2 0), the vars block (`u16le
//! key_len, key, u16le val_len, val`, bytes), then the body, unframed, to
//! the end of the file. A file written by uWSGI's `spool()` reads here,
//! and one written here reads in uWSGI.

use crate::protocol::uwsgi::{HEADER_LEN, PacketHeader};

/// uWSGI's modifier1 for a spooler packet.
pub const SPOOL_MODIFIER1: u8 = 17;

/// One var: key and value, bytes.
pub type Var = (Vec<u8>, Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// uWSGI's line when the vars do not fit the u16 frame.
    #[error("[uwsgi-spooler] args buffer is limited to 64k, use the 'body' for bigger values")]
    TooLarge,
    /// Fewer bytes than the header announces (a file cut short).
    #[error("the task holds {0} bytes, fewer than its header announces")]
    Truncated(usize),
    /// A length inside the vars block runs past its end.
    #[error("invalid spooler packet: a var runs past the end of the block")]
    BadVar,
}

/// A task as read from its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub vars: Vec<Var>,
    pub body: Vec<u8>,
}

#[cfg(test)]
impl Task {
    /// The value of `key`, if the task has it.
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }
}

/// The file's bytes for `vars` and `body`.
pub fn encode(vars: &[Var], body: &[u8]) -> Result<Vec<u8>, PacketError> {
    let block: usize = vars.iter().map(|(k, v)| 4 + k.len() + v.len()).sum();
    let datasize = u16::try_from(block).map_err(|_| PacketError::TooLarge)?;
    let mut out = Vec::with_capacity(HEADER_LEN + block + body.len());
    let header = PacketHeader {
        modifier1: SPOOL_MODIFIER1,
        datasize,
        modifier2: 0,
    };
    out.extend_from_slice(&header.encode());
    for (k, v) in vars {
        for part in [k, v] {
            // Each part is shorter than the whole block, which fits a u16.
            let len = u16::try_from(part.len()).map_err(|_| PacketError::TooLarge)?;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out.extend_from_slice(body);
    Ok(out)
}

/// The header of a file's first bytes, or `None` if fewer than 4 were
/// written yet (uWSGI skips such a file and tries it again later).
pub fn header(bytes: &[u8]) -> Option<PacketHeader> {
    let first: [u8; HEADER_LEN] = bytes.get(..HEADER_LEN)?.try_into().ok()?;
    Some(PacketHeader::parse(first))
}

/// Reads a whole task file (header included).
pub fn decode(bytes: &[u8]) -> Result<Task, PacketError> {
    let head = header(bytes).ok_or(PacketError::Truncated(bytes.len()))?;
    let end = HEADER_LEN + usize::from(head.datasize);
    let block = bytes
        .get(HEADER_LEN..end)
        .ok_or(PacketError::Truncated(bytes.len()))?;
    Ok(Task {
        vars: decode_vars(block)?,
        body: bytes[end..].to_vec(),
    })
}

/// The vars of a block. A var with an empty key is kept: the task's
/// callable sees every var uWSGI would hand it.
fn decode_vars(mut block: &[u8]) -> Result<Vec<Var>, PacketError> {
    let mut vars = Vec::new();
    while !block.is_empty() {
        let (key, rest) = take_part(block)?;
        let (value, rest) = take_part(rest)?;
        vars.push((key.to_vec(), value.to_vec()));
        block = rest;
    }
    Ok(vars)
}

fn take_part(bytes: &[u8]) -> Result<(&[u8], &[u8]), PacketError> {
    let len = bytes.get(..2).ok_or(PacketError::BadVar)?;
    let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
    let part = bytes.get(2..2 + len).ok_or(PacketError::BadVar)?;
    Ok((part, &bytes[2 + len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(k: &str, v: &str) -> Var {
        (k.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    #[test]
    fn a_task_round_trips_with_its_body() {
        let vars = vec![var("a", "1"), var("name", "value")];
        let bytes = encode(&vars, b"BODY").expect("encode");
        assert_eq!(&bytes[..4], &[17, 19, 0, 0]);
        let task = decode(&bytes).expect("decode");
        assert_eq!(task.vars, vars);
        assert_eq!(task.body, b"BODY");
        assert_eq!(task.get(b"name"), Some(&b"value"[..]));
    }

    #[test]
    fn reads_a_file_written_by_uwsgi() {
        // uWSGI 2.0.31's spool({b'mode': b'ok', b'body': b'BODYDATA'}).
        let bytes = b"\x11\x0a\x00\x00\x04\x00mode\x02\x00okBODYDATA";
        let task = decode(bytes).expect("decode");
        assert_eq!(task.vars, vec![var("mode", "ok")]);
        assert_eq!(task.body, b"BODYDATA");
    }

    #[test]
    fn vars_over_64k_are_refused() {
        let big = vec![(b"k".to_vec(), vec![b'x'; 0x10000])];
        assert_eq!(encode(&big, b""), Err(PacketError::TooLarge));
    }

    #[test]
    fn a_cut_file_is_an_error_not_a_panic() {
        assert_eq!(decode(b"\x11\x0a\x00"), Err(PacketError::Truncated(3)));
        assert_eq!(
            decode(b"\x11\x0a\x00\x00\x04\x00mo"),
            Err(PacketError::Truncated(8))
        );
        assert_eq!(
            decode(b"\x11\x03\x00\x00\x09\x00a"),
            Err(PacketError::BadVar)
        );
    }
}
