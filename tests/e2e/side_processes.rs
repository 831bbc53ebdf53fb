//! Spooler processes and mules as processes (what they run is tested in
//! `spooler/` and `mules/`): started with the app under their titles,
//! shown by `uwsgictl status`, restarted when they die with uWSGI 2.0.31's
//! lines, replaced by a graceful reload, and gone when the app stops.

use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use uwsgid_e2e::control::{start_ini, wait_app};
use uwsgid_e2e::process::ProcId;
use uwsgid_e2e::{Server, TestDir, app_path, free_port, wait_until};
use uwsgid_proto::v1::{AppStatus, SideProcessStatus};

/// Python starts in each of them on a busy machine: generous.
const WAIT: Duration = Duration::from_secs(60);

struct App {
    server: Server,
    control: PathBuf,
    dir: TestDir,
}

impl App {
    /// An HTTP app named `app` with one spooler and two mules.
    fn start() -> App {
        let dir = TestDir::new().expect("temp dir");
        let port = free_port().expect("a free port");
        let ini = format!(
            "[uwsgi]\nmaster = true\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\n\
             spooler = {}/spool\nmules = 2\n",
            app_path("pid_app.py").display(),
            dir.path().display()
        );
        std::fs::create_dir(dir.join("spool")).expect("the spool directory");
        dir.write("app.ini", ini).expect("write app.ini");
        let (server, control) = start_ini(&dir).expect("uwsgid starts");
        App {
            server,
            control,
            dir,
        }
    }

    fn wait(&self, what: impl Fn(&AppStatus) -> bool) -> AppStatus {
        wait_app(&self.control, "app", WAIT, what)
            .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.server.log()))
    }

    /// Waits until the three run, other than `not`; returns them.
    fn running(&self, not: &[u32]) -> Vec<SideProcessStatus> {
        let fresh = |s: &SideProcessStatus| s.state == "running" && !not.contains(&s.pid);
        let app = self.wait(|a| a.side_processes.iter().filter(|s| fresh(s)).count() == 3);
        app.side_processes.into_iter().filter(fresh).collect()
    }

    fn wait_log(&self, pattern: &str) {
        let found = wait_until(&format!("{pattern:?} in the log"), WAIT, || {
            self.server.log().contains(pattern).then_some(())
        });
        found.unwrap_or_else(|e| panic!("{e:#}\nlog:\n{}", self.server.log()));
    }
}

fn alive(pid: u32) -> bool {
    ProcId::of(pid as i32).is_some_and(|p| p.is_alive())
}

fn title(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&cmdline)
        .trim_end_matches('\0')
        .to_owned()
}

fn wait_gone(pids: &[u32], log: &str) {
    wait_until("the old side processes to end", WAIT, || {
        pids.iter().all(|p| !alive(*p)).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}\nlog:\n{log}"));
}

#[test]
fn spoolers_and_mules_live_die_reload_and_stop_with_the_app() {
    let mut app = App::start();
    let first = app.running(&[]);
    let spool = app.dir.join("spool").display().to_string();
    let rows: Vec<(&str, u32, &str)> = first
        .iter()
        .map(|s| (s.kind.as_str(), s.id, s.name.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("spooler", 1, spool.as_str()),
            ("mule", 1, ""),
            ("mule", 2, "")
        ]
    );
    // A new process sets its title as it starts: poll.
    let want = [
        "uwsgid app spooler",
        "uwsgid app mule 1",
        "uwsgid app mule 2",
    ];
    let titles = || -> Vec<String> { first.iter().map(|s| title(s.pid)).collect() };
    wait_until("the side processes' titles", WAIT, || {
        (titles() == want).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e:#}: {:?}", titles()));
    let master = app.server.pid() as u32;
    app.wait_log(&format!(
        "spawned the uWSGI spooler on dir {spool} with pid {}",
        first[0].pid
    ));
    app.wait_log(&format!("spawned uWSGI mule 2 (pid: {})", first[2].pid));

    // A killed mule comes back; the others are untouched.
    let mule1 = first[1].pid;
    kill(Pid::from_raw(mule1 as i32), Signal::SIGKILL).expect("kill mule 1");
    app.wait_log(&format!(
        "OOOPS mule 1 (pid: {mule1}) crippled...trying respawn..."
    ));
    let again = app.running(&[mule1]);
    let mule = &again[1];
    assert_eq!((mule.id, mule.respawns), (1, 1), "{again:?}");
    assert_eq!(parent(mule.pid), Some(master));
    assert_eq!(
        (again[0].pid, again[2].pid),
        (first[0].pid, first[2].pid),
        "the others are untouched"
    );
    assert!(mule.rss_bytes > 0, "{mule:?}");

    // A graceful reload replaces all three; the old ones finish and go.
    let before: Vec<u32> = again.iter().map(|s| s.pid).collect();
    app.server.signal(Signal::SIGHUP).expect("SIGHUP");
    let renewed = app.running(&before);
    wait_gone(&before, &app.server.log());
    for pid in &before {
        app.wait_log(&format!("(pid: {pid}) annihilated"));
    }

    // A stop ends them with the workers.
    app.server.signal(Signal::SIGTERM).expect("SIGTERM");
    let status = app.server.wait_exit(WAIT).expect("the master exits");
    let log = app.server.log();
    assert_eq!(status.code(), Some(0), "{log}");
    let last: Vec<u32> = renewed.iter().map(|s| s.pid).collect();
    wait_gone(&last, &log);
}

/// The parent pid of `pid` (`/proc/PID/stat`).
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')')
        .next()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
