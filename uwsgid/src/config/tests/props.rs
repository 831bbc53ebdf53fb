//! Property tests: nothing a file or a command line can hold makes the
//! engine panic.

use super::Dir;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let d = Dir::new();
        d.write("f.ini", &bytes);
        let _ = d.run(&["--ini", "f.ini"]);
    }

    #[test]
    fn ini_like_text_never_panics(
        lines in proptest::collection::vec(
            "(\\[uwsgi\\]|\\[x|[a-z_%$@()-]{0,12} ?=? ?[ -~]{0,30}|%|%\\(a [+*/-] [0-9a-z]{0,3}\\)|# .*)",
            0..20,
        )
    ) {
        let d = Dir::new().env("A", "1");
        d.write("f.ini", lines.join("\n"));
        let _ = d.run(&["f.ini"]);
    }

    #[test]
    fn arbitrary_arguments_never_panic(args in proptest::collection::vec("[ -~]{0,16}", 0..8)) {
        let d = Dir::new();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = d.run(&refs);
    }
}
