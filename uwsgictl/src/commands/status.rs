//! `uwsgictl status [APP]`: one summary table of the apps, then each app's
//! sockets and workers (or why it is not running).

use std::io::Write;

use anyhow::Result;
use uwsgid_proto::v1::{
    AppStatus, CacheStatus, DaemonStatus, SideProcessStatus, StatusRequest, WorkerStatus,
};

use super::Context;
use crate::cli::StatusArgs;
use crate::exit::Exit;
use crate::output::units::{duration, millis, or_dash, size, text_or_dash};
use crate::output::{Table, json};

pub async fn run(ctx: &Context, out: &mut dyn Write, args: StatusArgs) -> Result<Exit> {
    let request = StatusRequest {
        app: args.app.unwrap_or_default(),
    };
    let reply = ctx.connect().await?.status(request).await?.into_inner();
    if ctx.json {
        json::pretty(out, &reply)?;
    } else {
        render(out, &reply.apps)?;
    }
    Ok(exit_for(&reply.apps))
}

/// 3 when an app shown is neither serving nor about to serve again.
fn exit_for(apps: &[AppStatus]) -> Exit {
    if apps.iter().all(is_up) {
        Exit::Ok
    } else {
        Exit::NotRunning
    }
}

fn is_up(app: &AppStatus) -> bool {
    matches!(app.state.as_str(), "running" | "reloading")
}

fn render(out: &mut dyn Write, apps: &[AppStatus]) -> std::io::Result<()> {
    if apps.is_empty() {
        return writeln!(out, "no apps");
    }
    let mut summary = Table::new(&[
        "NAME", "STATE", "PID", "WORKERS", "REQUESTS", "UPTIME", "GEN",
    ]);
    for app in apps {
        summary.push(app_row(app));
    }
    summary.write(out)?;
    for app in apps {
        writeln!(out)?;
        render_details(out, app)?;
    }
    Ok(())
}

fn app_row(app: &AppStatus) -> Vec<String> {
    let uptime = if app.master_pid == 0 {
        "-".to_string()
    } else {
        duration(app.uptime_secs)
    };
    vec![
        app.name.clone(),
        app.state.clone(),
        or_dash(app.master_pid),
        format!("{}/{}", serving_workers(app), app.processes),
        app.requests.to_string(),
        uptime,
        or_dash(app.generation),
    ]
}

/// Workers of the current generation that serve or are about to: the old
/// generation draining during a reload does not count.
fn serving_workers(app: &AppStatus) -> usize {
    let current = |w: &&WorkerStatus| w.generation == app.generation || w.generation == 0;
    let alive = |w: &&WorkerStatus| w.pid != 0 && w.state != "stopping";
    app.workers.iter().filter(current).filter(alive).count()
}

fn render_details(out: &mut dyn Write, app: &AppStatus) -> std::io::Result<()> {
    let mut heading = app.name.clone();
    if !app.sockets.is_empty() {
        heading.push_str(&format!("  sockets: {}", app.sockets.join(", ")));
    }
    if app.restarts > 0 {
        heading.push_str(&format!("  restarts: {}", app.restarts));
    }
    writeln!(out, "{heading}")?;
    if !app.error.is_empty() && !is_up(app) {
        writeln!(out, "  error: {}", app.error)?;
    } else if app.state == "stopped" {
        writeln!(
            out,
            "  stopped on purpose: `uwsgictl start {}` starts it",
            app.name
        )?;
    }
    render_workers(out, app)?;
    render_side_processes(out, &app.side_processes)?;
    render_daemons(out, &app.daemons)?;
    render_caches(out, &app.caches)
}

/// Spooler processes and mules.
fn render_side_processes(out: &mut dyn Write, sides: &[SideProcessStatus]) -> std::io::Result<()> {
    if sides.is_empty() {
        return Ok(());
    }
    let mut table =
        Table::new(&["PROCESS", "PID", "STATE", "RSS", "PSS", "RESPAWNS", "RUNS"]).indent(2);
    for s in sides {
        table.push(vec![
            format!("{} {}", s.kind, s.id),
            or_dash(s.pid),
            s.state.clone(),
            size(s.rss_bytes),
            size(s.pss_bytes),
            s.respawns.to_string(),
            text_or_dash(&s.name),
        ]);
    }
    table.write(out)
}

/// The shared caches (`cache2`, `cache`): items used of the most, memory.
fn render_caches(out: &mut dyn Write, caches: &[CacheStatus]) -> std::io::Result<()> {
    if caches.is_empty() {
        return Ok(());
    }
    let mut table = Table::new(&[
        "CACHE",
        "ITEMS",
        "BLOCKSIZE",
        "MEMORY",
        "HITS",
        "MISSES",
        "FULL",
    ])
    .indent(2);
    for c in caches {
        table.push(vec![
            c.name.clone(),
            format!("{}/{}", c.items, c.max_items),
            size(c.blocksize),
            size(c.bytes),
            c.hits.to_string(),
            c.misses.to_string(),
            c.full.to_string(),
        ]);
    }
    table.write(out)
}

fn render_workers(out: &mut dyn Write, app: &AppStatus) -> std::io::Result<()> {
    if app.workers.is_empty() {
        return Ok(());
    }
    let mut workers = Table::new(&[
        "ID",
        "PID",
        "STATE",
        "REQS",
        "RSS",
        "PSS",
        "VSZ",
        "CUR-REQ",
        "RESPAWNS",
        "LAST-EXIT",
    ])
    .indent(2);
    for w in &app.workers {
        workers.push(worker_row(w));
    }
    workers.write(out)
}

/// Attached daemons (`attach-daemon` and its family).
fn render_daemons(out: &mut dyn Write, daemons: &[DaemonStatus]) -> std::io::Result<()> {
    if daemons.is_empty() {
        return Ok(());
    }
    let mut table = Table::new(&["DAEMON", "PID", "STATE", "RESPAWNS", "COMMAND"]).indent(2);
    for (i, d) in daemons.iter().enumerate() {
        table.push(vec![
            (i + 1).to_string(),
            or_dash(d.pid),
            d.state.clone(),
            d.respawns.to_string(),
            d.command.clone(),
        ]);
    }
    table.write(out)
}

fn worker_row(w: &WorkerStatus) -> Vec<String> {
    vec![
        w.id.to_string(),
        or_dash(w.pid),
        w.state.clone(),
        w.requests.to_string(),
        size(w.rss_bytes),
        size(w.pss_bytes),
        size(w.vsz_bytes),
        millis(w.current_request_ms),
        w.respawns.to_string(),
        text_or_dash(&w.last_exit),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn worker(id: u32, pid: u32, state: &str, generation: u64) -> WorkerStatus {
        WorkerStatus {
            id,
            pid,
            state: state.into(),
            requests: 770,
            rss_bytes: 21 * MIB,
            pss_bytes: 5 * MIB + 200 * 1024,
            vsz_bytes: 310 * MIB,
            generation,
            ..WorkerStatus::default()
        }
    }

    fn running() -> AppStatus {
        let mut busy = worker(2, 4251, "busy", 3);
        busy.current_request_ms = 1_250;
        busy.respawns = 1;
        busy.last_exit = "max-requests".into();
        AppStatus {
            name: "mysite1".into(),
            state: "running".into(),
            master_pid: 4242,
            sockets: vec!["/run/uwsgi/mysite1.sock".into()],
            uptime_secs: 3 * 3600 + 12 * 60,
            generation: 3,
            requests: 1532,
            processes: 2,
            workers: vec![worker(1, 4250, "idle", 3), busy],
            daemons: vec![DaemonStatus {
                command: "celery -A proj worker".into(),
                pid: 4260,
                state: "running".into(),
                respawns: 2,
                pidfile: String::new(),
            }],
            caches: vec![CacheStatus {
                name: "sessions".into(),
                items: 12,
                max_items: 999,
                blocksize: 64 * 1024,
                bytes: 66 * MIB,
                hits: 30,
                misses: 4,
                full: 0,
            }],
            ..AppStatus::default()
        }
    }

    fn failed() -> AppStatus {
        AppStatus {
            name: "blog".into(),
            state: "failed".into(),
            processes: 4,
            error: "/etc/uwsgi/apps-enabled/blog.ini:3: processes: not a number".into(),
            ..AppStatus::default()
        }
    }

    fn rendered(apps: &[AppStatus]) -> String {
        let mut out = Vec::new();
        render(&mut out, apps).expect("writes to memory");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn a_running_and_a_failed_app() {
        let expected = "\
NAME     STATE    PID   WORKERS  REQUESTS  UPTIME  GEN
mysite1  running  4242  2/2      1532      3h12m   3
blog     failed   -     0/4      0         -       -

mysite1  sockets: /run/uwsgi/mysite1.sock
  ID  PID   STATE  REQS  RSS  PSS   VSZ   CUR-REQ  RESPAWNS  LAST-EXIT
  1   4250  idle   770   21M  5.2M  310M  -        0         -
  2   4251  busy   770   21M  5.2M  310M  1.2s     1         max-requests
  DAEMON  PID   STATE    RESPAWNS  COMMAND
  1       4260  running  2         celery -A proj worker
  CACHE     ITEMS   BLOCKSIZE  MEMORY  HITS  MISSES  FULL
  sessions  12/999  64K        66M     30    4       0

blog
  error: /etc/uwsgi/apps-enabled/blog.ini:3: processes: not a number
";
        assert_eq!(rendered(&[running(), failed()]), expected);
    }

    #[test]
    fn draining_workers_of_an_old_generation_do_not_count() {
        let mut app = running();
        app.state = "reloading".into();
        app.generation = 4;
        app.workers.push(worker(1, 4300, "starting", 4));
        assert_eq!(app_row(&app)[3], "1/2");
    }

    #[test]
    fn no_apps() {
        assert_eq!(rendered(&[]), "no apps\n");
    }

    #[test]
    fn exit_3_when_an_app_shown_is_down() {
        let mut reloading = running();
        reloading.state = "reloading".into();
        assert_eq!(exit_for(&[running(), reloading]), Exit::Ok);
        assert_eq!(exit_for(&[running(), failed()]), Exit::NotRunning);
        let mut stopped = running();
        stopped.state = "stopped".into();
        assert_eq!(exit_for(&[stopped]), Exit::NotRunning);
        assert_eq!(exit_for(&[]), Exit::Ok);
    }
}
