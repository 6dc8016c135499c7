//! What the latest job computed. For a SQL job: its distributed plan as `EXPLAIN` prints it, the
//! first rows of its result, and a line saying whether the result equals the same query run on
//! one machine (the lab runs it there too): partitioning, shuffles, coalescing and skew splits
//! change how a query runs, never what it returns. Without ORDER BY a query promises no row
//! order, so rows in another order still agree. For a MapReduce job: Hadoop's job counters by
//! their names in the job history, and the output part files (`part-00000`, one per reducer).

use super::format::bytes_text;
use super::{latest_job, no_cluster_lab, no_job_yet};
use crate::widgets::markup::column_heads;
use crate::widgets::sql::mini_table;
use lab::cluster::mapreduce::StreamingRun;
use lab::cluster_lab::{ClusterLab, JobKind};
use lab::sql::Table;
use yew::prelude::*;

/// Result rows shown at most.
const ROWS_SHOWN: usize = 20;
/// Result columns shown at most.
const COLUMNS_SHOWN: usize = 8;
/// Lines shown per part file at most.
const PART_LINES_SHOWN: usize = 20;

/// How the distributed result compares with the single-machine one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Agreement {
    /// The same columns and the same rows in the same order.
    RowForRow,
    /// The same rows, in another order.
    SameRowsOtherOrder,
    /// Different columns or rows: (rows only in the distributed result, rows only in the
    /// single-machine one).
    Differs(usize, usize),
}

/// Each row of a table as text, values as the engine prints them.
fn row_texts(table: &Table) -> Vec<String> {
    (0..table.rows)
        .map(|r| {
            table
                .row(r)
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("\u{1f}")
        })
        .collect()
}

/// Compares two results as SQL does: rows as a multiset, and in order when they also agree on it.
pub fn compare(distributed: &Table, single: &Table) -> Agreement {
    let names = |t: &Table| t.fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    let (mut a, mut b) = (row_texts(distributed), row_texts(single));
    if names(distributed) != names(single) {
        return Agreement::Differs(a.len(), b.len());
    }
    if a == b {
        return Agreement::RowForRow;
    }
    lab::sim::sort::sort(&mut a);
    lab::sim::sort::sort(&mut b);
    if a == b {
        return Agreement::SameRowsOtherOrder;
    }
    // Count what each side has that the other lacks (a merge over the sorted rows).
    let (mut i, mut j, mut only_a, mut only_b) = (0, 0, 0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => (i, j) = (i + 1, j + 1),
            (Some(x), Some(y)) if x < y => (i, only_a) = (i + 1, only_a + 1),
            (Some(_), None) => (i, only_a) = (i + 1, only_a + 1),
            _ => (j, only_b) = (j + 1, only_b + 1),
        }
    }
    Agreement::Differs(only_a, only_b)
}

/// The line under the result.
fn agreement_view(agreement: &Result<Agreement, String>) -> Html {
    let (class, state, text) = match agreement {
        Ok(Agreement::RowForRow) => (
            "ok",
            "equal",
            "Equals the single-machine result, row for row.".to_string(),
        ),
        Ok(Agreement::SameRowsOtherOrder) => (
            "ok",
            "equal",
            "Equals the single-machine result: the same rows, in another order (without ORDER BY, SQL promises no order).".to_string(),
        ),
        Ok(Agreement::Differs(only_here, only_there)) => (
            "bad",
            "differs",
            format!("Differs from the single-machine result: {only_here} rows only here, {only_there} only there."),
        ),
        Err(message) => ("muted", "unknown", format!("The single-machine run failed: {message}")),
    };
    html! { <p class={classes!("dx-agreement", class)} data-agreement={state}>{ text }</p> }
}

/// Hadoop's job counters, by their names in the job history.
fn counters_view(run: &StreamingRun) -> Html {
    let c = &run.counters;
    let count = |n: u64| lab::sim::text::group_thousands(n);
    let rows = [
        ("Map input records", count(c.map_input_records)),
        ("Map output records", count(c.map_output_records)),
        ("Map output bytes", bytes_text(c.map_output_bytes)),
        ("Combine input records", count(c.combine_input_records)),
        ("Combine output records", count(c.combine_output_records)),
        ("Reduce input groups", count(c.reduce_input_groups)),
        ("Reduce shuffle bytes", bytes_text(c.reduce_shuffle_bytes)),
        ("Reduce input records", count(c.reduce_input_records)),
        ("Reduce output records", count(c.reduce_output_records)),
        ("Spilled Records", count(c.spilled_records)),
        (
            "HDFS: Number of bytes written",
            bytes_text(c.hdfs_bytes_written),
        ),
    ];
    html! {
        <div class="mini-table-wrap">
            <table class="mini-table dx-counters">
                <caption class="small muted">{ format!("{} map tasks, {} reduce tasks", run.maps.len(), run.reduces.len()) }</caption>
                <thead><tr>{ column_heads(&[("", "Counter"), ("num", "Value")]) }</tr></thead>
                <tbody>
                    { for rows.iter().map(|(name, value)| html! {
                        <tr data-counter={*name}><th scope="row">{ *name }</th><td class="num">{ value.clone() }</td></tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

/// The job's output part files, one per reducer.
fn part_files(run: &StreamingRun) -> Html {
    html! {
        <div class="dx-parts">
            { for run.reduces.iter().enumerate().map(|(i, reduce)| {
                let more = reduce.output.len().saturating_sub(PART_LINES_SHOWN);
                html! {
                    <details class="dx-part" open={i == 0} data-part={reduce.partition.to_string()}>
                        <summary>{ format!("part-{:05} ({} lines)", reduce.partition, reduce.output.len()) }</summary>
                        <pre class="dx-part-lines">{ reduce.output.iter().take(PART_LINES_SHOWN).map(|l| l.replace('\t', "  →  ")).collect::<Vec<_>>().join("\n") }</pre>
                        if more > 0 { <p class="small muted">{ format!("and {more} more lines") }</p> }
                    </details>
                }
            }) }
        </div>
    }
}

/// The single-machine comparison of a SQL job (by its place in the lab's list).
fn agreement_of(lab: Option<&ClusterLab>, job: usize) -> Option<Result<Agreement, String>> {
    let lab = lab?;
    let (query, run) = lab.jobs().get(job).and_then(|j| match &j.kind {
        JobKind::Sql { query, run } => Some((query, run)),
        JobKind::MapReduce { .. } => None,
    })?;
    Some(
        lab.single_machine(query)
            .map(|single| compare(&run.table, &single))
            .map_err(|(message, _)| message),
    )
}

#[component]
pub fn ClusterPlan() -> Html {
    let session = crate::widgets::use_lab();
    // Computed once per job: its place in the list and its query name it (a fork may put
    // another query at the same place).
    let latest = session.view.cluster_lab().and_then(|lab| {
        let place = lab.jobs().len().checked_sub(1)?;
        match &lab.jobs()[place].kind {
            JobKind::Sql { query, .. } => Some((place, query.clone())),
            JobKind::MapReduce { .. } => None,
        }
    });
    let agreement = {
        let view = session.view.clone();
        use_memo(latest, move |job| {
            job.as_ref()
                .and_then(|(place, _)| agreement_of(view.cluster_lab(), *place))
        })
    };
    let Some(lab) = session.view.cluster_lab() else {
        return no_cluster_lab();
    };
    let Some(job) = latest_job(lab) else {
        return no_job_yet("plan and result");
    };
    match &job.kind {
        JobKind::Sql { query, run } => html! {
            <div class="cluster-plan" data-job={job.id.0.to_string()} data-kind="sql">
                <p class="small muted dx-plan-query"><code>{ query.clone() }</code></p>
                <pre class="dx-explain">{ run.explain.clone() }</pre>
                <h4 class="dx-result-title">{ format!("Result: {} rows", lab::sim::text::group_thousands(run.table.rows as u64)) }</h4>
                { mini_table(&run.table, ROWS_SHOWN, COLUMNS_SHOWN, &|_| (None, None), None) }
                if run.table.rows > ROWS_SHOWN { <p class="small muted">{ format!("first {ROWS_SHOWN} rows shown") }</p> }
                if let Some(agreement) = agreement.as_ref() { { agreement_view(agreement) } }
            </div>
        },
        JobKind::MapReduce { spec, run } => html! {
            <div class="cluster-plan" data-job={job.id.0.to_string()} data-kind="mapreduce">
                <p class="small muted">{ format!("MapReduce job {} ({}): {} reducers{}", job.id.0, spec.example, spec.reducers, if spec.combiner { ", with a combiner" } else { "" }) }</p>
                { counters_view(run) }
                <h4 class="dx-result-title">{ "Output part files" }</h4>
                { part_files(run) }
            </div>
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::sql::{DataType, Field, Value};

    fn table(rows: &[(i64, &str)]) -> Table {
        let fields = vec![
            Field {
                name: "n".into(),
                data_type: DataType::BigInt,
            },
            Field {
                name: "page".into(),
                data_type: DataType::Text,
            },
        ];
        let rows: Vec<Vec<Value>> = rows
            .iter()
            .map(|(n, p)| vec![Value::BigInt(*n), Value::Text((*p).into())])
            .collect();
        Table::from_rows(fields, &rows)
    }

    #[test]
    fn results_agree_as_multisets_and_differences_are_counted() {
        let a = table(&[(1, "/home"), (2, "/about"), (2, "/about")]);
        assert_eq!(compare(&a, &a.clone()), Agreement::RowForRow);
        let reordered = table(&[(2, "/about"), (1, "/home"), (2, "/about")]);
        assert_eq!(compare(&a, &reordered), Agreement::SameRowsOtherOrder);
        // A duplicate lost in a shuffle is a difference, not the same set.
        let lost = table(&[(1, "/home"), (2, "/about")]);
        assert_eq!(compare(&a, &lost), Agreement::Differs(1, 0));
        let other = table(&[(1, "/home"), (3, "/x"), (4, "/y")]);
        assert_eq!(compare(&a, &other), Agreement::Differs(2, 2));
        let mut renamed = a.clone();
        renamed.fields[0].name = "m".into();
        assert_eq!(compare(&a, &renamed), Agreement::Differs(3, 3));
    }
}
