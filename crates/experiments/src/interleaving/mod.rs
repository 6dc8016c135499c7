//! Interleaving: comparing two rankers by showing each user one list merged from both.
//!
//! [`team_draft`] merges the lists and tags each item with the ranker that drafted it; [`credit`]
//! turns clicks into a win for A, a win for B or a tie per impression; [`sign_test`] reduces each
//! user to one preference and tests the split over users exactly; [`click_model`] is how simulated
//! users click (a position-biased cascade); [`comparison`] runs an A/B test and an interleaving
//! experiment on the same simulated users and reports how many users each needed to decide.

pub mod click_model;
pub mod comparison;
pub mod credit;
pub mod sign_test;
pub mod team_draft;
