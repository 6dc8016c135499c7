//! Helpers shared by the SQL engine's integration tests.

pub mod oracle;
