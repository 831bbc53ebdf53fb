//! Several apps in one worker (`mount = /prefix=app`) and which of them a
//! request goes to, as uWSGI 2.0 decides (pinned against uWSGI 2.0.31 in
//! `tests/e2e/wsgi/mounts.rs`):
//!
//! - with `manage-script-name`, the longest mountpoint that starts
//!   `PATH_INFO` at a segment boundary (`/a` matches `/a` and `/a/x`, not
//!   `/ab`) becomes `SCRIPT_NAME` and is cut from `PATH_INFO`; with no
//!   match, `SCRIPT_NAME` stays as the request had it (nginx may send one);
//! - then the app whose mountpoint equals `SCRIPT_NAME` serves; with none,
//!   the first app loaded (app 0: `module`/`wsgi-file`, else the first
//!   `mount`) does.

use super::request::RequestHead;

/// `manage-script-name`: moves the longest mountpoint that prefixes
/// `PATH_INFO` into `SCRIPT_NAME`. A root path (`/`) is left alone.
pub fn manage_script_name<S: AsRef<str>>(head: &mut RequestHead, mountpoints: &[S]) {
    let Some(path) = head.get("PATH_INFO") else {
        return;
    };
    let cut = managed_cut(path, mountpoints.iter().map(AsRef::as_ref));
    if cut > 0 {
        let (mountpoint, rest) = (path[..cut].to_owned(), path[cut..].to_owned());
        head.set("SCRIPT_NAME", mountpoint);
        head.set("PATH_INFO", rest);
    }
}

/// How many bytes of `path` `manage-script-name` moves into `SCRIPT_NAME`:
/// the longest of `mountpoints` starting it at a segment boundary, 0 for
/// none (or a root path). Static files are looked up past it, as in uWSGI.
pub fn managed_cut<'a>(path: &str, mountpoints: impl Iterator<Item = &'a str>) -> usize {
    if path.len() <= 1 {
        return 0;
    }
    mountpoints
        .filter(|m| !m.is_empty() && prefixes(m, path))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// `mountpoint` starts `path` and ends at a segment boundary of it.
fn prefixes(mountpoint: &str, path: &str) -> bool {
    path.starts_with(mountpoint)
        && matches!(path.as_bytes().get(mountpoint.len()), None | Some(b'/'))
}

/// The index of the app a request goes to: the one mounted at its
/// `SCRIPT_NAME` (with `vhost`, at `HOST|SCRIPT_NAME`), else app 0.
pub fn choose<S: AsRef<str>>(head: &RequestHead, mountpoints: &[S], vhost: bool) -> usize {
    let script_name = head.get("SCRIPT_NAME").unwrap_or("");
    let found = if vhost {
        let host = vhost_name(head);
        mountpoints.iter().position(|m| {
            m.as_ref()
                .split_once('|')
                .is_some_and(|(h, s)| h == host && s == script_name)
        })
    } else {
        mountpoints.iter().position(|m| m.as_ref() == script_name)
    };
    found.unwrap_or(0)
}

/// The host `vhost` keys apps by and starts request lines with:
/// `HTTP_HOST`, else `SERVER_NAME` (uWSGI 2.0's `wsgi_req->host`).
pub fn vhost_name(head: &RequestHead) -> &str {
    head.get("HTTP_HOST")
        .or(head.get("SERVER_NAME"))
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(script_name: &str, path: &str) -> RequestHead {
        let mut head = RequestHead::default();
        head.set("SCRIPT_NAME", script_name.to_owned());
        head.set("PATH_INFO", path.to_owned());
        head
    }

    fn split(script_name: &str, path: &str) -> (String, String) {
        let mut h = head(script_name, path);
        manage_script_name(&mut h, &["", "/a", "/a/b"]);
        let get = |k| h.get(k).unwrap_or("-").to_owned();
        (get("SCRIPT_NAME"), get("PATH_INFO"))
    }

    #[test]
    fn vhost_chooses_by_host_and_script_name() {
        let mounts = ["", "a.test|", "b.test|/x"];
        let mut h = head("", "/p");
        h.set("HTTP_HOST", "a.test".to_owned());
        assert_eq!(choose(&h, &mounts, true), 1);
        h.set("HTTP_HOST", "b.test".to_owned());
        assert_eq!(choose(&h, &mounts, true), 0, "no b.test| app: app 0");
        h.set("SCRIPT_NAME", "/x".to_owned());
        assert_eq!(choose(&h, &mounts, true), 2);
        let mut by_name = head("", "/");
        by_name.set("SERVER_NAME", "a.test".to_owned());
        assert_eq!(choose(&by_name, &mounts, true), 1);
        assert_eq!(choose(&by_name, &mounts, false), 0);
    }

    #[test]
    fn the_longest_mountpoint_at_a_segment_boundary_wins() {
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(split("", "/a/x"), pair("/a", "/x"));
        assert_eq!(split("", "/a/b/x"), pair("/a/b", "/x"));
        assert_eq!(split("", "/a"), pair("/a", ""));
        assert_eq!(split("", "/a/"), pair("/a", "/"));
        assert_eq!(split("", "/ab"), pair("", "/ab"));
        assert_eq!(split("", "/"), pair("", "/"));
        assert_eq!(split("", "/A/x"), pair("", "/A/x"));
        // What nginx sent is replaced by a match, kept without one.
        assert_eq!(split("/zz", "/a/b/x"), pair("/a/b", "/x"));
        assert_eq!(split("/a", "/x"), pair("/a", "/x"));
    }

    #[test]
    fn script_name_chooses_the_app_else_app_zero() {
        let mounts = ["", "/a", "/a/b"];
        assert_eq!(choose(&head("/a/b", "/q"), &mounts, false), 2);
        assert_eq!(choose(&head("/a", "/a/x"), &mounts, false), 1);
        assert_eq!(choose(&head("/zz", "/a"), &mounts, false), 0);
        assert_eq!(choose(&head("", "/a"), &["/a", "/b"], false), 0);
    }
}
