//! Precompressed siblings (`static-gzip-all`, `static-gzip-dir`,
//! `static-gzip-ext`), as uWSGI's `uwsgi_static_want_gzip`: when the
//! client's `Accept-Encoding` holds `br` (or `gzip`) and a rule matches
//! the file's real name, `NAME.br` (else `NAME.gz`) is served in its place
//! with `Content-Encoding`, the type still the original name's. uwsgid
//! opens the sibling as it opens any static file: one that resolves
//! outside the document root (a symlink out of it) is not served.

use std::ffi::OsString;
use std::fs::File;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use super::Server;

/// The sibling to serve instead of a file.
pub struct Variant {
    pub file: File,
    pub real: PathBuf,
    pub meta: std::fs::Metadata,
    /// `br` or `gzip`.
    pub encoding: &'static str,
}

impl Server {
    /// The compressed sibling of `real` (found under `root`) the client
    /// accepts, if a rule asks for one and it is there.
    pub(super) fn variant(&self, root: &Path, real: &Path, accept: &str) -> Option<Variant> {
        if self.gzip.is_empty() {
            return None;
        }
        // uWSGI looks for the bytes anywhere in the header.
        let (br, gzip) = (accept.contains("br"), accept.contains("gzip"));
        if !(br || gzip) || !self.gzip.applies(real.as_os_str().as_bytes()) {
            return None;
        }
        let wanted = [(br, ".br", "br"), (gzip, ".gz", "gzip")];
        wanted
            .into_iter()
            .filter(|(accepted, _, _)| *accepted)
            .find_map(|(_, suffix, encoding)| {
                let mut name = real.as_os_str().as_bytes().to_vec();
                name.extend_from_slice(suffix.as_bytes());
                let name = PathBuf::from(OsString::from_vec(name));
                let (file, real, meta) = self.open_under(root, &name)?;
                meta.is_file().then_some(Variant {
                    file,
                    real,
                    meta,
                    encoding,
                })
            })
    }
}
