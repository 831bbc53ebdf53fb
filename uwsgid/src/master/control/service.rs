//! The app master's `Control` service: checks who asks and for which app,
//! then hands the request to the event loop as a [`Command`] and relays
//! its answer. Start, Add, Remove and Rescan belong to the supervisor.

use std::path::PathBuf;
use std::pin::Pin;

use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};
use uwsgid_proto::v1::control_server::Control;
use uwsgid_proto::v1::{
    ActionReply, AddRequest, AppRequest, CheckReply, CheckRequest, LogsRequest, ReloadProgress,
    ReloadRequest, RescanRequest, ScaleRequest, StatusReply, StatusRequest,
};

use super::command::Command;
use super::status::fill_memory;
use crate::control::{check, logs, peer};

/// The service of one app master.
#[derive(Debug, Clone)]
pub struct AppControl {
    pub commands: mpsc::Sender<Command>,
    pub name: String,
    /// The app's ini (for `Check` without one).
    pub ini: Option<PathBuf>,
    pub log_path: Option<PathBuf>,
}

type ProgressStream = Pin<Box<dyn Stream<Item = Result<ReloadProgress, Status>> + Send>>;

impl AppControl {
    /// NOT_FOUND unless `app` is empty or this app's name.
    fn this_app(&self, app: &str) -> Result<(), Status> {
        if app.is_empty() || app == self.name {
            Ok(())
        } else {
            Err(Status::not_found(format!(
                "no app {app:?} here: this socket is the app master of {:?}",
                self.name
            )))
        }
    }

    /// Sends `command` to the event loop and waits for its answer.
    async fn ask<T>(&self, command: Command, reply: oneshot::Receiver<T>) -> Result<T, Status> {
        self.commands.send(command).await.map_err(|_| gone())?;
        reply.await.map_err(|_| gone())
    }

    /// Starts a reload; the progress messages as a stream.
    async fn start_reload(&self) -> Result<UnboundedReceiverStream<ReloadProgress>, Status> {
        let (watcher, progress) = mpsc::unbounded_channel();
        self.commands
            .send(Command::Reload { watcher })
            .await
            .map_err(|_| gone())?;
        Ok(UnboundedReceiverStream::new(progress))
    }

    fn supervisor_only(&self, what: &str) -> Status {
        Status::failed_precondition(format!(
            "only the uwsgid supervisor can {what}: this socket is the app master of {:?}",
            self.name
        ))
    }
}

fn gone() -> Status {
    Status::unavailable("the app master is shutting down")
}

#[tonic::async_trait]
impl Control for AppControl {
    async fn status(
        &self,
        request: Request<StatusRequest>,
    ) -> Result<Response<StatusReply>, Status> {
        self.this_app(&request.get_ref().app)?;
        let (reply, answer) = oneshot::channel();
        let mut status = self.ask(Command::Status { reply }, answer).await?;
        fill_memory(&mut status);
        Ok(Response::new(StatusReply { apps: vec![status] }))
    }

    async fn start(&self, request: Request<AppRequest>) -> Result<Response<ActionReply>, Status> {
        peer::require_change(&request, "start")?;
        Err(self.supervisor_only("start apps"))
    }

    async fn stop(&self, request: Request<AppRequest>) -> Result<Response<ActionReply>, Status> {
        peer::require_change(&request, "stop")?;
        self.this_app(&request.get_ref().app)?;
        let (reply, answer) = oneshot::channel();
        let message = self.ask(Command::Stop { reply }, answer).await?;
        Ok(Response::new(ActionReply { message }))
    }

    async fn restart(&self, request: Request<AppRequest>) -> Result<Response<ActionReply>, Status> {
        peer::require_change(&request, "restart")?;
        self.this_app(&request.get_ref().app)?;
        let mut progress = self.start_reload().await?;
        // The first message says whether the reload could begin at all.
        let first = progress.next().await.ok_or_else(gone)?;
        if first.phase == "failed" {
            return Err(Status::failed_precondition(first.error));
        }
        Ok(Response::new(ActionReply {
            message: format!(
                "{} runs without the uwsgid supervisor, so it restarts as a graceful reload \
                 (generation {}): its sockets stay open",
                self.name, first.generation
            ),
        }))
    }

    type ReloadStream = ProgressStream;

    async fn reload(
        &self,
        request: Request<ReloadRequest>,
    ) -> Result<Response<Self::ReloadStream>, Status> {
        peer::require_change(&request, "reload")?;
        self.this_app(&request.get_ref().app)?;
        let progress = self.start_reload().await?.map(Ok);
        let stream: ProgressStream = if request.get_ref().no_wait {
            Box::pin(progress.take(1))
        } else {
            Box::pin(progress)
        };
        Ok(Response::new(stream))
    }

    async fn scale(&self, request: Request<ScaleRequest>) -> Result<Response<ActionReply>, Status> {
        peer::require_change(&request, "scale")?;
        self.this_app(&request.get_ref().app)?;
        let processes = request.get_ref().processes;
        let (reply, answer) = oneshot::channel();
        let message = self
            .ask(Command::Scale { processes, reply }, answer)
            .await??;
        Ok(Response::new(ActionReply { message }))
    }

    async fn check(&self, request: Request<CheckRequest>) -> Result<Response<CheckReply>, Status> {
        let ini = match (&request.get_ref().ini, &self.ini) {
            (given, _) if !given.is_empty() => given.clone(),
            (_, Some(own)) => own.display().to_string(),
            (_, None) => {
                return Err(Status::invalid_argument(
                    "name an ini: this app was not started from one",
                ));
            }
        };
        Ok(Response::new(check::check_ini(&ini)))
    }

    async fn add(&self, request: Request<AddRequest>) -> Result<Response<ActionReply>, Status> {
        peer::require_change(&request, "add")?;
        Err(self.supervisor_only("add apps"))
    }

    async fn remove(&self, request: Request<AppRequest>) -> Result<Response<ActionReply>, Status> {
        peer::require_change(&request, "remove")?;
        Err(self.supervisor_only("remove apps"))
    }

    async fn rescan(
        &self,
        request: Request<RescanRequest>,
    ) -> Result<Response<ActionReply>, Status> {
        peer::require_change(&request, "rescan")?;
        Err(self.supervisor_only("rescan the apps directory"))
    }

    type LogsStream = logs::LogStream;

    async fn logs(
        &self,
        request: Request<LogsRequest>,
    ) -> Result<Response<Self::LogsStream>, Status> {
        let req = request.into_inner();
        self.this_app(&req.app)?;
        let Some(path) = &self.log_path else {
            return Err(Status::failed_precondition(format!(
                "the app logs to its terminal: set `logto` (or `daemonize`) in {} to read its log here",
                self.ini
                    .as_ref()
                    .map_or("its configuration".to_string(), |p| p.display().to_string())
            )));
        };
        Ok(Response::new(logs::stream(
            path.clone(),
            req.lines,
            req.follow,
        )))
    }
}
