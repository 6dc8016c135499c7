//! One module per page of the site.

#[cfg(feature = "bench-page")]
pub mod bench;
#[cfg(not(feature = "bench-page"))]
pub mod bench_note;
pub mod home;
pub mod lab;
pub mod lesson;
pub mod lesson_index;
pub mod not_found;
pub mod sql_lab;

use yew::prelude::*;
use yew_router::prelude::*;

/// The share-link text in the current URL (`#/…?j=…`), if any.
#[hook]
pub fn use_share_param() -> Option<String> {
    let location = use_location();
    location.and_then(|l| crate::share::journal_from_query(l.query_str()))
}
