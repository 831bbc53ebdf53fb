use std::path::Path;

use super::*;
use crate::config::LogFile;

fn main_writer(dir: &Path) -> LogWriter {
    let path = dir.join("main.log");
    let file = super::super::open_append(&path).unwrap_or_else(|e| panic!("{e}"));
    LogWriter::new(file, Some(path), &LogFile::default())
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

fn file_logger(dir: &Path, id: &str, name: &str) -> String {
    let path = dir.join(name);
    format!("{id}file:{}", path.display())
}

#[test]
fn routes_named_loggers_unnamed_loggers_and_the_plain_log() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let loggers = Loggers {
        logger: vec![
            file_logger(d, "", "all.log"),
            file_logger(d, "errors ", "errors.log"),
        ],
        route: vec!["errors ^ERROR".into()],
        encoder: vec!["prefix:errors !! ".into()],
        ..Loggers::default()
    };
    let mut dispatch = Dispatch::build(&loggers, "h")
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("loggers are set"));
    let mut main = main_writer(d);
    dispatch.take(b"hello\nERROR bad\npar", &mut main);
    dispatch.take(b"tial\n", &mut main);
    assert_eq!(read(d, "all.log"), "hello\npartial\n");
    assert_eq!(read(d, "errors.log"), "!! ERROR bad\n");
    assert_eq!(read(d, "main.log"), "");
}

#[test]
fn request_lines_go_to_the_request_loggers() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let loggers = Loggers {
        req_logger: vec![file_logger(d, "", "access.log")],
        req_encoder: vec![r#"json {"req":"${msg}"}"#.into(), "nl".into()],
        ..Loggers::default()
    };
    let mut dispatch = Dispatch::build(&loggers, "h")
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("loggers are set"));
    let mut main = main_writer(d);
    let request = format!("{REQUEST_LINE_MARK}GET / 200\n");
    dispatch.take(request.as_bytes(), &mut main);
    dispatch.take(b"Traceback: boom\n", &mut main);
    assert_eq!(read(d, "access.log"), "{\"req\":\"GET / 200\"}\n");
    assert_eq!(read(d, "main.log"), "Traceback: boom\n");
}

#[test]
fn bad_options_are_errors() {
    let bad_route = Loggers {
        route: vec!["x (".into()],
        ..Loggers::default()
    };
    assert!(matches!(
        Dispatch::build(&bad_route, "h"),
        Err(DispatchError::Route(..))
    ));
    let bad_encoder = Loggers {
        encoder: vec!["gzip".into()],
        ..Loggers::default()
    };
    assert!(Dispatch::build(&bad_encoder, "h").is_err());
    assert!(Dispatch::build(&Loggers::default(), "h").is_ok_and(|d| d.is_none()));
}
