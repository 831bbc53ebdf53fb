//! Calls to the control API straight from a test, through the same
//! transport `uwsgictl` uses: for checks that read fields `uwsgictl` does
//! not print, or that drive an app master while something else runs.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use tonic::transport::Channel;
use uwsgid_proto::v1::control_client::ControlClient;
use uwsgid_proto::v1::{AppStatus, StatusRequest};

/// The client type the closures of [`call`] receive.
pub type Client = ControlClient<Channel>;

/// Connects to the control socket `socket` and runs `f` with the client on
/// a runtime of its own, giving up after the default timeout.
pub fn call<T>(
    socket: &Path,
    f: impl AsyncFnOnce(Client) -> std::result::Result<T, tonic::Status>,
) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a tokio runtime")?;
    runtime.block_on(async {
        let work = async {
            let client = uwsgid_proto::transport::connect(socket)
                .await
                .with_context(|| format!("cannot connect to {}", socket.display()))?;
            f(client).await.map_err(anyhow::Error::from)
        };
        tokio::time::timeout(crate::DEFAULT_TIMEOUT, work)
            .await
            .with_context(|| format!("no answer from {} in time", socket.display()))?
    })
}

/// Every app the server at `socket` reports.
pub fn status(socket: &Path) -> Result<Vec<AppStatus>> {
    call(socket, async |mut c: Client| {
        let reply = c.status(StatusRequest::default()).await?;
        Ok(reply.into_inner().apps)
    })
}

/// Polls `status` until `pred` holds for the app `name`, or fails after
/// `timeout` with the last status seen.
pub fn wait_app(
    socket: &Path,
    name: &str,
    timeout: Duration,
    pred: impl Fn(&AppStatus) -> bool,
) -> Result<AppStatus> {
    let mut last = None;
    let what = format!("app {name} in the state wanted");
    let found = crate::wait_until(&what, timeout, || {
        let apps = status(socket).ok()?;
        let app = apps.into_iter().find(|a| a.name == name)?;
        let ok = pred(&app);
        last = Some(app.clone());
        ok.then_some(app)
    });
    found.with_context(|| format!("last status of {name}: {last:?}"))
}

/// Asserts that the workers of one app of `uwsgictl --json status` number
/// `count`, each with a pid and memory read from `/proc` although it served
/// nothing yet.
pub fn assert_fresh_workers(app: &serde_json::Value, count: usize) {
    let workers = app["workers"].as_array().expect("a workers list");
    assert_eq!(workers.len(), count, "{app}");
    for w in workers {
        assert!(w["pid"].as_u64().unwrap_or(0) > 0, "{w}");
        assert!(w["rss_bytes"].as_u64().unwrap_or(0) > 0, "{w}");
        assert!(w["pss_bytes"].as_u64().unwrap_or(0) > 0, "{w}");
        assert_eq!(w["requests"].as_u64(), Some(0), "{w}");
    }
}

/// `uwsgid --ini app.ini --control DIR/ctl.sock`, started in `dir` (which
/// holds `app.ini`) and logging to `DIR/uwsgid.log`; the server and its
/// control socket.
pub fn start_ini(dir: &crate::TestDir) -> Result<(crate::Server, std::path::PathBuf)> {
    let control = dir.join("ctl.sock");
    let server = crate::ServerBuilder::uwsgid(dir.join("uwsgid.log"))?
        .args(["--ini", "app.ini", "--control"])
        .arg(&control)
        .current_dir(dir.path())
        .start()?;
    Ok((server, control))
}
