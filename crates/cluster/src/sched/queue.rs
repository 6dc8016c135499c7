//! The job queue: jobs run one after another in submission order (Spark's default FIFO
//! `spark.scheduler.mode`, <https://spark.apache.org/docs/latest/job-scheduling.html>); a job
//! starts in the tick its predecessor ends, and ends when all its stages have completed.

use super::job_run::JobRun;
use super::{job_id, Cluster, ClusterEvent, JobState};

impl Cluster {
    pub(super) fn has_unfinished_jobs(&self) -> bool {
        self.jobs
            .iter()
            .any(|record| matches!(record.state, JobState::Waiting | JobState::Running))
    }

    /// Completes stages and the running job, and starts queued jobs while they can start.
    pub(super) fn settle_jobs(&mut self, events: &mut Vec<ClusterEvent>) {
        loop {
            if let Some(job) = self.active_job {
                self.settle_active_job(job, events);
            }
            if self.active_job.is_some() || !self.start_next_job(events) {
                return;
            }
        }
    }

    fn settle_active_job(&mut self, job: usize, events: &mut Vec<ClusterEvent>) {
        let id = job_id(job);
        let now = self.now_tick;
        let record = &mut self.jobs[job];
        let Some(run) = record.run.as_mut() else {
            return;
        };
        run.settle(id, events);
        if run.all_completed() {
            record.state = JobState::Succeeded;
            record.end_tick = Some(now);
            let ticks = now - record.start_tick.unwrap_or(now);
            events.push(ClusterEvent::JobSucceeded { job: id, ticks });
            self.active_job = None;
        }
    }

    /// Starts the oldest waiting job; false when none waits.
    fn start_next_job(&mut self, events: &mut Vec<ClusterEvent>) -> bool {
        let Some(job) = self
            .jobs
            .iter()
            .position(|record| record.state == JobState::Waiting)
        else {
            return false;
        };
        let id = job_id(job);
        let record = &mut self.jobs[job];
        record.start_tick = Some(self.now_tick);
        events.push(ClusterEvent::JobStarted(id));
        match JobRun::plan(&record.spec) {
            Ok(run) => {
                record.state = JobState::Running;
                record.run = Some(run);
                self.active_job = Some(job);
            }
            Err(reason) => {
                record.state = JobState::Failed;
                record.end_tick = Some(self.now_tick);
                events.push(ClusterEvent::JobFailed { job: id, reason });
            }
        }
        true
    }
}
