//! The live projector's fold thread: batches are folded there, at a lower
//! CPU priority (nice 10, inherited by the lane threads it starts), so on
//! a busy machine the requests being answered get the cores first and the
//! projector catches up in the time they leave.

use crate::runner::apply_records;
use crate::store::{Store, StoreError};
use event_log::StoredRecord;
use std::sync::{mpsc, Arc};
use tokio::sync::oneshot;

/// Niceness of the fold thread: below the request threads, above idle.
const NICE: i32 = 10;

type Job = (
    Vec<StoredRecord>,
    oneshot::Sender<Result<usize, StoreError>>,
);

pub struct Folder {
    jobs: mpsc::Sender<Job>,
}

impl Folder {
    /// Starts the fold thread of `store`; it ends when the folder is dropped.
    pub fn start(store: Arc<Store>) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("projector-fold".into())
            .spawn(move || {
                lower_priority();
                for (batch, answer) in queue {
                    let _ = answer.send(apply_records(&store, &batch));
                }
            })
            .map_err(|e| StoreError::Task(e.to_string()))?;
        Ok(Folder { jobs })
    }

    /// Folds a batch on the fold thread; answers how many were applied.
    pub async fn fold(&self, batch: Vec<StoredRecord>) -> Result<usize, StoreError> {
        let (answer, done) = oneshot::channel();
        self.jobs
            .send((batch, answer))
            .map_err(|_| StoreError::Task("the fold thread ended".into()))?;
        done.await
            .map_err(|_| StoreError::Task("the fold thread ended".into()))?
    }
}

/// Lowers this thread's CPU priority; where that is refused, it keeps the
/// priority it had (folding still works, only without yielding).
fn lower_priority() {
    // SAFETY: gettid and setpriority only read their arguments.
    let refused = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICE) != 0
    };
    if refused {
        tracing::debug!("the projector's fold thread keeps its priority");
    }
}
