//! Whether a background task is still running, for `/readyz`. The task
//! holds a [`Running`] guard; when the task ends or panics the guard drops
//! and the flag clears.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct TaskFlag(AtomicBool);

/// Keeps its [`TaskFlag`] set while it lives.
pub struct Running(Arc<TaskFlag>);

impl TaskFlag {
    /// Sets the flag until the returned guard is dropped.
    pub fn running(self: &Arc<Self>) -> Running {
        self.0.store(true, Ordering::SeqCst);
        Running(self.clone())
    }

    pub fn is_running(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0 .0.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_flag_clears_when_the_task_ends_or_panics() {
        let flag = Arc::new(TaskFlag::default());
        assert!(!flag.is_running());
        let guard = flag.running();
        let task = tokio::spawn(async move {
            let _guard = guard;
            panic!("the task dies");
        });
        assert!(task.await.is_err());
        assert!(!flag.is_running());
    }
}
