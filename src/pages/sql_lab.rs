//! The SQL lab (`#/labs/sql`): the editor and the result's views beside the schema browser and
//! the CSV import, over the sample tables.

use crate::widgets::sql::csv_io::CsvImport;
use crate::widgets::sql::editor::SqlEditor;
use crate::widgets::sql::results::SqlResults;
use crate::widgets::sql::schema::SchemaBrowser;
use crate::widgets::sql::SqlProvider;
use yew::prelude::*;

/// What the editor starts with: the classic pv/uv query over the push events.
pub const STARTER_SQL: &str =
    "-- pv and uv by event type in experiment A's buckets (Ctrl+Enter runs)\n\
SELECT event_type,\n       count(*) AS pv,\n       count(DISTINCT cuid) AS uv\n\
FROM push_events\nWHERE source LIKE 'exp_a%'\nGROUP BY event_type\nORDER BY pv DESC";

#[derive(Properties, PartialEq)]
pub struct SqlLabPageProps {
    pub title: AttrValue,
}

#[component]
pub fn SqlLabPage(props: &SqlLabPageProps) -> Html {
    html! {
        <section class="page lab-page sql-lab-page">
            <h1>{ &props.title }</h1>
            <p class="lead">
                { "Query sample tables with SQL, entirely in your browser. Watch the query run clause by clause in the trace, \
                   read its plan, chart the result, and bring your own data as CSV." }
            </p>
            <SqlProvider sql={STARTER_SQL}>
                <div class="sql-layout">
                    <div class="sql-main">
                        <figure class="widget widget-sql-editor" data-widget="sql-editor">
                            <figcaption>{ "Query" }</figcaption>
                            <SqlEditor />
                        </figure>
                        <figure class="widget widget-sql-results" data-widget="sql-results">
                            <figcaption>{ "Result" }</figcaption>
                            <SqlResults />
                        </figure>
                    </div>
                    <aside class="sql-side">
                        <figure class="widget widget-sql-schema" data-widget="sql-schema">
                            <figcaption>{ "Tables" }</figcaption>
                            <SchemaBrowser />
                        </figure>
                        <figure class="widget widget-sql-import" data-widget="sql-import">
                            <figcaption>{ "Import a CSV" }</figcaption>
                            <CsvImport />
                        </figure>
                    </aside>
                </div>
            </SqlProvider>
        </section>
    }
}
