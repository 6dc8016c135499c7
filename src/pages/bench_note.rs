//! `#/bench` in the release bundle: the benchmark harness is built only into the site that
//! `scripts/bench.sh` and the test command build (the `bench-page` feature), so learners do not
//! download it; this page says where the benchmarks are.

use yew::prelude::*;

#[component]
pub fn BenchNote() -> Html {
    html! {
        <section class="page bench-page">
            <h1>{ "Benchmarks" }</h1>
            <p class="lead">{ "The benchmarks run natively and in the browser from a build made for them: scripts/bench.sh in the repository builds the site with its benchmark page (cargo feature bench-page) and prints every table next to its peers (DuckDB, DuckDB-WASM, sql.js, pandas, Polars). This site leaves the harness out to keep the download small." }</p>
            <p><a href="#/">{ "Back to the start page" }</a></p>
        </section>
    }
}
