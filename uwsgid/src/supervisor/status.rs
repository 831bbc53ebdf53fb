//! Talking to app masters through their own control sockets: Status (the
//! supervisor fills in what only it knows), Reload until done, Scale.
//! Every call has a deadline: a stuck app master must not stall `uwsgictl
//! status` for every other app.

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;
use tonic::transport::Channel;
use uwsgid_proto::v1::control_client::ControlClient;
use uwsgid_proto::v1::{AppStatus, ReloadProgress, ReloadRequest, StatusRequest};

use super::registry::AppView;

/// How long an app master gets to answer Status.
pub const STATUS_TIMEOUT: Duration = Duration::from_secs(2);
/// How long connecting to an app master may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A client of the app master serving `socket`.
pub async fn connect(socket: &Path) -> Result<ControlClient<Channel>, String> {
    let connecting = uwsgid_proto::transport::connect(socket);
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(err)) => Err(format!("cannot reach {}: {err}", socket.display())),
        Err(_) => Err(format!("{} does not answer", socket.display())),
    }
}

/// The app master's own status of its app.
pub async fn app_master_status(socket: &Path) -> Result<AppStatus, String> {
    let ask = async {
        let mut client = connect(socket).await?;
        let reply = client
            .status(StatusRequest::default())
            .await
            .map_err(|s| s.message().to_owned())?;
        reply
            .into_inner()
            .apps
            .into_iter()
            .next()
            .ok_or_else(|| format!("{} reports no app", socket.display()))
    };
    match tokio::time::timeout(STATUS_TIMEOUT, ask).await {
        Ok(result) => result,
        Err(_) => Err(format!("{} did not answer in time", socket.display())),
    }
}

/// The status of every app of `views`: from its master when one runs and
/// answers, else from what the supervisor knows. Asked in parallel.
pub async fn collect(views: Vec<AppView>, control: &Path) -> Vec<AppStatus> {
    let mut tasks = tokio::task::JoinSet::new();
    for (index, view) in views.into_iter().enumerate() {
        let socket = uwsgid_proto::transport::app_socket(control, &view.name);
        tasks.spawn(async move {
            let live = match view.live {
                true => app_master_status(&socket).await.ok(),
                false => None,
            };
            (index, merge(view, live))
        });
    }
    let mut out: Vec<(usize, AppStatus)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(entry) = joined {
            out.push(entry);
        }
    }
    out.sort_by_key(|(index, _)| *index);
    out.into_iter().map(|(_, status)| status).collect()
}

/// One app's status: the master's own, with the supervisor's name, restart
/// count and (while it stops) state; or the supervisor's alone.
pub fn merge(view: AppView, live: Option<AppStatus>) -> AppStatus {
    let ini = view.ini.to_string_lossy().into_owned();
    match live {
        Some(mut status) => {
            status.name = view.name;
            status.restarts = view.restarts;
            if view.state == "stopping" {
                status.state = view.state;
            }
            if status.ini.is_empty() {
                status.ini = ini;
            }
            status
        }
        None => AppStatus {
            name: view.name,
            state: view.state,
            master_pid: view.master_pid,
            ini,
            error: view.error,
            restarts: view.restarts,
            ..AppStatus::default()
        },
    }
}

/// Where the progress of a reload goes, if anywhere.
pub type ProgressSink = mpsc::Sender<Result<ReloadProgress, tonic::Status>>;

/// Why a reload did not complete.
#[derive(Debug)]
pub struct ReloadFailed {
    pub error: String,
    /// The "failed" message already went to the sink.
    pub reported: bool,
}

/// Reloads the app `name`'s master at `socket` and follows its progress
/// until it is done (with `no_wait`, the first message), passing each
/// message on to `sink`, named for the app. Stops early when the sink is
/// gone.
pub async fn reload(
    name: &str,
    socket: &Path,
    no_wait: bool,
    sink: Option<&ProgressSink>,
) -> Result<(), ReloadFailed> {
    let unreported = |error: String| ReloadFailed {
        error,
        reported: false,
    };
    let mut client = connect(socket).await.map_err(unreported)?;
    let request = ReloadRequest {
        no_wait,
        ..ReloadRequest::default()
    };
    let mut stream = client
        .reload(request)
        .await
        .map_err(|s| unreported(s.message().to_owned()))?
        .into_inner();
    loop {
        let mut progress = match stream.message().await {
            Ok(Some(progress)) => progress,
            Ok(None) => return Ok(()),
            Err(status) => return Err(unreported(status.message().to_owned())),
        };
        progress.app = name.to_owned();
        let failed = (progress.phase == "failed").then(|| progress.error.clone());
        let done = progress.done || no_wait;
        let delivered = match sink {
            Some(tx) => tx.send(Ok(progress)).await.is_ok(),
            None => true,
        };
        if let Some(error) = failed {
            return Err(ReloadFailed {
                error,
                reported: sink.is_some(),
            });
        }
        if done || !delivered {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(state: &str, live: bool) -> AppView {
        AppView {
            name: "a".into(),
            state: state.into(),
            master_pid: 42,
            ini: "/apps/a.ini".into(),
            error: "why".into(),
            restarts: 3,
            live,
            rejected: false,
        }
    }

    #[test]
    fn a_live_master_s_status_gets_the_supervisor_s_counts() {
        let own = AppStatus {
            name: "a".into(),
            state: "running".into(),
            master_pid: 42,
            requests: 7,
            ..AppStatus::default()
        };
        let merged = merge(view("starting", true), Some(own));
        assert_eq!(merged.state, "running");
        assert_eq!(merged.restarts, 3);
        assert_eq!(merged.requests, 7);
        assert_eq!(merged.ini, "/apps/a.ini");
        let stopping = merge(view("stopping", true), Some(AppStatus::default()));
        assert_eq!(stopping.state, "stopping");
    }

    #[test]
    fn without_a_master_the_supervisor_answers() {
        let merged = merge(view("backoff", false), None);
        assert_eq!(merged.state, "backoff");
        assert_eq!(merged.error, "why");
        assert_eq!(merged.master_pid, 42);
    }
}
