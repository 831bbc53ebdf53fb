//! The typed, validated configuration of one app: what every other part of
//! uwsgid reads. Produced by [`crate::config::resolve`] from ini files, the
//! environment and the command line; serialisable so the master can hand it
//! to its zygote and workers unchanged.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::cheaper::CheaperConfig;
use super::logging::RequestLogging;
use super::static_files::StaticFiles;

/// The highest `locks = N` uwsgid takes: the scoreboard has room for
/// locks 0 ..= 1023.
pub const MAX_LOCKS: u32 = 1023;

/// Which protocol a listen socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// The binary uwsgi protocol (`socket=`, `uwsgi-socket=`): what nginx's
    /// `uwsgi_pass` speaks.
    Uwsgi,
    /// HTTP/1.1 spoken by the workers themselves (`http-socket=`, and `http=`,
    /// which uWSGI serves through a separate router process and uwsgid does not).
    Http,
}

/// What the HTTP front does with a request header whose name contains `_`
/// (`http-header-underscores`). CGI turns `-` into `_`, so `X_Forwarded_For`
/// and `X-Forwarded-For` would both become `HTTP_X_FORWARDED_FOR`, and a proxy
/// that strips one does not strip the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderUnderscores {
    /// Leave the header out of the environ (logged once per request); the
    /// default, as gunicorn's `header_map = drop` and nginx's
    /// `underscores_in_headers off`.
    Drop,
    /// Answer 400.
    Refuse,
    /// Pass it on as `HTTP_*` (uWSGI's behaviour).
    Keep,
}

impl HeaderUnderscores {
    /// The option's values, in the order of the variants.
    pub const VALUES: &[&str] = &["drop", "refuse", "keep"];

    /// The variant a value names (case-insensitive).
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "drop" => Some(HeaderUnderscores::Drop),
            "refuse" => Some(HeaderUnderscores::Refuse),
            "keep" => Some(HeaderUnderscores::Keep),
            _ => None,
        }
    }
}

/// Where a listen socket is bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListenAddr {
    /// A filesystem unix socket (a value without `:`).
    Unix(PathBuf),
    /// A Linux abstract unix socket (`@name`).
    Abstract(String),
    /// TCP: `host:port`, `:port` (all IPv4 interfaces) or `[v6]:port`.
    /// `host` is kept as written (without brackets) and resolved at bind time.
    Tcp { host: String, port: u16 },
}

/// One listen socket of the app, in the order the options named them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenSpec {
    pub protocol: Protocol,
    pub address: ListenAddr,
    /// The option that declared it (`socket`, `http-socket`, `http`, …), for
    /// log lines and errors.
    pub option: String,
    /// The value as written, for log lines (`uwsgi socket 0 bound to UNIX address …`).
    pub raw: String,
}

/// The resolved configuration of one app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppConfig {
    /// The ini file this came from, if any (absolute).
    pub ini: Option<PathBuf>,
    /// The app's name: the `project` placeholder if set, else the ini file's
    /// stem, else `None` (command line only).
    pub name: Option<String>,

    // Processes.
    pub master: bool,
    pub processes: u32,
    pub threads: u32,
    pub enable_threads: bool,
    pub lazy_apps: bool,
    pub uid: Option<String>,
    pub gid: Option<String>,

    // Python and the app.
    /// The virtualenv (`home`, `virtualenv`, `venv`, `pyhome`). Not checked
    /// while resolving: the worker refuses it at start when it is not a
    /// directory (uWSGI: `Python Home is not a directory: %s`).
    pub home: Option<PathBuf>,
    pub chdir: Option<PathBuf>,
    /// `module` / `wsgi`: `pkg.mod` or `pkg.mod:callable`.
    pub module: Option<String>,
    /// `wsgi-file` / `file`.
    pub wsgi_file: Option<PathBuf>,
    /// `paste = config:FILE`: a PasteDeploy app (`paste-logger`: its
    /// logging sections too).
    pub paste: Option<String>,
    pub paste_logger: bool,
    /// `no-site`: the interpreter starts without `site` (`python -S`).
    pub no_site: bool,
    /// The default callable name (`callable`, default `application`).
    pub callable: String,
    pub pythonpath: Vec<PathBuf>,
    /// `env = KEY=VALUE` lines, in order.
    pub env: Vec<(String, String)>,
    pub need_app: bool,
    /// `locks = N`: the app's user locks are 0 ..= N (`uwsgi.lock(n)`).
    pub locks: u32,
    /// `cache2`, `cache` and the sweeper's options: the shared caches.
    #[serde(default)]
    pub cache: super::CacheConfig,
    /// Every option as read, after expansion, in order: key and value, no
    /// value for a command-line flag given bare. What the `uwsgi` Python
    /// module exposes as `uwsgi.opt`.
    #[serde(default)]
    pub exported_options: Vec<(String, Option<String>)>,
    /// `mount = MOUNTPOINT=APP`: more apps, in order (mountpoint, app).
    pub mounts: Vec<(String, String)>,
    /// `manage-script-name`: the mountpoint prefixing PATH_INFO becomes
    /// SCRIPT_NAME.
    pub manage_script_name: bool,
    /// `vhost` (`vhost-host`): apps are chosen by `HOST|SCRIPT_NAME`, and
    /// request lines start with the host.
    pub vhost: bool,
    /// `max-requests-delta`: worker N retires after `max-requests` + N ×
    /// this.
    pub max_requests_delta: u64,
    /// `wsgi-disable-file-wrapper`: no `wsgi.file_wrapper` in the environ.
    pub wsgi_disable_file_wrapper: bool,
    /// `reaper`: reap the app's children after each request.
    pub reaper: bool,
    /// `pyargv`: `sys.argv[1:]`, split at whitespace.
    pub pyargv: Option<String>,
    /// `umask` (octal), set by the master at start.
    pub umask: Option<u32>,
    /// `print`: lines the master logs at start.
    pub print: Vec<String>,
    /// `show-config`: log the configuration at start.
    pub show_config: bool,
    /// `honour-stdin`: keep stdin as it was given (uWSGI reopens it on
    /// `/dev/null`).
    pub honour_stdin: bool,
    /// The `hook-*` lines of each point.
    pub hooks: super::hooks::Hooks,
    /// The Emperor options: with `emperor`, uwsgid supervises vassals.
    pub emperor: super::Emperor,
    /// `cron`, `unique-cron`, `cron2`: tasks the master runs.
    pub crons: Vec<super::CronSpec>,
    /// `cron-harakiri`: seconds a cron run may last (0: no limit).
    pub cron_harakiri: u64,
    /// The `route*` rules, in order (`config/routing.rs`).
    pub routes: Vec<super::routing::Rule>,
    /// `timer`, `rbtimer` (and their `signal-` names): the master's own
    /// uWSGI signal timers.
    pub signal_timers: Vec<super::SignalTimer>,
    /// `touch-signal`, `fs-signal`: files whose change raises a signal.
    pub file_signals: Vec<super::FileSignal>,
    /// `procname`, `procname-master`, `procname-prefix`,
    /// `procname-prefix-spaced`, `procname-append`: process titles.
    pub procname: Option<String>,
    pub procname_master: Option<String>,
    pub procname_prefix: Option<String>,
    pub procname_prefix_spaced: Option<String>,
    pub procname_append: Option<String>,
    /// `http-timeout`: the HTTP front's read, idle and write timeout in
    /// seconds (else `socket-timeout`).
    pub http_timeout: Option<u64>,
    /// `enable-proxy-protocol` / `http-enable-proxy-protocol`: HTTP
    /// connections may start with a PROXY header.
    pub proxy_protocol: bool,
    /// `add-header`: `Name: value` lines added to every response.
    pub add_header: Vec<String>,

    // Sockets.
    pub sockets: Vec<ListenSpec>,
    /// listen(2) backlog.
    pub listen: u32,
    pub chown_socket: Option<String>,
    /// Permission bits for unix sockets (`chmod-socket`), e.g. `0o664`.
    pub chmod_socket: Option<u32>,
    /// Largest uwsgi vars block / HTTP request head, in bytes.
    pub buffer_size: usize,
    /// Bodies above this many bytes are buffered completely (to a temporary
    /// file) before the app is called; 0 = off.
    pub post_buffering: u64,
    /// The largest request body accepted, in bytes (`limit-post`); 0 = no
    /// limit. Above it the answer is 413.
    pub limit_post: u64,
    /// Request headers named with `_` over HTTP (`http-header-underscores`).
    pub http_header_underscores: HeaderUnderscores,
    /// Seconds a socket read or write may stall.
    pub socket_timeout: u64,

    // Files and logging.
    pub pidfile: Option<PathBuf>,
    pub daemonize: Option<PathBuf>,
    pub logto: Option<PathBuf>,
    pub vacuum: bool,
    pub memory_report: bool,
    /// No request log lines (`disable-logging`); errors are still logged.
    pub disable_logging: bool,
    /// `log-format`, `log-date`, the conditions (`config/logging.rs`).
    pub request_logging: RequestLogging,
    /// The stats server address (`stats`): a unix path, `host:port` or `:port`.
    pub stats: Option<String>,
    /// The stats server answers with HTTP headers before its JSON (`stats-http`).
    pub stats_http: bool,
    pub touch_reload: Vec<PathBuf>,
    /// `py-autoreload = N` (seconds; 0 off) and the modules it leaves out.
    pub py_autoreload: u64,
    pub py_autoreload_ignore: Vec<String>,
    /// `pidfile2` (after the privilege drop), `safe-pidfile` and
    /// `safe-pidfile2` (written to a temporary file, then renamed).
    pub pidfile2: Option<PathBuf>,
    pub safe_pidfile: Option<PathBuf>,
    pub safe_pidfile2: Option<PathBuf>,
    /// `max-worker-lifetime` (seconds) and `max-worker-lifetime-delta`.
    pub max_worker_lifetime: Option<u64>,
    pub max_worker_lifetime_delta: u64,
    /// `touch-workers-reload`, `touch-chain-reload`: files that reload the
    /// workers (both gracefully, as `touch-reload`, in uwsgid).
    pub touch_workers_reload: Vec<PathBuf>,
    pub touch_chain_reload: Vec<PathBuf>,
    /// `fs-reload`, `fs-brutal-reload`: paths whose change reloads.
    pub fs_reload: Vec<PathBuf>,
    /// `touch-logreopen`: files whose change reopens the log.
    pub touch_logreopen: Vec<PathBuf>,
    /// `touch-exec = FILE COMMAND`.
    pub touch_exec: Vec<(PathBuf, String)>,
    /// `master-fifo`: named pipes for one-letter commands (the first is
    /// active; `0`–`9` choose).
    pub master_fifo: Vec<PathBuf>,

    // Worker life cycle.
    pub max_requests: u64,
    pub min_worker_lifetime: u64,
    pub harakiri: u64,
    pub harakiri_verbose: bool,
    pub harakiri_graceful_timeout: u64,
    pub harakiri_graceful_signal: i32,
    /// Seconds the old generation gets to finish on reload and stop.
    pub reload_mercy: Option<u64>,
    pub worker_reload_mercy: u64,
    /// Bytes (the ini gives MiB).
    pub reload_on_as: Option<u64>,
    /// Bytes (the ini gives MiB).
    pub reload_on_rss: Option<u64>,
    /// Bytes (the ini gives MiB).
    pub limit_as: Option<u64>,
    pub die_on_term: bool,

    // Static files.
    pub static_files: StaticFiles,

    /// Attached daemons (`attach-daemon` and its family).
    pub daemons: Vec<super::DaemonSpec>,
    /// `daemons-honour-stdin`: every daemon keeps the master's stdin.
    pub daemons_honour_stdin: bool,
    /// Adaptive workers (`config/cheaper.rs`).
    pub cheaper: CheaperConfig,
    /// Spoolers (`config/spooler.rs`).
    pub spooler: super::SpoolerConfig,
    /// Mules and farms (`config/mules.rs`).
    pub mules: super::MuleConfig,
    /// `sharedarea`: the shared memory areas, by id (`config/sharedarea.rs`).
    pub sharedareas: Vec<super::SharedAreaSpec>,
}

impl Default for AppConfig {
    /// uWSGI's defaults (`uwsgi_init_default`), where uwsgid implements the option.
    fn default() -> Self {
        AppConfig {
            ini: None,
            name: None,
            master: false,
            processes: 1,
            threads: 1,
            enable_threads: true,
            lazy_apps: false,
            uid: None,
            gid: None,
            home: None,
            chdir: None,
            module: None,
            wsgi_file: None,
            callable: "application".to_string(),
            pythonpath: Vec::new(),
            env: Vec::new(),
            need_app: true,
            locks: 0,
            cache: Default::default(),
            exported_options: Vec::new(),
            mounts: Vec::new(),
            manage_script_name: false,
            max_requests_delta: 0,
            wsgi_disable_file_wrapper: false,
            reaper: false,
            pyargv: None,
            umask: None,
            print: Vec::new(),
            show_config: false,
            honour_stdin: false,
            hooks: Default::default(),
            emperor: Default::default(),
            vhost: false,
            paste: None,
            paste_logger: false,
            no_site: false,
            crons: Vec::new(),
            cron_harakiri: 0,
            routes: Vec::new(),
            signal_timers: Vec::new(),
            file_signals: Vec::new(),
            procname: None,
            procname_master: None,
            procname_prefix: None,
            procname_prefix_spaced: None,
            procname_append: None,
            http_timeout: None,
            proxy_protocol: false,
            add_header: Vec::new(),
            sockets: Vec::new(),
            listen: 100,
            chown_socket: None,
            chmod_socket: None,
            buffer_size: 4096,
            post_buffering: 0,
            limit_post: 0,
            http_header_underscores: HeaderUnderscores::Drop,
            socket_timeout: 4,
            pidfile: None,
            daemonize: None,
            logto: None,
            vacuum: false,
            memory_report: false,
            disable_logging: false,
            request_logging: RequestLogging::default(),
            stats: None,
            stats_http: false,
            touch_reload: Vec::new(),
            py_autoreload: 0,
            py_autoreload_ignore: Vec::new(),
            pidfile2: None,
            safe_pidfile: None,
            safe_pidfile2: None,
            max_worker_lifetime: None,
            max_worker_lifetime_delta: 0,
            touch_workers_reload: Vec::new(),
            touch_chain_reload: Vec::new(),
            fs_reload: Vec::new(),
            touch_logreopen: Vec::new(),
            touch_exec: Vec::new(),
            master_fifo: Vec::new(),
            max_requests: 0,
            min_worker_lifetime: 10,
            harakiri: 0,
            harakiri_verbose: false,
            harakiri_graceful_timeout: 0,
            harakiri_graceful_signal: libc::SIGTERM,
            reload_mercy: None,
            worker_reload_mercy: 60,
            reload_on_as: None,
            reload_on_rss: None,
            limit_as: None,
            die_on_term: false,
            static_files: StaticFiles::default(),
            daemons: Vec::new(),
            daemons_honour_stdin: false,
            cheaper: CheaperConfig::default(),
            spooler: super::SpoolerConfig::default(),
            mules: super::MuleConfig::default(),
            sharedareas: Vec::new(),
        }
    }
}
