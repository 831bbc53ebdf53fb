//! The `Logs` RPC served from a log file: its last lines, then (with
//! `follow`) what is appended, as whole lines.
//!
//! The file is polled rather than watched: a log grows in bursts, a fifth of
//! a second of delay is invisible to a person reading it, and polling copes
//! the same way with everything that happens to log files: the file does
//! not exist yet (an app that has not started), it is truncated in place
//! (logrotate's `copytruncate`: reading starts again at its beginning), or
//! it is renamed away and recreated (logrotate's default: the rest of the
//! old file is read first, then the new one from its start).

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use uwsgid_proto::v1::LogChunk;

/// How often a followed file is looked at.
pub const POLL_EVERY: Duration = Duration::from_millis(200);
/// The largest chunk sent (gRPC messages stay far below their 4 MiB limit).
const MAX_CHUNK: usize = 64 * 1024;
/// The most read from the file at once.
const MAX_READ: usize = 1024 * 1024;
/// A line longer than this is sent before its end arrives.
const MAX_LINE: usize = MAX_CHUNK;
/// Blocks read backwards while looking for the last lines.
const SCAN_BLOCK: usize = 64 * 1024;

/// The stream a `Logs` RPC answers with.
pub type LogStream = ReceiverStream<Result<LogChunk, Status>>;

/// Serves the file at `path`: its last `lines` lines, then, while `follow`,
/// new lines as they are written, until the client goes away. Must be
/// called inside a tokio runtime (the reading runs as a task of its own).
pub fn stream(path: PathBuf, lines: u32, follow: bool) -> LogStream {
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(feed(path, lines, follow, tx));
    ReceiverStream::new(rx)
}

async fn feed(path: PathBuf, lines: u32, follow: bool, tx: mpsc::Sender<Result<LogChunk, Status>>) {
    let mut tail = match Tail::open(&path, lines, follow) {
        Ok(tail) => tail,
        Err(err) => {
            let _ = tx.send(Err(read_error(&path, &err))).await;
            return;
        }
    };
    loop {
        let data = match tail.poll() {
            Ok(data) => data,
            Err(err) => {
                let _ = tx.send(Err(read_error(&path, &err))).await;
                return;
            }
        };
        if data.is_empty() {
            if !follow {
                return;
            }
            tokio::select! {
                () = tx.closed() => return,
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
            continue;
        }
        for chunk in chunks(&data, MAX_CHUNK) {
            let chunk = LogChunk {
                data: chunk.to_vec(),
            };
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
    }
}

fn read_error(path: &Path, err: &io::Error) -> Status {
    Status::internal(format!("cannot read the log {}: {err}", path.display()))
}

/// A log file read from a position on.
#[derive(Debug)]
struct Tail {
    path: PathBuf,
    file: Option<File>,
    ino: u64,
    /// Where the next unsent line starts.
    pos: u64,
    /// Without `follow`: the end of the file when the request came.
    stop_at: Option<u64>,
}

impl Tail {
    /// Positions at the start of the last `lines` whole lines. A missing
    /// file is not an error: it is read from its start once it exists.
    fn open(path: &Path, lines: u32, follow: bool) -> io::Result<Tail> {
        let mut tail = Tail {
            path: path.to_path_buf(),
            file: None,
            ino: 0,
            pos: 0,
            stop_at: (!follow).then_some(0),
        };
        let file = match File::open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(tail),
            Err(err) => return Err(err),
        };
        let meta = file.metadata()?;
        tail.pos = last_lines_start(|at, buf| file.read_at(buf, at), meta.len(), lines)?;
        tail.ino = meta.ino();
        tail.stop_at = (!follow).then_some(meta.len());
        tail.file = Some(file);
        Ok(tail)
    }

    /// The whole lines written since the last call (empty: nothing new).
    fn poll(&mut self) -> io::Result<Vec<u8>> {
        let data = self.read_current()?;
        if !data.is_empty() || self.stop_at.is_some() {
            return Ok(data);
        }
        // Nothing more in the file held open: was it replaced?
        match std::fs::metadata(&self.path) {
            Ok(meta) if self.file.is_none() || meta.ino() != self.ino => {
                self.file = Some(File::open(&self.path)?);
                self.ino = meta.ino();
                self.pos = 0;
                self.read_current()
            }
            Ok(_) => Ok(Vec::new()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(err) => Err(err),
        }
    }

    fn read_current(&mut self) -> io::Result<Vec<u8>> {
        let Some(file) = &self.file else {
            return Ok(Vec::new());
        };
        let mut len = file.metadata()?.len();
        if len < self.pos {
            // Truncated in place: everything in it now is new.
            self.pos = 0;
        }
        if let Some(stop) = self.stop_at {
            len = len.min(stop);
        }
        let want = usize::try_from(len.saturating_sub(self.pos))
            .unwrap_or(MAX_READ)
            .min(MAX_READ);
        let mut buf = vec![0; want];
        let got = read_full_at(file, &mut buf, self.pos)?;
        buf.truncate(got);
        let keep = whole_lines(&buf, MAX_LINE);
        buf.truncate(keep);
        self.pos += keep as u64;
        Ok(buf)
    }
}

fn read_full_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], at + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(done)
}

/// How many bytes of `data` to send now: up to its last newline; all of it
/// when no newline came for `max_line` bytes (a line too long to hold back).
fn whole_lines(data: &[u8], max_line: usize) -> usize {
    match data.iter().rposition(|&b| b == b'\n') {
        Some(at) => at + 1,
        None if data.len() >= max_line => data.len(),
        None => 0,
    }
}

/// Where the last `lines` whole lines of a file of `len` bytes start
/// (`read_at` reads it); a partial last line does not count. With `lines`
/// = 0, the end of the last whole line.
fn last_lines_start(
    mut read_at: impl FnMut(u64, &mut [u8]) -> io::Result<usize>,
    len: u64,
    lines: u32,
) -> io::Result<u64> {
    let mut end = len;
    let mut complete_end: Option<u64> = None;
    let mut seen = 0u32;
    let mut block = vec![0; SCAN_BLOCK];
    while end > 0 {
        let size = usize::try_from(end).map_or(SCAN_BLOCK, |e| e.min(SCAN_BLOCK));
        let start = end - size as u64;
        let buf = &mut block[..size];
        let got = read_at(start, buf)?;
        for (i, &b) in buf[..got].iter().enumerate().rev() {
            if b != b'\n' {
                continue;
            }
            let after = start + i as u64 + 1;
            if complete_end.is_none() {
                complete_end = Some(after);
                if lines == 0 {
                    return Ok(after);
                }
            } else {
                seen += 1;
                if seen == lines {
                    return Ok(after);
                }
            }
        }
        end = start;
    }
    Ok(0)
}

/// `data` cut into pieces of at most `max` bytes, at line ends when a
/// piece holds one.
fn chunks(data: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.len() <= max {
            out.push(rest);
            break;
        }
        let cut = rest[..max]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(max, |at| at + 1);
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use tokio_stream::StreamExt;

    use super::*;

    fn start_in(data: &[u8], lines: u32) -> u64 {
        let read = |at: u64, buf: &mut [u8]| {
            let at = at as usize;
            let n = buf.len().min(data.len() - at);
            buf[..n].copy_from_slice(&data[at..at + n]);
            Ok(n)
        };
        last_lines_start(read, data.len() as u64, lines).expect("scan")
    }

    #[test]
    fn finds_the_start_of_the_last_lines() {
        let text = b"one\ntwo\nthree\n";
        assert_eq!(start_in(text, 1), 8);
        assert_eq!(start_in(text, 2), 4);
        assert_eq!(start_in(text, 3), 0);
        assert_eq!(start_in(text, 10), 0);
        assert_eq!(start_in(text, 0), 14);
        // A partial last line is not a line yet.
        assert_eq!(start_in(b"one\ntwo\npart", 1), 4);
        assert_eq!(start_in(b"one\ntwo\npart", 0), 8);
        assert_eq!(start_in(b"", 5), 0);
        assert_eq!(start_in(b"no newline", 0), 0);
    }

    #[test]
    fn finds_lines_across_scan_blocks() {
        let line = vec![b'x'; SCAN_BLOCK - 1];
        let mut text = Vec::new();
        for _ in 0..3 {
            text.extend_from_slice(&line);
            text.push(b'\n');
        }
        assert_eq!(start_in(&text, 2), SCAN_BLOCK as u64);
    }

    #[test]
    fn holds_back_a_partial_line_unless_it_is_too_long() {
        assert_eq!(whole_lines(b"a\nb", 10), 2);
        assert_eq!(whole_lines(b"abc", 10), 0);
        assert_eq!(whole_lines(b"abc", 3), 3);
    }

    #[test]
    fn chunks_end_at_line_ends() {
        assert_eq!(chunks(b"aa\nbb\ncc\n", 7), [&b"aa\nbb\n"[..], b"cc\n"]);
        assert_eq!(chunks(b"abcdef", 4), [&b"abcd"[..], b"ef"]);
        assert!(chunks(b"", 4).is_empty());
    }

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open");
        f.write_all(text.as_bytes()).expect("write");
    }

    #[test]
    fn follows_appends_truncation_and_replacement() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.log");
        let mut tail = Tail::open(&path, 5, true).expect("open missing");
        assert!(tail.poll().expect("poll").is_empty());
        append(&path, "first\nsec");
        assert_eq!(tail.poll().expect("poll"), b"first\n");
        append(&path, "ond\n");
        assert_eq!(tail.poll().expect("poll"), b"second\n");
        // copytruncate
        std::fs::File::create(&path).expect("truncate");
        append(&path, "after\n");
        assert_eq!(tail.poll().expect("poll"), b"after\n");
        // rename and recreate: the old file's rest first, then the new one
        append(&path, "old tail\n");
        std::fs::rename(&path, dir.path().join("app.log.1")).expect("rename");
        append(&path, "new\n");
        assert_eq!(tail.poll().expect("poll"), b"old tail\n");
        assert_eq!(tail.poll().expect("poll"), b"new\n");
        assert!(tail.poll().expect("poll").is_empty());
    }

    #[test]
    fn without_follow_reads_up_to_the_end_seen_at_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.log");
        append(&path, "a\nb\nc\n");
        let mut tail = Tail::open(&path, 2, false).expect("open");
        append(&path, "d\n");
        assert_eq!(tail.poll().expect("poll"), b"b\nc\n");
        assert!(tail.poll().expect("poll").is_empty());
        let mut none = Tail::open(&dir.path().join("missing"), 2, false).expect("open");
        assert!(none.poll().expect("poll").is_empty());
    }

    #[tokio::test]
    async fn the_stream_sends_the_tail_then_new_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.log");
        append(&path, "1\n2\n3\n");
        let mut s = stream(path.clone(), 2, true);
        let first = s.next().await.expect("item").expect("chunk");
        assert_eq!(first.data, b"2\n3\n");
        append(&path, "4\n");
        let next = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .expect("in time")
            .expect("item")
            .expect("chunk");
        assert_eq!(next.data, b"4\n");
        let done: Vec<_> = stream(path, 1, false).collect().await;
        assert_eq!(done.len(), 1);
    }
}
