//! The facts about the running process the configuration may refer to:
//! environment (`$(VAR)`, `UWSGI_*`), cwd, hostname and the like (magic
//! variables). Gathered once at the edge so the engine itself stays pure and
//! tests can pass their own.

use std::path::PathBuf;

/// What the engine may know about the process.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Environment variables, in the order the process got them (uWSGI reads
    /// `UWSGI_*` in `environ` order).
    pub env: Vec<(String, String)>,
    /// Current directory at startup (`%v`; relative ini paths).
    pub cwd: PathBuf,
    pub hostname: String,
    /// Number of CPUs (`%k`).
    pub cpus: usize,
    pub uid: u32,
    pub user: String,
    pub gid: u32,
    pub group: String,
    /// Unix time at startup, in microseconds (`%t`, `%T`).
    pub now_us: u128,
}

impl Context {
    /// The facts of this process.
    pub fn from_process() -> Context {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let uid = nix::unistd::getuid();
        let gid = nix::unistd::getgid();
        let user = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map_or_else(|| uid.to_string(), |u| u.name);
        let group = nix::unistd::Group::from_gid(gid)
            .ok()
            .flatten()
            .map_or_else(|| gid.to_string(), |g| g.name);
        Context {
            env,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            // The kernel's view of gethostname(2), without needing libc here.
            hostname: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim_end().to_string())
                .unwrap_or_default(),
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            uid: uid.as_raw(),
            user,
            gid: gid.as_raw(),
            group,
            now_us: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros()),
        }
    }

    /// `getenv`: the first value of `name`.
    pub fn getenv(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Resolves a path the way uWSGI's `open()` does: relative to the cwd.
    pub fn path(&self, p: &str) -> PathBuf {
        self.cwd.join(p)
    }
}
