//! The supervisor's `Control` service on its control socket. Reads
//! (Status, Check, Logs) are open to anyone who can connect; every change
//! first passes `peer::require_change`. Actions on apps go to the event
//! loop as [`Command`]s; calls an app master answers better itself (its
//! Status, Reload, Scale) are passed on to its own socket.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use uwsgid_proto::v1::control_server::Control;
use uwsgid_proto::v1::{
    ActionReply, AddRequest, AppRequest, CheckReply, CheckRequest, LogsRequest, ReloadProgress,
    ReloadRequest, RescanRequest, ScaleRequest, StatusReply, StatusRequest,
};

use super::event_loop::Command;
use super::options::Paths;
use super::registry::AppView;
use super::status;
use crate::control::peer::require_change;
use crate::control::{check, logs};

/// How long a Scale passed on to an app master may take.
const SCALE_TIMEOUT: Duration = Duration::from_secs(10);

/// The service; cheap to clone (tonic clones it per connection).
#[derive(Debug, Clone)]
pub struct Service {
    commands: mpsc::Sender<Command>,
    paths: Arc<Paths>,
}

impl Service {
    pub fn new(commands: mpsc::Sender<Command>, paths: Paths) -> Service {
        Service {
            commands,
            paths: Arc::new(paths),
        }
    }

    /// Sends a command to the event loop and waits for its answer.
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, Status>>) -> Command,
    ) -> Result<T, Status> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| Status::unavailable("uwsgid is stopping"))?;
        rx.await
            .map_err(|_| Status::unavailable("uwsgid is stopping"))?
    }

    async fn views(&self, app: Option<String>) -> Result<Vec<AppView>, Status> {
        self.ask(|reply| Command::Views { app, reply }).await
    }

    /// The one app named, or every app with `all`.
    async fn targets(&self, app: &str, all: bool) -> Result<Vec<AppView>, Status> {
        match (all, app.is_empty()) {
            (true, _) => Ok(self
                .views(None)
                .await?
                .into_iter()
                .filter(|v| !v.rejected)
                .collect()),
            (false, false) => self.views(Some(app.to_owned())).await,
            (false, true) => Err(Status::invalid_argument("name an app, or ask for all")),
        }
    }

    /// The one running app named (FAILED_PRECONDITION when it is not).
    async fn running(&self, app: &str) -> Result<AppView, Status> {
        let view = self
            .targets(app, false)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| super::event_loop::unknown_app(app))?;
        if !view.live || view.state == "stopping" {
            return Err(Status::failed_precondition(format!(
                "{} is not running ({})",
                view.name, view.state
            )));
        }
        Ok(view)
    }

    fn app_socket(&self, name: &str) -> PathBuf {
        uwsgid_proto::transport::app_socket(&self.paths.control, name)
    }

    /// Runs `action` on every target, all at once; one line per app.
    async fn each(
        &self,
        request: &AppRequest,
        action: fn(String, oneshot::Sender<Result<String, Status>>) -> Command,
    ) -> Result<Response<ActionReply>, Status> {
        let targets = self.targets(&request.app, request.all).await?;
        let mut answers = tokio::task::JoinSet::new();
        for view in targets {
            let this = self.clone();
            answers.spawn(async move { this.ask(|reply| action(view.name, reply)).await });
        }
        let mut lines = Vec::new();
        let mut failure: Option<Status> = None;
        while let Some(joined) = answers.join_next().await {
            match joined {
                Ok(Ok(line)) => lines.push(line),
                Ok(Err(status)) => {
                    lines.push(status.message().to_owned());
                    failure.get_or_insert(status);
                }
                Err(err) => lines.push(format!("internal error: {err}")),
            }
        }
        lines.sort();
        let message = lines.join("\n");
        match failure {
            Some(first) => Err(Status::new(first.code(), message)),
            None => Ok(Response::new(ActionReply { message })),
        }
    }
}

type Stream<T> = ReceiverStream<Result<T, Status>>;

#[tonic::async_trait]
impl Control for Service {
    async fn status(
        &self,
        request: Request<StatusRequest>,
    ) -> Result<Response<StatusReply>, Status> {
        let app = Some(request.into_inner().app).filter(|a| !a.is_empty());
        let views = self.views(app).await?;
        let apps = status::collect(views, &self.paths.control).await;
        Ok(Response::new(StatusReply { apps }))
    }

    async fn start(&self, request: Request<AppRequest>) -> Result<Response<ActionReply>, Status> {
        require_change(&request, "start")?;
        let request = request.into_inner();
        if !request.ini.is_empty() {
            let ini = absolute(&request.ini)?;
            let message = self.ask(|reply| Command::StartIni { ini, reply }).await?;
            return Ok(Response::new(ActionReply { message }));
        }
        self.each(&request, |app, reply| Command::Start { app, reply })
            .await
    }

    async fn stop(&self, request: Request<AppRequest>) -> Result<Response<ActionReply>, Status> {
        require_change(&request, "stop")?;
        self.each(request.get_ref(), |app, reply| Command::Stop { app, reply })
            .await
    }

    async fn restart(&self, request: Request<AppRequest>) -> Result<Response<ActionReply>, Status> {
        require_change(&request, "restart")?;
        self.each(request.get_ref(), |app, reply| Command::Restart {
            app,
            reply,
        })
        .await
    }

    type ReloadStream = Stream<ReloadProgress>;

    async fn reload(
        &self,
        request: Request<ReloadRequest>,
    ) -> Result<Response<Self::ReloadStream>, Status> {
        require_change(&request, "reload")?;
        let request = request.into_inner();
        let targets: Vec<AppView> = if request.all {
            let views = self.targets("", true).await?;
            views
                .into_iter()
                .filter(|v| v.live && v.state != "stopping")
                .collect()
        } else {
            vec![self.running(&request.app).await?]
        };
        let (tx, rx) = mpsc::channel(16);
        let sockets: Vec<(String, PathBuf)> = targets
            .into_iter()
            .map(|v| {
                let socket = self.app_socket(&v.name);
                (v.name, socket)
            })
            .collect();
        tokio::spawn(relay_reloads(sockets, request.no_wait, tx));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn scale(&self, request: Request<ScaleRequest>) -> Result<Response<ActionReply>, Status> {
        require_change(&request, "scale")?;
        let request = request.into_inner();
        let view = self.running(&request.app).await?;
        let socket = self.app_socket(&view.name);
        let pass_on = async {
            let mut client = status::connect(&socket)
                .await
                .map_err(Status::unavailable)?;
            client.scale(request).await
        };
        tokio::time::timeout(SCALE_TIMEOUT, pass_on)
            .await
            .map_err(|_| Status::deadline_exceeded(format!("{} did not answer", view.name)))?
    }

    async fn check(&self, request: Request<CheckRequest>) -> Result<Response<CheckReply>, Status> {
        Ok(Response::new(check::check_ini(&request.into_inner().ini)))
    }

    async fn add(&self, request: Request<AddRequest>) -> Result<Response<ActionReply>, Status> {
        require_change(&request, "add")?;
        let request = request.into_inner();
        let ini = absolute(&request.ini)?;
        let start = request.start;
        let message = self.ask(|reply| Command::Add { ini, start, reply }).await?;
        Ok(Response::new(ActionReply { message }))
    }

    async fn remove(&self, request: Request<AppRequest>) -> Result<Response<ActionReply>, Status> {
        require_change(&request, "remove")?;
        let request = request.into_inner();
        if request.all {
            return Err(Status::invalid_argument(
                "remove takes one app at a time (it takes its ini out of the apps directory)",
            ));
        }
        let app = request.app;
        let message = self.ask(|reply| Command::Remove { app, reply }).await?;
        Ok(Response::new(ActionReply { message }))
    }

    async fn rescan(
        &self,
        request: Request<RescanRequest>,
    ) -> Result<Response<ActionReply>, Status> {
        require_change(&request, "rescan")?;
        let message = self.ask(|reply| Command::Rescan { reply }).await?;
        Ok(Response::new(ActionReply { message }))
    }

    type LogsStream = logs::LogStream;

    async fn logs(
        &self,
        request: Request<LogsRequest>,
    ) -> Result<Response<Self::LogsStream>, Status> {
        let request = request.into_inner();
        let view = self
            .targets(&request.app, false)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| super::event_loop::unknown_app(&request.app))?;
        let path = self.log_file(&view).await;
        Ok(Response::new(logs::stream(
            path,
            request.lines,
            request.follow,
        )))
    }
}

impl Service {
    /// The app's own log file when its master names one (`logto`,
    /// `daemonize`), else what the supervisor captures.
    async fn log_file(&self, view: &AppView) -> PathBuf {
        if view.live
            && let Ok(own) = status::app_master_status(&self.app_socket(&view.name)).await
            && !own.log_path.is_empty()
        {
            return PathBuf::from(own.log_path);
        }
        super::spawn::log_path(&self.paths.log_dir, &view.name)
    }
}

/// Passes each app's Reload progress on, app after app; an app whose
/// reload cannot be asked for gets a "failed" message.
async fn relay_reloads(sockets: Vec<(String, PathBuf)>, no_wait: bool, tx: status::ProgressSink) {
    for (name, socket) in sockets {
        let Err(failed) = status::reload(&name, &socket, no_wait, Some(&tx)).await else {
            continue;
        };
        if failed.reported {
            continue;
        }
        let message = ReloadProgress {
            app: name,
            phase: "failed".to_owned(),
            done: true,
            error: failed.error,
            ..ReloadProgress::default()
        };
        if tx.send(Ok(message)).await.is_err() {
            return;
        }
    }
}

/// An ini path from a request: it must be absolute (the supervisor runs in
/// another directory than the client).
fn absolute(ini: &str) -> Result<PathBuf, Status> {
    let path = PathBuf::from(ini);
    if ini.is_empty() || !path.is_absolute() {
        return Err(Status::invalid_argument(format!(
            "{ini:?}: give the ini as an absolute path"
        )));
    }
    Ok(path)
}
