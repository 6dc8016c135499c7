//! The SQL lab's engine: SQL text parsed by our own parser for the subset the lab runs
//! ([`syntax`]; the `sqlparser` crate's code was a fifth of the app's WASM, and it stays as the
//! parser's differential oracle in the tests), bound and planned here, and executed on columnar
//! in-memory tables with PostgreSQL/DuckDB semantics. Every query can also return a trace: the
//! intermediate table after each logical step, so a learner sees how a query is evaluated clause
//! by clause. The dialect and the semantics chosen where PostgreSQL, DuckDB and SQLite differ are
//! in ARCHITECTURE.md; the oracles it is tested against, in docs/testing.md.

pub mod bind;
pub mod column;
pub mod csv;
pub mod datasets;
pub mod distributed;
pub mod error;
pub mod exec;
pub mod expr;
pub mod functions;
pub mod grade;
pub mod keys;
pub mod plan;
pub mod session;
pub mod sort;
pub mod syntax;
pub mod value;
pub mod windowed;

pub use column::{Column, ColumnData, Field, Table};
pub use error::{ErrorKind, Position, SqlError};
pub use session::{Outcome, QueryResult, Session};
pub use value::{DataType, Value};
