//! `web_logs`: a website's page views, its pages and its visitors, plus a small text corpus,
//! shaped for the distributed execution lab (Spark's shuffles, broadcast joins and skew):
//!
//! - `page_views(view_id BIGINT, ts TIMESTAMP, user_id BIGINT, page TEXT, country TEXT, ms
//!   BIGINT)`: [`PAGE_VIEWS_ROWS`] views over one week (2024-06-03 to 2024-06-09, in time order).
//!   The page is skewed on purpose: `'/home'` takes [`HOME_PERCENT`]% of the rows (a hot key:
//!   one reduce partition of a shuffle on `page` gets about 40% of the rows, which AQE's skew
//!   join splits), the rest spread over [`OTHER_PAGES`] pages `/p/001` .. `/p/200`, lower numbers
//!   more visited. Users are skewed the way the other datasets' are (a few very active ones);
//!   `ms` (the page's load time) is 20..=400 mostly, 400..=3000 for one view in ten.
//! - `pages(page TEXT, section TEXT, title TEXT)`: 201 rows, one per page: small, the broadcast
//!   side of a join. Its `UnsafeRow` size (`sql::distributed::row_bytes`) is 32 fixed bytes plus
//!   three short texts, about 11 KiB in all: broadcast under Spark's 10 MiB default threshold or
//!   any threshold of 16 KiB and up.
//! - `visitors(user_id BIGINT, country TEXT, signup TIMESTAMP, plan TEXT)`: [`VISITORS_ROWS`]
//!   rows, about 170 KiB: too big to broadcast under a threshold of tens of KiB, so a join with
//!   it is a sort-merge join.
//! - `docs(line TEXT)`: [`DOCS_LINES`] lines of plain English sentences (6 to 14 words each) drawn
//!   from a word list with a Zipf-like skew (the word of rank r weighted 1/r: "the" is the most
//!   frequent), for a MapReduce word count.

use super::gen::{at, column, day, pool, table, Gen};
use crate::column::{ColumnData, Table};
use crate::session::Session;
use sim::rng::Seed;
use std::rc::Rc;

/// Rows of `page_views`.
pub const PAGE_VIEWS_ROWS: usize = 20_000;
/// Share of `page_views` on `'/home'`, in percent.
pub const HOME_PERCENT: u32 = 40;
/// Pages other than `'/home'`.
pub const OTHER_PAGES: usize = 200;
/// Rows of `visitors` (and distinct user ids).
pub const VISITORS_ROWS: usize = 3_000;
/// Lines of `docs`.
pub const DOCS_LINES: usize = 300;
/// The table names, in the order [`tables`] returns them.
pub const TABLES: [&str; 4] = ["page_views", "pages", "visitors", "docs"];

const DAYS: usize = 7;
const COUNTRIES: [&str; 8] = ["DE", "US", "FR", "IN", "BR", "JP", "GB", "NG"];
const COUNTRY_WEIGHTS: [u32; 8] = [22, 25, 10, 14, 9, 8, 8, 4];
const SECTIONS: [&str; 5] = ["news", "shop", "help", "docs", "blog"];
const PLANS: [&str; 3] = ["free", "pro", "team"];
const PLAN_WEIGHTS: [u32; 3] = [70, 22, 8];

/// Every table generated from `seed`, by name (in [`TABLES`] order).
pub fn tables(seed: Seed) -> Vec<(&'static str, Table)> {
    vec![
        ("page_views", page_views(seed)),
        ("pages", pages()),
        ("visitors", visitors(seed)),
        ("docs", docs(seed)),
    ]
}

/// Adds the web-log tables generated from `seed` to `session` as read-only samples.
pub fn add_to(session: &mut Session, seed: Seed) {
    for (name, table) in tables(seed) {
        session.add_sample(name, table);
    }
}

/// The page at `index`: `'/home'` for 0, else `/p/001` .. `/p/200`.
fn page_name(index: usize) -> String {
    if index == 0 {
        "/home".to_string()
    } else {
        format!("/p/{index:03}")
    }
}

fn page_views(seed: Seed) -> Table {
    let mut g = Gen::new(seed, "web_logs/page_views");
    let pages: Vec<Rc<str>> = (0..=OTHER_PAGES).map(|i| Rc::from(page_name(i))).collect();
    let countries = pool(&COUNTRIES);
    let first_day = day(2024, 6, 3);
    let week_seconds = (DAYS * 86_400) as i64;
    let mut seconds: Vec<i64> = (0..PAGE_VIEWS_ROWS)
        .map(|_| g.range(0, week_seconds - 1))
        .collect();
    sim::sort::sort(&mut seconds);
    let mut ts = Vec::with_capacity(PAGE_VIEWS_ROWS);
    let mut user_id = Vec::with_capacity(PAGE_VIEWS_ROWS);
    let mut page = Vec::with_capacity(PAGE_VIEWS_ROWS);
    let mut country = Vec::with_capacity(PAGE_VIEWS_ROWS);
    let mut ms = Vec::with_capacity(PAGE_VIEWS_ROWS);
    for s in seconds {
        ts.push(at(first_day, s));
        user_id.push(g.skewed(VISITORS_ROWS) as i64 + 1);
        let index = if g.percent(HOME_PERCENT) {
            0
        } else {
            // Lower page numbers more visited: the smaller of two uniform draws.
            1 + g.below(OTHER_PAGES).min(g.below(OTHER_PAGES))
        };
        page.push(pages[index].clone());
        country.push(g.pick_weighted(&countries, &COUNTRY_WEIGHTS));
        ms.push(if g.percent(10) {
            g.range(400, 3_000)
        } else {
            g.range(20, 400)
        });
    }
    table(vec![
        (
            "view_id",
            column(1..=PAGE_VIEWS_ROWS as i64, ColumnData::BigInt),
        ),
        ("ts", column(ts, ColumnData::Timestamp)),
        ("user_id", column(user_id, ColumnData::BigInt)),
        ("page", column(page, ColumnData::Text)),
        ("country", column(country, ColumnData::Text)),
        ("ms", column(ms, ColumnData::BigInt)),
    ])
}

fn pages() -> Table {
    let names: Vec<Rc<str>> = (0..=OTHER_PAGES).map(|i| Rc::from(page_name(i))).collect();
    let sections: Vec<Rc<str>> = (0..=OTHER_PAGES)
        .map(|i| {
            Rc::from(if i == 0 {
                "home"
            } else {
                SECTIONS[i % SECTIONS.len()]
            })
        })
        .collect();
    let titles: Vec<Rc<str>> = (0..=OTHER_PAGES)
        .map(|i| {
            Rc::from(if i == 0 {
                "Welcome".to_string()
            } else {
                format!("Page {i}")
            })
        })
        .collect();
    table(vec![
        ("page", column(names, ColumnData::Text)),
        ("section", column(sections, ColumnData::Text)),
        ("title", column(titles, ColumnData::Text)),
    ])
}

fn visitors(seed: Seed) -> Table {
    let mut g = Gen::new(seed, "web_logs/visitors");
    let countries = pool(&COUNTRIES);
    let plans = pool(&PLANS);
    let first_day = day(2023, 1, 1);
    let mut country = Vec::with_capacity(VISITORS_ROWS);
    let mut signup = Vec::with_capacity(VISITORS_ROWS);
    let mut plan = Vec::with_capacity(VISITORS_ROWS);
    for _ in 0..VISITORS_ROWS {
        country.push(g.pick_weighted(&countries, &COUNTRY_WEIGHTS));
        let signup_day = first_day + g.below(500) as i32;
        signup.push(at(signup_day, g.range(0, 86_399)));
        plan.push(g.pick_weighted(&plans, &PLAN_WEIGHTS));
    }
    table(vec![
        (
            "user_id",
            column(1..=VISITORS_ROWS as i64, ColumnData::BigInt),
        ),
        ("country", column(country, ColumnData::Text)),
        ("signup", column(signup, ColumnData::Timestamp)),
        ("plan", column(plan, ColumnData::Text)),
    ])
}

/// The corpus's words, most frequent first (its rank sets its weight).
const WORDS: [&str; 48] = [
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "data",
    "it",
    "that",
    "for",
    "on",
    "with",
    "as",
    "was",
    "by",
    "at",
    "from",
    "this",
    "cluster",
    "map",
    "reduce",
    "shuffle",
    "stage",
    "task",
    "spark",
    "node",
    "disk",
    "memory",
    "key",
    "value",
    "file",
    "job",
    "word",
    "count",
    "line",
    "partition",
    "driver",
    "worker",
    "block",
    "split",
    "sort",
    "merge",
    "join",
    "network",
    "record",
    "batch",
    "stream",
];

fn docs(seed: Seed) -> Table {
    let mut g = Gen::new(seed, "web_logs/docs");
    let words = pool(&WORDS);
    // Zipf-like: the word of rank r (from 1) weighs 1/r, scaled to integers.
    let weights: Vec<u32> = (1..=WORDS.len() as u32).map(|rank| 10_000 / rank).collect();
    let lines: Vec<Rc<str>> = (0..DOCS_LINES)
        .map(|_| {
            let n = 6 + g.below(9);
            let sentence: Vec<&str> = (0..n).map(|_| &*words[g.weighted(&weights)]).collect();
            let mut line = sentence.join(" ");
            if let Some(first) = line.get(..1) {
                line = first.to_ascii_uppercase() + &line[1..];
            }
            line.push('.');
            Rc::from(line)
        })
        .collect();
    table(vec![("line", column(lines, ColumnData::Text))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributed::table_bytes;
    use crate::value::Value;
    use std::collections::BTreeMap;

    fn named(name: &str) -> Table {
        tables(Seed(7))
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t)
            .expect("a web_logs table")
    }

    fn texts(table: &Table, column: usize) -> Vec<String> {
        (0..table.rows)
            .map(|r| match table.columns[column].get(r) {
                Value::Text(s) => s.to_string(),
                other => panic!("not text: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn sizes_are_as_documented() {
        assert_eq!(named("page_views").rows, PAGE_VIEWS_ROWS);
        assert_eq!(named("pages").rows, OTHER_PAGES + 1);
        assert_eq!(named("visitors").rows, VISITORS_ROWS);
        assert_eq!(named("docs").rows, DOCS_LINES);
        let pages_bytes = table_bytes(&named("pages"));
        assert!(
            (10 * 1024..16 * 1024).contains(&pages_bytes),
            "{pages_bytes}"
        );
        assert!(table_bytes(&named("visitors")) > 100 * 1024);
    }

    #[test]
    fn home_takes_about_forty_percent_of_the_views() {
        let views = named("page_views");
        let pages = texts(&views, 3);
        let home = pages.iter().filter(|p| *p == "/home").count();
        let share_percent = home * 100 / pages.len();
        assert!((37..=43).contains(&share_percent), "{share_percent}%");
        let distinct: std::collections::BTreeSet<&String> = pages.iter().collect();
        assert!(distinct.len() > 150, "{} pages", distinct.len());
        assert!(distinct.len() <= OTHER_PAGES + 1);
    }

    #[test]
    fn the_is_the_most_frequent_word() {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for line in texts(&named("docs"), 0) {
            for word in line.split_whitespace() {
                let w = word.trim_end_matches('.').to_ascii_lowercase();
                *counts.entry(w).or_default() += 1;
            }
        }
        let top = counts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(w, _)| w.clone());
        assert_eq!(top.as_deref(), Some("the"));
    }

    #[test]
    fn the_same_seed_gives_the_same_tables() {
        assert_eq!(tables(Seed(3)), tables(Seed(3)));
        assert_ne!(tables(Seed(3)), tables(Seed(4)));
    }
}
