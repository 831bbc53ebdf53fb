//! What an app passes to `start_response`, checked before it reaches the
//! wire: the status line and each header name and value. The input is a
//! status, then `name:value` lines; an accepted header must not be able to
//! split the response (no CR, LF or NUL in what passes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use uwsgid::protocol::response::{check_header, latin1_bytes, parse_status};

fuzz_target!(|data: &[u8]| {
    let text: String = data.iter().map(|&b| char::from(b)).collect();
    let mut lines = text.split('\n');
    let status = lines.next().unwrap_or_default();
    if let Ok(code) = parse_status(status) {
        assert!((100..=999).contains(&code), "status {code} from {status:?}");
    }
    for line in lines {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        if check_header(name, value).is_ok() {
            let bytes = latin1_bytes(value);
            assert!(
                !bytes.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)),
                "header value {value:?} accepted"
            );
        }
    }
});
