//! Flowlab's stream-processing engine, after Flink's DataStream API, with Spark's output modes and
//! ksqlDB's emit modes for contrast.
//!
//! Rows arrive one at a time in partition order on the lab's clock. [`window`] assigns them to
//! tumbling, hopping or session windows; [`watermark`] tracks event-time progress per input
//! partition (the job's watermark is the minimum over active partitions, an idle partition is left
//! out after a timeout); [`aggregate`] keeps one accumulator per (window, key), fires a window once
//! the watermark reaches its end, lets a late row update a window until the allowed lateness has
//! passed, and sends rows later than that to a late-data output.
//!
//! Two pipelines are built from the same parts: [`samples`], a recommender's real-time training
//! samples (labels gathered over a wait window, joined with deduplicated feature callbacks), and
//! [`medallion`], bronze to silver to gold with Delta Live Tables' expectations. [`generate`]
//! draws the event worlds they, the lessons and the benchmark run on.
//!
//! The engine depends on the `sim` kernel only: it has its own small value type ([`value`]), and the
//! lab wires it to the broker's topics, the SQL engine and the feature store.

pub mod aggregate;
pub mod aggregate_operator;
pub mod dedup;
pub mod delivery;
pub mod generate;
pub mod job;
pub mod join;
pub mod medallion;
pub mod operator;
pub mod samples;
pub mod state_ttl;
pub mod value;
pub mod watermark;
pub mod window;
