//! Helpers shared by the lab's integration tests: following a lesson's "Do it" links
//! ([`lessons`]) and driving a lab of one preset through its steps ([`labs`]).

pub mod labs;
pub mod lessons;
