//! `uwsgictl reload APP|--all [--no-wait]`: one line per progress message
//! as it arrives, until every app reloaded; exit 1 if one failed (its old
//! generation keeps serving) or the server ended the stream early.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::{ReloadProgress, ReloadRequest};

use super::{Context, select};
use crate::cli::ReloadArgs;
use crate::exit::{Exit, Failure};
use crate::output::json;

pub async fn run(ctx: &Context, out: &mut dyn Write, args: ReloadArgs) -> Result<Exit> {
    let no_wait = args.no_wait;
    let target = select(args.select);
    let request = ReloadRequest {
        app: target.app,
        all: target.all,
        no_wait,
    };
    let mut stream = ctx.connect().await?.reload(request).await?.into_inner();
    let mut tally = Tally::default();
    while let Some(progress) = stream.message().await? {
        if ctx.json {
            json::line(out, &progress)?;
        } else {
            report(out, &progress)?;
        }
        tally.note(&progress);
        if no_wait {
            break;
        }
    }
    tally.exit(no_wait)
}

/// Which apps the stream spoke of, and how each ended.
#[derive(Default)]
struct Tally {
    seen: BTreeSet<String>,
    finished: BTreeSet<String>,
    failed: bool,
}

impl Tally {
    fn note(&mut self, p: &ReloadProgress) {
        self.seen.insert(p.app.clone());
        if p.done || matches!(p.phase.as_str(), "done" | "failed") {
            self.finished.insert(p.app.clone());
        }
        self.failed |= p.phase == "failed";
    }

    fn exit(&self, no_wait: bool) -> Result<Exit> {
        if self.failed {
            return Ok(Exit::Failed);
        }
        let unfinished: Vec<&str> = self
            .seen
            .difference(&self.finished)
            .map(String::as_str)
            .collect();
        if !no_wait && !unfinished.is_empty() {
            let apps = unfinished.join(", ");
            let message = format!(
                "the reload of {apps} did not report its end (the server closed the stream); \
                 see `uwsgictl status`"
            );
            return Err(Failure::new(Exit::Failed, message).into());
        }
        Ok(Exit::Ok)
    }
}

/// A failure goes to stderr with its reason; everything else to `out`.
fn report(out: &mut dyn Write, p: &ReloadProgress) -> std::io::Result<()> {
    if p.phase == "failed" {
        eprintln!("uwsgictl: {}", describe(p));
        return Ok(());
    }
    writeln!(out, "{}", describe(p))?;
    out.flush()
}

/// One progress message as a sentence.
fn describe(p: &ReloadProgress) -> String {
    let (app, generation) = (&p.app, p.generation);
    match p.phase.as_str() {
        "requested" => format!("{app}: reload requested"),
        "starting" => format!(
            "{app}: generation {generation}: {}/{} workers ready",
            p.ready, p.total
        ),
        "draining" => {
            let workers = if p.draining == 1 { "worker" } else { "workers" };
            format!(
                "{app}: generation {generation} serving, {} old {workers} finishing",
                p.draining
            )
        }
        "done" => format!("{app}: reloaded (generation {generation})"),
        "failed" => format!(
            "{app}: reload failed, the old generation keeps serving: {}",
            p.error
        ),
        other => format!("{app}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(phase: &str) -> ReloadProgress {
        ReloadProgress {
            app: "mysite1".into(),
            phase: phase.into(),
            ready: 1,
            total: 2,
            draining: 2,
            generation: 3,
            done: phase == "done",
            error: String::new(),
        }
    }

    #[test]
    fn each_phase_reads_as_a_sentence() {
        assert_eq!(
            describe(&progress("requested")),
            "mysite1: reload requested"
        );
        assert_eq!(
            describe(&progress("starting")),
            "mysite1: generation 3: 1/2 workers ready"
        );
        assert_eq!(
            describe(&progress("draining")),
            "mysite1: generation 3 serving, 2 old workers finishing"
        );
        assert_eq!(
            describe(&progress("done")),
            "mysite1: reloaded (generation 3)"
        );
        let mut failed = progress("failed");
        failed.error = "app.ini:4: module: cannot import mysite1.wsgi".into();
        assert_eq!(
            describe(&failed),
            "mysite1: reload failed, the old generation keeps serving: \
             app.ini:4: module: cannot import mysite1.wsgi"
        );
    }

    #[test]
    fn one_old_worker_is_singular() {
        let mut p = progress("draining");
        p.draining = 1;
        assert_eq!(
            describe(&p),
            "mysite1: generation 3 serving, 1 old worker finishing"
        );
    }

    #[test]
    fn every_app_must_end() {
        let mut t = Tally::default();
        t.note(&progress("starting"));
        assert!(t.exit(false).is_err());
        assert_eq!(t.exit(true).expect("no wait"), Exit::Ok);
        t.note(&progress("done"));
        assert_eq!(t.exit(false).expect("done"), Exit::Ok);
    }

    #[test]
    fn a_failed_app_exits_1() {
        let mut t = Tally::default();
        t.note(&progress("failed"));
        let mut other = progress("done");
        other.app = "blog".into();
        t.note(&other);
        assert_eq!(t.exit(false).expect("ends"), Exit::Failed);
    }
}
