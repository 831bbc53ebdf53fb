//! Options of the request path: sockets, the HTTP front, routing, static
//! files, request logging.

use super::*;

/// The options of this family.
pub(super) static TABLE: &[Spec] = &[
    // Internal routing, request chain (`config/routing.rs`).
    list(
        "route",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("PATH_INFO".into()), v)),
    ),
    list(
        "route-uri",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("REQUEST_URI".into()), v)),
    ),
    list(
        "route-qs",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("QUERY_STRING".into()), v)),
    ),
    list(
        "route-host",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("HTTP_HOST".into()), v)),
    ),
    list(
        "route-user-agent",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("HTTP_USER_AGENT".into()), v)),
    ),
    list(
        "route-remote-addr",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("REMOTE_ADDR".into()), v)),
    ),
    list(
        "route-referer",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Var("HTTP_REFERER".into()), v)),
    ),
    list(
        "route-run",
        &[],
        Setter::Parse(|c, v| route(c, Subject::Always, v)),
    ),
    list(
        "route-if",
        &[],
        Setter::Parse(|c, v| route(c, Subject::If { negate: false }, v)),
    ),
    list(
        "route-if-not",
        &[],
        Setter::Parse(|c, v| route(c, Subject::If { negate: true }, v)),
    ),
    // Sockets.
    list("socket", &[], Setter::Socket(None)),
    list("uwsgi-socket", &[], Setter::Socket(Some(Protocol::Uwsgi))),
    list("http-socket", &[], Setter::Socket(Some(Protocol::Http))),
    list("http11-socket", &[], Setter::Socket(Some(Protocol::Http))),
    list("http", &[], Setter::Socket(Some(Protocol::Http))),
    opt("protocol", Setter::DefaultProtocol),
    opt("listen", Setter::Int(|c, v| c.listen = v)),
    opt("chown-socket", Setter::Str(|c, v| c.chown_socket = Some(v))),
    alias("chmod-socket", &["chmod"], Setter::Chmod),
    opt(
        "buffer-size",
        Setter::U64(|c, v| c.buffer_size = usize::try_from(v).unwrap_or(usize::MAX)),
    ),
    opt("post-buffering", Setter::U64(|c, v| c.post_buffering = v)),
    opt("limit-post", Setter::U64(|c, v| c.limit_post = v)),
    // uwsgid's own (see `docs/compatibility.md`).
    opt(
        "http-header-underscores",
        Setter::Choice(HeaderUnderscores::VALUES, |c, v| {
            if let Some(choice) = HeaderUnderscores::parse(v) {
                c.http_header_underscores = choice;
            }
        }),
    ),
    opt(
        "socket-timeout",
        Setter::Int(|c, v| c.socket_timeout = u64::from(v)),
    ),
    // The HTTP front: uWSGI's router (`http =`) and `http-socket` spell
    // these differently; the in-worker front honours both spellings.
    opt(
        "http-timeout",
        Setter::Int(|c, v| c.http_timeout = Some(u64::from(v))),
    ),
    alias(
        "enable-proxy-protocol",
        &["http-enable-proxy-protocol"],
        Setter::Bool(|c, v| c.proxy_protocol = v),
    ),
    // Keep-alive and chunked responses are always on in the HTTP front.
    opt("http-keepalive", Setter::Noop),
    opt("http-auto-chunked", Setter::Noop),
    list("add-header", &[], Setter::Str(|c, v| c.add_header.push(v))),
    // Static files.
    list(
        "static-map",
        &[],
        Setter::Parse(|c, v| {
            let map = static_files::parse_map(v)?;
            c.static_files.maps.push(map);
            Ok(())
        }),
    ),
    list(
        "static-map2",
        &[],
        Setter::Parse(|c, v| {
            let map = static_files::parse_map(v)?;
            c.static_files.maps2.push(map);
            Ok(())
        }),
    ),
    list(
        "check-static",
        &["static-check"],
        Setter::Str(|c, v| c.static_files.check.push(PathBuf::from(v))),
    ),
    list(
        "static-index",
        &[],
        Setter::Str(|c, v| c.static_files.index.push(v)),
    ),
    list(
        "static-skip-ext",
        &[],
        Setter::Str(|c, v| c.static_files.skip_ext.push(v)),
    ),
    list(
        "static-safe",
        &[],
        Setter::Str(|c, v| c.static_files.safe.push(v)),
    ),
    alias(
        "file-serve-mode",
        &["fileserve-mode"],
        Setter::Parse(|c, v| {
            c.static_files.serve_mode = static_files::ServeMode::parse(v)?;
            Ok(())
        }),
    ),
    // Virtual hosting (`protocol/mounts.rs`); uWSGI 2.0 takes the host
    // from `HTTP_HOST` either way.
    opt("vhost", Setter::Bool(|c, v| c.vhost = v)),
    opt("vhost-host", Setter::Bool(|c, v| c.vhost |= v)),
    opt(
        "static-gzip-all",
        Setter::Bool(|c, v| c.static_files.gzip.all = v),
    ),
    list(
        "static-gzip-dir",
        &["static-gzip-prefix"],
        Setter::Str(|c, v| c.static_files.gzip.dirs.push(v)),
    ),
    list(
        "static-gzip-ext",
        &["static-gzip-suffix"],
        Setter::Str(|c, v| c.static_files.gzip.exts.push(v)),
    ),
    expires("static-expires", ExpiresOn::File, false),
    expires("static-expires-mtime", ExpiresOn::File, true),
    expires("static-expires-path-info", ExpiresOn::PathInfo, false),
    expires("static-expires-path-info-mtime", ExpiresOn::PathInfo, true),
    expires("static-expires-uri", ExpiresOn::Uri, false),
    expires("static-expires-uri-mtime", ExpiresOn::Uri, true),
    expires("static-expires-type", ExpiresOn::Type, false),
    expires("static-expires-type-mtime", ExpiresOn::Type, true),
    opt(
        "honour-range",
        Setter::Bool(|c, v| c.static_files.honour_range = v),
    ),
    list(
        "mimefile",
        &["mime-file"],
        Setter::Str(|c, v| c.static_files.mime_files.push(PathBuf::from(v))),
    ),
    alias(
        "offload-threads",
        &["offload-thread"],
        Setter::Int(|c, v| c.static_files.offload_threads = v),
    ),
    // Request logging.
    alias(
        "log-format",
        &["logformat"],
        Setter::Str(|c, v| c.request_logging.format = Some(v)),
    ),
    alias(
        "log-format-strftime",
        &["logformat-strftime"],
        Setter::Bool(|c, v| c.request_logging.format_strftime = v),
    ),
    alias(
        "log-date",
        &["logdate", "log-prefix"],
        Setter::OptStr(|c, v| c.request_logging.date = Some(date_format(v))),
    ),
    opt(
        "log-micros",
        Setter::Bool(|c, v| c.request_logging.micros = v),
    ),
    opt(
        "log-x-forwarded-for",
        Setter::Bool(|c, v| c.request_logging.x_forwarded_for = v),
    ),
    opt(
        "log-zero",
        Setter::Bool(|c, v| c.request_logging.conditions.zero = v),
    ),
    opt(
        "log-slow",
        Setter::Int(|c, v| c.request_logging.conditions.slow_ms = v),
    ),
    opt(
        "log-4xx",
        Setter::Bool(|c, v| c.request_logging.conditions.status_4xx = v),
    ),
    opt(
        "log-5xx",
        Setter::Bool(|c, v| c.request_logging.conditions.status_5xx = v),
    ),
    opt(
        "log-big",
        Setter::U64(|c, v| c.request_logging.conditions.big = v),
    ),
    opt(
        "log-sendfile",
        Setter::Bool(|c, v| c.request_logging.conditions.sendfile = v),
    ),
    opt(
        "log-ioerror",
        Setter::Bool(|c, v| c.request_logging.conditions.ioerror = v),
    ),
    opt(
        "log-master",
        Setter::Bool(|c, v| c.request_logging.file.master = v),
    ),
    opt(
        "log-maxsize",
        Setter::U64(|c, v| c.request_logging.file.maxsize = v),
    ),
    opt(
        "log-backupname",
        Setter::Str(|c, v| c.request_logging.file.backupname = Some(PathBuf::from(v))),
    ),
    opt(
        "log-reopen",
        Setter::Bool(|c, v| c.request_logging.file.reopen = v),
    ),
    opt(
        "logto2",
        Setter::Str(|c, v| c.request_logging.file.logto2 = Some(PathBuf::from(v))),
    ),
    opt(
        "ignore-write-errors",
        Setter::Bool(|c, v| c.request_logging.write_errors.ignore_write_errors = v),
    ),
    opt(
        "disable-write-exception",
        Setter::Bool(|c, v| c.request_logging.write_errors.disable_write_exception = v),
    ),
    list(
        "logger",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.logger.push(v)),
    ),
    list(
        "req-logger",
        &["logger-req"],
        Setter::Str(|c, v| c.request_logging.loggers.req_logger.push(v)),
    ),
    list(
        "log-route",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.route.push(v)),
    ),
    list(
        "log-req-route",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.req_route.push(v)),
    ),
    list(
        "log-encoder",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.encoder.push(v)),
    ),
    list(
        "log-req-encoder",
        &[],
        Setter::Str(|c, v| c.request_logging.loggers.req_encoder.push(v)),
    ),
    // uwsgid ignores SIGPIPE in every process and never reports it.
    opt("ignore-sigpipe", Setter::Noop),
];

/// A `static-expires*` option: one setter per (what it matches, from
/// now or from the mtime); the rules keep their configuration order.
const fn expires(name: &'static str, on: ExpiresOn, from_mtime: bool) -> Spec {
    let setter = match (on, from_mtime) {
        (ExpiresOn::File, false) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::File, false, v)),
        (ExpiresOn::File, true) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::File, true, v)),
        (ExpiresOn::PathInfo, false) => {
            Setter::Parse(|c, v| push_rule(c, ExpiresOn::PathInfo, false, v))
        }
        (ExpiresOn::PathInfo, true) => {
            Setter::Parse(|c, v| push_rule(c, ExpiresOn::PathInfo, true, v))
        }
        (ExpiresOn::Uri, false) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::Uri, false, v)),
        (ExpiresOn::Uri, true) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::Uri, true, v)),
        (ExpiresOn::Type, false) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::Type, false, v)),
        (ExpiresOn::Type, true) => Setter::Parse(|c, v| push_rule(c, ExpiresOn::Type, true, v)),
    };
    list(name, &[], setter)
}

fn push_rule(c: &mut AppConfig, on: ExpiresOn, from_mtime: bool, v: &str) -> Result<(), String> {
    let rule = match on {
        ExpiresOn::Type => static_files::parse_type_rule(from_mtime, v)?,
        _ => static_files::parse_regex_rule(on, from_mtime, v)?,
    };
    c.static_files.expires.push(rule);
    Ok(())
}

/// Adds a routing rule.
fn route(c: &mut AppConfig, subject: Subject, value: &str) -> Result<(), String> {
    c.routes.push(routing::parse(subject, value)?);
    Ok(())
}
