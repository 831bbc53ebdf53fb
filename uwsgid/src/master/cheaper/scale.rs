//! `uwsgictl scale N` with adaptive workers: N becomes the most workers
//! the algorithm may start (uWSGI's `processes`); workers above it finish
//! gracefully at once. The algorithm keeps choosing the count between
//! `cheaper` and N.

use tonic::Status;

use crate::master::event_loop::AppMaster;

impl AppMaster {
    pub(in crate::master) fn scale_cheaper(&mut self, processes: u32) -> Result<String, Status> {
        self.cheaper
            .set_maximum(processes)
            .map_err(Status::invalid_argument)?;
        let before = self.table.len();
        if before > processes as usize {
            self.scale_to(processes as usize);
        }
        Ok(format!(
            "{}: adaptive workers (cheaper): between {} and {processes} workers, {} now (until the next reload or restart, which read `processes` again)",
            self.facts.name,
            self.cheaper.minimum(),
            self.table.len()
        ))
    }
}
