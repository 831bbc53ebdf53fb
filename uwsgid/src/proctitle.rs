//! Process titles as `ps` and `pgrep -f` show them (`uwsgid mysite1
//! worker 2`), written over the process's own argument strings, the way
//! uWSGI and nginx do, and to the kernel's 15-byte name (`top`, `ps -o
//! comm`). The argument area is found at start-up: glibc calls functions of
//! `.init_array` with `argc`/`argv` before `main`.
//!
//! Only the argument strings are overwritten (not the environment that
//! follows them), so a title longer than the command line the process was
//! started with is cut; the master starts its children with its full binary
//! path as `argv[0]`, which leaves room.

use std::ffi::{CString, OsString, c_char, c_int};
use std::sync::{Mutex, OnceLock};

/// The argument strings' memory: start and length (NUL included).
struct Area {
    start: usize,
    len: usize,
}

static AREA: Mutex<Option<Area>> = Mutex::new(None);

/// The arguments as the process got them, saved before the first title
/// overwrites them: `std::env::args_os` reads the argument memory itself,
/// so after [`set`] it would return the title.
static ORIGINAL: OnceLock<Vec<OsString>> = OnceLock::new();

/// The process's arguments (without the program), as it was started.
/// Use this, not `std::env::args_os`, anywhere a title may have been set.
pub fn args_os() -> Vec<OsString> {
    ORIGINAL
        .get_or_init(|| std::env::args_os().collect())
        .iter()
        .skip(1)
        .cloned()
        .collect()
}

/// Records where the arguments are. Called once by the C runtime, before
/// `main` and before any thread, with the process's real `argv`.
extern "C" fn capture(argc: c_int, argv: *const *const c_char, _envp: *const *const c_char) {
    let Ok(argc) = usize::try_from(argc) else {
        return;
    };
    if argc == 0 || argv.is_null() {
        return;
    }
    // SAFETY: the C runtime passes `argc` valid pointers to NUL-terminated
    // strings; glibc lays them out one after another.
    let (first, last) = unsafe { (*argv, *argv.add(argc - 1)) };
    if first.is_null() || last.is_null() {
        return;
    }
    // SAFETY: `last` is a NUL-terminated string of the argument area.
    let last_len = unsafe { std::ffi::CStr::from_ptr(last) }.to_bytes().len();
    let (start, end) = (first as usize, last as usize + last_len + 1);
    if end > start {
        let area = Area {
            start,
            len: end - start,
        };
        if let Ok(mut slot) = AREA.lock() {
            *slot = Some(area);
        }
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static CAPTURE: extern "C" fn(c_int, *const *const c_char, *const *const c_char) = capture;

/// Shows `title` as this process's command line (cut to the space the
/// arguments had) and its first 15 bytes as its name.
pub fn set(title: &str) {
    ORIGINAL.get_or_init(|| std::env::args_os().collect());
    if let Ok(name) = CString::new(title.replace('\0', " ")) {
        let _ = nix::sys::prctl::set_name(&name);
    }
    let Ok(guard) = AREA.lock() else {
        return;
    };
    let Some(area) = guard.as_ref() else {
        return;
    };
    let bytes = title.as_bytes();
    let shown = bytes.len().min(area.len - 1);
    // SAFETY: the area is this process's argument memory, writable and
    // `area.len` bytes long (captured above); the arguments were saved in
    // ORIGINAL first.
    unsafe {
        let dst = area.start as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, shown);
        std::ptr::write_bytes(dst.add(shown), 0, area.len - shown);
    }
}

/// A title with uWSGI's `procname-prefix`, `procname-prefix-spaced` and
/// `procname-append` around it.
pub fn compose(
    base: &str,
    prefix: Option<&str>,
    spaced_prefix: Option<&str>,
    append: Option<&str>,
) -> String {
    let mut title = String::new();
    if let Some(prefix) = prefix {
        title.push_str(prefix);
    }
    if let Some(prefix) = spaced_prefix {
        title.push_str(prefix);
        title.push(' ');
    }
    title.push_str(base);
    if let Some(append) = append {
        title.push_str(append);
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_suffix_wrap_the_title() {
        assert_eq!(
            compose("uwsgid a master", None, None, None),
            "uwsgid a master"
        );
        assert_eq!(
            compose("worker 1", Some("[x]"), Some("site"), Some(" !")),
            "[x]site worker 1 !"
        );
    }

    #[test]
    fn the_command_line_shows_the_title_and_the_arguments_stay() {
        let before: Vec<OsString> = std::env::args_os().skip(1).collect();
        set("uwsgid-unit-test title");
        assert_eq!(args_os(), before);
        let cmdline = std::fs::read("/proc/self/cmdline").expect("cmdline");
        assert!(
            cmdline.starts_with(b"uwsgid-unit-test title"),
            "{cmdline:?}"
        );
    }
}
