//! CPython and the WSGI call, everything that holds the GIL.
//!
//! - `python.rs`: starting the interpreter (venv, `pythonpath`, `env`) and
//!   the fork hooks; `cow.rs`: freezing objects before the zygote forks;
//! - `app.rs`: importing the WSGI callable ([`App`](app::App));
//! - `call.rs`: one WSGI call, from a [`Job`](super::fronts::job::Job) to
//!   the request log line;
//! - `environ.rs`, `input.rs`, `errors_stream.rs`: the environ,
//!   `wsgi.input`, `wsgi.errors`;
//! - `response.rs`: `start_response` and `write` (the `Responder`);
//!   `file_wrapper.rs`: `wsgi.file_wrapper`;
//! - `autoreload.rs`: `py-autoreload`, watching the modules' files;
//! - `uwsgi_module/`: the `uwsgi` Python module and `uwsgidecorators`.
//!
//! Imports: the fronts' job, events and body source, `runtime` (the
//! worker's context), `logging`; from the crate `config`, `protocol`,
//! `scoreboard`.

pub(super) mod app;
pub(super) mod autoreload;
pub(super) mod call;
pub(super) mod cow;
pub(super) mod environ;
mod errors_stream;
mod file_wrapper;
mod input;
mod own_venv;
mod paste;
pub(super) mod python;
pub(super) mod response;
pub(crate) mod uwsgi_module;
