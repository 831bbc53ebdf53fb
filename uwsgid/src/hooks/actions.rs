//! The hook actions on files, directories, the environment and commands,
//! each as uWSGI's base hook does it (`core/hooks.c`): `exec` runs through
//! `/bin/sh -c` and fails on a non-zero exit (`safeexec` never fails),
//! `write`/`append` (and their `n` forms, adding a newline) take
//! `FILE TEXT`, `writefifo` does not wait for a reader, `exit` ends the
//! process at once.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::process::Command;

use crate::log::log_line;

/// Runs one action; the error says why it failed.
pub fn run(action: &str, args: &str) -> Result<(), String> {
    match action {
        "exec" => exec(args, true),
        "safeexec" => exec(args, false),
        "mkdir" => std::fs::create_dir(args).map_err(|e| format!("mkdir {args}: {e}")),
        "chdir" | "cd" => std::env::set_current_dir(args).map_err(|e| format!("chdir {args}: {e}")),
        "putenv" => putenv(args),
        "write" => write(args, false, false),
        "writen" => write(args, false, true),
        "append" => write(args, true, false),
        "appendn" => write(args, true, true),
        "create" | "creat" => write(&format!("{args} "), false, false),
        "writefifo" => writefifo(args),
        "unlink" => std::fs::remove_file(args).map_err(|e| format!("unlink {args}: {e}")),
        "symlink" => symlink(args),
        "chmod" => chmod(args),
        "sticky" => sticky(args),
        "chown" => chown(args, false),
        "chown2" => chown(args, true),
        "print" | "log" => {
            log_line!("{args}");
            Ok(())
        }
        "exit" => std::process::exit(args.trim().parse().unwrap_or(0)),
        other => Err(format!("hook action not found: {other}")),
    }
}

fn exec(command: &str, fails: bool) -> Result<(), String> {
    let status = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .status()
        .map_err(|e| format!("cannot run /bin/sh: {e}"))?;
    if status.success() {
        return Ok(());
    }
    let code = status.code().unwrap_or(-1);
    let message = format!("command \"{command}\" exited with non-zero code: {code}");
    if fails {
        Err(message)
    } else {
        log_line!("{message}");
        Ok(())
    }
}

fn putenv(pair: &str) -> Result<(), String> {
    let (key, value) = pair.split_once('=').ok_or("putenv needs KEY=VALUE")?;
    // SAFETY: hooks run while the process is single-threaded (the master
    // before its runtime's workers, a child before it serves).
    unsafe { std::env::set_var(key, value) };
    Ok(())
}

/// `FILE TEXT` (for `create`, `FILE ` with no text).
fn write(args: &str, append: bool, newline: bool) -> Result<(), String> {
    let (path, text) = args
        .split_once(' ')
        .ok_or("invalid hook write syntax, must be: <file> <string>")?;
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .mode(0o666)
        .open(path)
        .map_err(|e| format!("open {path}: {e}"))?;
    let mut bytes = text.as_bytes().to_vec();
    if newline {
        bytes.push(b'\n');
    }
    file.write_all(&bytes)
        .map_err(|e| format!("write {path}: {e}"))
}

/// Writes to a FIFO without waiting for a reader: none is not an error.
fn writefifo(args: &str) -> Result<(), String> {
    let (path, text) = args
        .split_once(' ')
        .ok_or("invalid hook writefifo syntax, must be: <file> <string>")?;
    match OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(mut fifo) => fifo
            .write_all(text.as_bytes())
            .map_err(|e| format!("write {path}: {e}")),
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => Ok(()),
        Err(e) => Err(format!("open {path}: {e}")),
    }
}

/// `symlink:TARGET LINK`.
fn symlink(args: &str) -> Result<(), String> {
    let (target, link) = args
        .split_once(' ')
        .ok_or("invalid hook symlink syntax, must be: <target> <link>")?;
    std::os::unix::fs::symlink(target, link).map_err(|e| format!("symlink {link}: {e}"))
}

fn chmod(args: &str) -> Result<(), String> {
    let (path, mode) = args
        .split_once(' ')
        .ok_or("invalid hook chmod syntax, must be: <file> <mode>")?;
    let mode = u32::from_str_radix(mode.trim(), 8)
        .map_err(|_| format!("invalid hook chmod mask: {mode}"))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {path}: {e}"))
}

fn sticky(path: &str) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("stat {path}: {e}"))?;
    let mode = meta.permissions().mode() | 0o1000;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {path}: {e}"))
}

/// `FILE USER GROUP` (names), or with `numeric` `FILE UID GID`.
fn chown(args: &str, numeric: bool) -> Result<(), String> {
    let parts: Vec<&str> = args.split(' ').collect();
    let [path, user, group] = parts.as_slice() else {
        return Err("invalid hook chown syntax, must be: <file> <uid> <gid>".into());
    };
    let (uid, gid) = if numeric {
        let uid = user
            .parse()
            .map_err(|_| "invalid hook chown2 syntax, uid must be a number")?;
        let gid = group
            .parse()
            .map_err(|_| "invalid hook chown2 syntax, gid must be a number")?;
        (uid, gid)
    } else {
        let uid = nix::unistd::User::from_name(user)
            .ok()
            .flatten()
            .ok_or_else(|| format!("unable to find uid {user}"))?
            .uid
            .as_raw();
        let gid = nix::unistd::Group::from_name(group)
            .ok()
            .flatten()
            .ok_or_else(|| format!("unable to find gid {group}"))?
            .gid
            .as_raw();
        (uid, gid)
    };
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| format!("chown {path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_actions_do_what_uwsgi_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("f");
        let f = file.display();
        run("write", &format!("{f} one")).expect("write");
        run("appendn", &format!("{f} two")).expect("appendn");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "onetwo\n");
        run("chmod", &format!("{f} 600")).expect("chmod");
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        run("unlink", &f.to_string()).expect("unlink");
        assert!(!file.exists());
        assert!(run("exec", "exit 3").is_err());
        assert!(run("safeexec", "exit 3").is_ok());
        let nobody = dir.path().join("fifo");
        nix::unistd::mkfifo(&nobody, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
        run("writefifo", &format!("{} r", nobody.display())).expect("no reader is fine");
    }
}
