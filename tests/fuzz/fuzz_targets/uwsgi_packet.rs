//! The uwsgi codec on arbitrary packets: the 4-byte header, the vars block
//! (a truncated field, too many vars, non-UTF-8 bytes) and the CGI request
//! built from it. A block that parses must encode back to the same vars.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uwsgid::protocol::cgi::from_uwsgi;
use uwsgid::protocol::uwsgi::{HEADER_LEN, PacketHeader, encode_vars, parse_vars};

fuzz_target!(|data: &[u8]| {
    let Some((header, rest)) = data.split_first_chunk::<HEADER_LEN>() else {
        return;
    };
    let header = PacketHeader::parse(*header);
    assert_eq!(PacketHeader::parse(header.encode()), header);
    let block = &rest[..rest.len().min(usize::from(header.datasize))];
    let Ok(vars) = parse_vars(block) else {
        return;
    };
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let again = parse_vars(&encode_vars(&pairs)).expect("an encoded block parses");
    assert_eq!(again, vars, "encode then parse changed the vars");
    let head = from_uwsgi(vars);
    assert!(head.get("PATH_INFO").is_some());
    assert!(head.get("REQUEST_METHOD").is_some());
    let _ = head.content_length();
    let _ = head.vars_bytes();
});
