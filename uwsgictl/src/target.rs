//! Telling an app name from an ini path on the command line, and making
//! paths absolute before they go to the server (whose working directory is
//! not ours).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// What `start` was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    App(String),
    Ini(PathBuf),
}

/// An argument is an ini file when it names an existing file, contains a
/// `/`, or ends in `.ini`; otherwise it is an app name.
pub fn classify(arg: &str) -> Result<Target> {
    if looks_like_ini(arg, Path::new(arg).is_file()) {
        Ok(Target::Ini(absolute(arg)?))
    } else {
        Ok(Target::App(arg.to_string()))
    }
}

fn looks_like_ini(arg: &str, is_file: bool) -> bool {
    is_file || arg.contains('/') || arg.ends_with(".ini")
}

/// `path` made absolute against the current directory, without resolving
/// symlinks (the apps directory holds links, and their names matter). A
/// trailing `:section` rides along unchanged.
pub fn absolute(path: impl AsRef<Path>) -> Result<PathBuf> {
    let path = path.as_ref();
    std::path::absolute(path).with_context(|| format!("cannot make {} absolute", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_word_is_an_app() {
        assert!(!looks_like_ini("mysite1", false));
        assert_eq!(
            classify("no-such-app-anywhere").expect("classifies"),
            Target::App("no-such-app-anywhere".into())
        );
    }

    #[test]
    fn a_path_an_ini_suffix_or_a_file_is_an_ini() {
        assert!(looks_like_ini("./mysite1", false));
        assert!(looks_like_ini("apps/mysite1", false));
        assert!(looks_like_ini("mysite1.ini", false));
        assert!(looks_like_ini("mysite1", true));
    }

    #[test]
    fn an_ini_is_sent_absolute() {
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(
            classify("conf/mysite1.ini").expect("classifies"),
            Target::Ini(cwd.join("conf/mysite1.ini"))
        );
        assert_eq!(
            classify("/etc/uwsgi/a.ini").expect("classifies"),
            Target::Ini(PathBuf::from("/etc/uwsgi/a.ini"))
        );
    }

    #[test]
    fn a_section_suffix_survives() {
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(
            absolute("a.ini:staging").expect("absolute"),
            cwd.join("a.ini:staging")
        );
    }
}
