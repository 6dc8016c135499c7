//! Flowlab's feature store engine, after Feast.
//!
//! A feature repository ([`model::FeatureRepo`]) defines entities, feature views and feature
//! services. [`historical`] builds training sets with point-in-time joins: for each entity row,
//! per view, the latest source row at or before the row's timestamp, within the view's TTL, with
//! a reason for every NULL. [`online`] materializes the latest values into a key-value store and
//! serves them, logging every read so [`skew`] can compare what a model saw online with what the
//! point-in-time join gives offline. [`train`] fits a small logistic regression and measures AUC,
//! for the lessons on leakage; [`samples`] generates the lab's data from a seed.
//!
//! The engine depends on the `sim` kernel only; the lab turns SQL tables into its rows.

pub mod evaluate;
pub mod historical;
pub mod model;
pub mod online;
pub mod repo_file;
pub mod samples;
pub mod skew;
pub mod store;
pub mod train;
pub mod value;
