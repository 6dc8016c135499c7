//! Flowlab's rollout engine: how a new model version reaches users, after Argo Rollouts and
//! Flagger, and how the release is judged.
//!
//! [`serving`] models versions (latency, errors, prediction quality, each able to change over
//! time) answering [`traffic`] from users with stable ids; [`routing`] splits that traffic by
//! weight, by header match and by mirroring as a [`routing::TrafficPlan`] says; [`metrics`] records
//! what Prometheus would scrape (counters and latency histograms per version) and [`promql`]
//! answers the queries analysis asks of it. [`analysis`] evaluates measurements, metrics and runs
//! by Argo's rules; [`spec`] reads a Rollout (and its AnalysisTemplates) or a Flagger Canary from
//! YAML; [`argo`] and [`flagger`] are the two controllers that turn a spec into traffic plans step
//! by step. [`judge`] is Kayenta's baseline-versus-canary judge, [`drift`] and [`alerts`] are the
//! monitoring that goes on after a full rollout, with [`monitor`] watching the features and
//! scores of served requests. [`world`] steps serving, routing and metrics together on one clock;
//! [`sampling`] and [`stats`] are the seeded draws and the numerical pieces the rest shares.
//!
//! The engine depends on the `sim` kernel only; the lab wires it to the rest of the world.

pub mod alerts;
pub mod analysis;
pub mod argo;
pub mod drift;
pub mod flagger;
pub mod judge;
pub mod metrics;
pub mod monitor;
pub mod promql;
pub mod routing;
pub mod sampling;
pub mod serving;
pub mod spec;
pub mod stats;
pub mod traffic;
pub mod value;
pub mod world;
