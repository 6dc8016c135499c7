//! The SQL editor's query history: the last [`HISTORY_MAX`] queries run, newest first, saved in
//! `localStorage` as versioned JSON (`{"schema": 1, "queries": [...]}`) like progress. Saved
//! history that cannot be read is dropped with a notice (it is only a convenience, unlike
//! progress, which is kept aside). The pure parts are tested natively.

use crate::progress::parse_versioned;
use serde::{Deserialize, Serialize};

/// Where the history lives.
pub const HISTORY_KEY: &str = "flowlab.sql.history";
/// The schema this version writes and reads.
pub const HISTORY_SCHEMA: u32 = 1;
/// Queries kept.
pub const HISTORY_MAX: usize = 30;
/// Longest query kept in the history, in bytes (longer ones run but are not saved).
pub const HISTORY_QUERY_BYTES_MAX: usize = 20_000;

#[derive(Serialize, Deserialize)]
struct Saved {
    schema: u32,
    queries: Vec<String>,
}

/// Reads saved history, saying why when it cannot.
pub fn parse(text: &str) -> Result<Vec<String>, String> {
    if text.len() > HISTORY_MAX * HISTORY_QUERY_BYTES_MAX + 1024 {
        return Err("it is larger than any saved history".into());
    }
    let saved: Saved = parse_versioned(text, HISTORY_SCHEMA, "a saved query history")?;
    Ok(saved
        .queries
        .into_iter()
        .filter(|q| !q.trim().is_empty() && q.len() <= HISTORY_QUERY_BYTES_MAX)
        .take(HISTORY_MAX)
        .collect())
}

pub fn to_json(queries: &[String]) -> String {
    serde_json::to_string(&Saved {
        schema: HISTORY_SCHEMA,
        queries: queries.to_vec(),
    })
    .unwrap_or_default()
}

/// The history after running `sql`: it moves to the front (once), the oldest fall off.
pub fn push(queries: &[String], sql: &str) -> Vec<String> {
    let sql = sql.trim();
    if sql.is_empty() || sql.len() > HISTORY_QUERY_BYTES_MAX {
        return queries.to_vec();
    }
    std::iter::once(sql.to_string())
        .chain(queries.iter().filter(|q| q.as_str() != sql).cloned())
        .take(HISTORY_MAX)
        .collect()
}

fn storage() -> Option<web_sys::Storage> {
    if cfg!(target_arch = "wasm32") {
        web_sys::window()?.local_storage().ok().flatten()
    } else {
        None
    }
}

/// Loads the saved history, and a notice when it could not be read (the bad data is removed).
pub fn load() -> (Vec<String>, Option<String>) {
    let Some(text) = storage().and_then(|s| s.get_item(HISTORY_KEY).ok().flatten()) else {
        return (Vec::new(), None);
    };
    match parse(&text) {
        Ok(queries) => (queries, None),
        Err(why) => {
            if let Some(s) = storage() {
                let _ = s.remove_item(HISTORY_KEY);
            }
            (
                Vec::new(),
                Some(format!(
                    "Your saved query history could not be read ({why}), so it starts empty."
                )),
            )
        }
    }
}

pub fn save(queries: &[String]) {
    if let Some(s) = storage() {
        let _ = s.set_item(HISTORY_KEY, &to_json(queries));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_once_and_bounded() {
        let mut h = Vec::new();
        for i in 0..HISTORY_MAX + 5 {
            h = push(&h, &format!("SELECT {i}"));
        }
        assert_eq!(h.len(), HISTORY_MAX);
        assert_eq!(h[0], format!("SELECT {}", HISTORY_MAX + 4));
        let h = push(&h, "  SELECT 10 ");
        assert_eq!(h[0], "SELECT 10");
        assert_eq!(h.iter().filter(|q| *q == "SELECT 10").count(), 1);
        assert_eq!(push(&h, "   "), h);
        assert_eq!(parse(&to_json(&h)).unwrap(), h);
    }

    #[test]
    fn unreadable_history_says_why() {
        assert!(parse("{oops").unwrap_err().contains("not valid JSON"));
        assert!(parse("{\"schema\": 2, \"queries\": []}")
            .unwrap_err()
            .contains("schema 2"));
        assert!(parse("{\"queries\": []}")
            .unwrap_err()
            .contains("no schema"));
        assert!(parse("{\"schema\": 1, \"queries\": [1]}")
            .unwrap_err()
            .contains("shape"));
    }

    /// A history saved by the version before the crate split loads unchanged.
    #[test]
    fn history_saved_by_an_earlier_version_still_loads() {
        let saved = include_str!("../../../tests/fixtures/sql-history-v1.json");
        let queries = parse(saved).unwrap();
        assert_eq!(queries.len(), 3);
        assert_eq!(queries[1], "SELECT * FROM rides\nWHERE fare > 20\nLIMIT 5");
    }
}
