//! `chown-socket` and `chmod-socket`, applied to unix socket files right
//! after bind, as uWSGI does.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use nix::unistd::{Gid, Group, Uid, User, chown};

use super::SocketError;

/// The owner `chown-socket = user[:group]` names, resolved once. A missing
/// group leaves the file's group unchanged (uWSGI's `uwsgi_chown`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub uid: Uid,
    pub gid: Option<Gid>,
}

impl Owner {
    /// Resolves `user[:group]`; each part is a name or a number.
    pub fn lookup(value: &str) -> Result<Owner, SocketError> {
        let (user, group) = split_owner(value);
        let uid = match user.parse::<u32>() {
            Ok(n) => Uid::from_raw(n),
            Err(_) => match User::from_name(user) {
                Ok(Some(u)) => u.uid,
                _ => return Err(SocketError::NoSuchUser(user.to_string())),
            },
        };
        let gid = match group {
            None | Some("") => None,
            Some(g) => Some(match g.parse::<u32>() {
                Ok(n) => Gid::from_raw(n),
                Err(_) => match Group::from_name(g) {
                    Ok(Some(found)) => found.gid,
                    _ => return Err(SocketError::NoSuchGroup(g.to_string())),
                },
            }),
        };
        Ok(Owner { uid, gid })
    }
}

fn split_owner(value: &str) -> (&str, Option<&str>) {
    match value.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (value, None),
    }
}

/// Applies the configured owner and mode to a freshly bound socket file.
pub fn apply(path: &Path, owner: Option<&Owner>, mode: Option<u32>) -> Result<(), SocketError> {
    if let Some(owner) = owner {
        chown(path, Some(owner.uid), owner.gid)
            .map_err(|e| SocketError::Chown(path.to_path_buf(), e))?;
    }
    if let Some(bits) = mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(bits))
            .map_err(|e| SocketError::Chmod(path.to_path_buf(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names() {
        assert_eq!(
            Owner::lookup("33:33").ok(),
            Some(Owner {
                uid: Uid::from_raw(33),
                gid: Some(Gid::from_raw(33))
            })
        );
        assert_eq!(
            Owner::lookup("0").ok(),
            Some(Owner {
                uid: Uid::from_raw(0),
                gid: None
            })
        );
        assert_eq!(
            Owner::lookup("root:root").ok(),
            Some(Owner {
                uid: Uid::from_raw(0),
                gid: Some(Gid::from_raw(0))
            })
        );
    }

    #[test]
    fn unknown_names_are_errors() {
        let err = Owner::lookup("no-such-user-uwsgid")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unable to find user no-such-user-uwsgid")
        );
        let err = Owner::lookup("0:no-such-group-uwsgid")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unable to find group no-such-group-uwsgid")
        );
    }
}
