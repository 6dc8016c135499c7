//! Flowlab's cluster engine: what happens between machines when a job runs on a cluster.
//!
//! [`sched`] is the cluster and its scheduler, after Spark's: a driver, executors with cores (task
//! slots) and storage memory, jobs made of stages that wait for their parents, one task per
//! partition, shuffle fetches that cost network time, executor loss (running tasks fail and
//! lost map outputs are recomputed from lineage), speculative copies of stragglers, and cached
//! blocks kept in executor memory. It knows nothing of SQL: a job is a [`sched::JobSpec`], the
//! work and bytes of each task, built by whoever planned it (the lab wires the SQL engine's
//! distributed plans and [`mapreduce`] jobs to it).
//!
//! [`mapreduce`] runs Hadoop streaming jobs: input splits, a mapper per split, an optional
//! combiner, partitioning (Hadoop's `HashPartitioner` or `KeyFieldBasedPartitioner`), the sort
//! and merge of map outputs, and reducers; mappers and reducers are small Python functions run
//! by a tiny interpreter ([`mapreduce::program`]).

pub mod mapreduce;
pub mod sched;
