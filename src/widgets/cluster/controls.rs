//! The cluster lab's controls: the cluster's shape (executors and cores each, as
//! `spark.executor.instances` and `spark.executor.cores`), the SQL planner's settings (partitions
//! for scans and `spark.sql.shuffle.partitions`, `spark.sql.autoBroadcastJoinThreshold`,
//! `spark.sql.adaptive.enabled`, `spark.speculation`), `CACHE TABLE`, a query box with the
//! tables and their sizes and example queries, and the faults a cluster suffers: a lost executor,
//! a replacement, a straggler.
//!
//! Typed values are parsed here (a bad one is refused beside its group with a hint); every
//! command then goes through the lab's own check, so the lab's refusals show the same way.

use super::format::{bytes_text, parse_bytes};
use super::{no_cluster_lab, refusal_view, send_on_click, try_send, Refusal};
use crate::store::LabHandle;
use crate::widgets::experiments::setup::parse_whole;
use crate::widgets::form::{bind, bind_select, bind_text};
use crate::widgets::hooks::{use_refusal, use_text, use_text_with};
use lab::cluster::sched::ExecutorId;
use lab::cluster_lab::{ClusterCommand, ClusterLab, JobKind};
use yew::prelude::*;

/// Example queries, each a shape Spark plans differently: (button, what it shows, query). With
/// the lab's tables (`sql::datasets::web_logs`): `pages` is about 11 KiB, so at the default
/// 10 KiB threshold its join is a sort-merge join whose `'/home'` partition (40% of the views)
/// AQE splits, and from 16 KiB up a broadcast; `visitors` (about 170 KiB) always sort-merges.
pub const EXAMPLE_QUERIES: &[(&str, &str, &str)] = &[
    (
        "GROUP BY",
        "partial aggregates, a hash exchange on the key, final aggregates",
        "SELECT country, COUNT(*) AS views, AVG(ms) AS avg_ms FROM page_views GROUP BY country",
    ),
    (
        "Join pages (skewed)",
        "a sort-merge join on page, where '/home' holds 40% of the views; raise the broadcast threshold to 16KiB to broadcast pages instead",
        "SELECT p.section, COUNT(*) AS views FROM page_views v JOIN pages p ON v.page = p.page GROUP BY p.section",
    ),
    (
        "ORDER BY … LIMIT",
        "a top 10 per partition, then one partition for the global limit",
        "SELECT page, user_id, ms FROM page_views ORDER BY ms DESC LIMIT 10",
    ),
    (
        "Join visitors",
        "two big sides: both shuffled on user_id, a sort-merge join",
        "SELECT u.plan, COUNT(*) AS views, SUM(v.ms) AS total_ms FROM page_views v JOIN visitors u ON v.user_id = u.user_id GROUP BY u.plan",
    ),
];

/// The speeds a straggler can be set to, in percent of normal.
const SLOW_SPEEDS_PERCENT: &[u16] = &[50, 25, 10, 100];

/// Sends the command a closure builds from the fields (a parse error is refused like the lab's).
/// The closure is boxed so that one copy of this button serves every field.
fn parsed_button(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    (class, text): (&'static str, String),
    build: Box<dyn Fn() -> Result<ClusterCommand, (String, String)>>,
) -> Html {
    let (session, refusal) = (session.clone(), refusal.clone());
    let onclick = Callback::from(move |_: MouseEvent| {
        refusal.set(build().and_then(|c| try_send(&session, c)).err())
    });
    html! { <button type="button" class={class} {onclick}>{ text }</button> }
}

/// A labelled field with its Set button.
fn field(
    label: &'static str,
    class: &'static str,
    value: &UseStateHandle<String>,
    button: Html,
) -> Html {
    html! {
        <label class={classes!("dx-field", class)}>
            <span class="dx-field-label small">{ label }</span>
            <span class="dx-field-row">
                <input class={classes!("dx-input", format!("{class}-input"))} value={(**value).clone()} oninput={bind(value)} />
                { button }
            </span>
        </label>
    }
}

/// A setting with two values, as two pressed/unpressed buttons.
fn toggle(
    session: &LabHandle,
    refusal: &UseStateHandle<Refusal>,
    (label, class): (&'static str, &'static str),
    on: bool,
    command: fn(bool) -> ClusterCommand,
) -> Html {
    html! {
        <div class={classes!("ex-choice", "dx-toggle", class)} role="group" aria-label={label}>
            <span class="ex-choice-label small">{ label }</span>
            { for [("On", true), ("Off", false)].into_iter().map(|(text, value)| html! {
                <button type="button" class={classes!("ex-option", (on == value).then_some("ex-on"))}
                    aria-pressed={(on == value).to_string()} data-option={text}
                    onclick={send_on_click(session, refusal, command(value))}>{ text }</button>
            }) }
        </div>
    }
}

/// The threshold as its field shows it: "10.0KiB", or "off".
fn threshold_text(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "off".into(), |b| bytes_text(b).replace(' ', ""))
}

/// The query box's starting text: the latest query run, else the first example.
fn last_query(lab: Option<&ClusterLab>) -> String {
    lab.and_then(|lab| {
        lab.jobs().iter().rev().find_map(|job| match &job.kind {
            JobKind::Sql { query, .. } => Some(query.clone()),
            JobKind::MapReduce { .. } => None,
        })
    })
    .unwrap_or_else(|| EXAMPLE_QUERIES[0].1.to_string())
}

#[component]
pub fn ClusterControls() -> Html {
    let session = crate::widgets::use_lab();
    let shape_refusal = use_refusal();
    let sql_refusal = use_refusal();
    let fault_refusal = use_refusal();
    let now = |read: fn(&ClusterLab) -> String| -> String {
        session.view.cluster_lab().map_or_else(String::new, read)
    };
    let executors = use_text_with(&|| now(|l| l.settings().executors.to_string()));
    let cores = use_text_with(&|| now(|l| l.settings().cores_per_executor.to_string()));
    let partitions = use_text_with(&|| now(|l| l.settings().sql.shuffle_partitions.to_string()));
    let threshold =
        use_text_with(&|| now(|l| threshold_text(l.settings().sql.broadcast_threshold_bytes)));
    let cache_table = use_text("page_views");
    let query = use_text_with(&|| last_query(session.view.cluster_lab()));
    let fault_executor = use_text("0");
    let slow_speed = use_text("25");
    // The fields follow the lab when its settings change another way (a lesson's steps, a
    // scrub, a share link), so they never show a value the cluster does not run with.
    {
        let fields = (
            executors.clone(),
            cores.clone(),
            partitions.clone(),
            threshold.clone(),
        );
        let shown = session.view.cluster_lab().map(|l| {
            let s = l.settings();
            (
                s.executors,
                s.cores_per_executor,
                s.sql.shuffle_partitions,
                s.sql.broadcast_threshold_bytes,
            )
        });
        use_effect_with(shown, move |shown| {
            if let Some((e, c, p, t)) = *shown {
                fields.0.set(e.to_string());
                fields.1.set(c.to_string());
                fields.2.set(p.to_string());
                fields.3.set(threshold_text(t));
            }
        });
    }
    let Some(lab) = session.view.cluster_lab() else {
        return no_cluster_lab();
    };
    let settings = lab.settings();
    let tables = lab.tables();

    let set_executors = {
        let executors = executors.clone();
        parsed_button(
            &session,
            &shape_refusal,
            ("dx-executors-set", "Set".into()),
            Box::new(move || {
                Ok(ClusterCommand::Executors(
                    parse_whole(&executors, "executor count", (1, 16))? as u16,
                ))
            }),
        )
    };
    let set_cores = {
        let cores = cores.clone();
        parsed_button(
            &session,
            &shape_refusal,
            ("dx-cores-set", "Set".into()),
            Box::new(move || {
                Ok(ClusterCommand::Cores(
                    parse_whole(&cores, "cores per executor", (1, 8))? as u16,
                ))
            }),
        )
    };
    let set_partitions = {
        let partitions = partitions.clone();
        parsed_button(
            &session,
            &shape_refusal,
            ("dx-partitions-set", "Set".into()),
            Box::new(move || {
                Ok(ClusterCommand::Partitions(
                    parse_whole(&partitions, "partition count", (1, 64))? as u16,
                ))
            }),
        )
    };
    let set_threshold = {
        let threshold = threshold.clone();
        parsed_button(
            &session,
            &shape_refusal,
            ("dx-threshold-set", "Set".into()),
            Box::new(move || Ok(ClusterCommand::BroadcastThreshold(parse_bytes(&threshold)?))),
        )
    };
    let cached = &settings.sql.cached;
    let cache_buttons = {
        let table = (*cache_table).clone();
        let is_cached = cached.contains(&table);
        html! {
            <div class="dx-cache inline-form">
                <label class="dx-inline-label">
                    <span class="small">{ "Table" }</span>
                    <select class="dx-cache-table" onchange={bind_select(&cache_table)} aria-label="Table to cache">
                        { for tables.iter().map(|(name, _)| html! {
                            <option value={name.clone()} selected={*name == table}>{ name.clone() }</option>
                        }) }
                    </select>
                </label>
                <button type="button" class="dx-cache-button" disabled={is_cached}
                    onclick={send_on_click(&session, &shape_refusal, ClusterCommand::Cache(table.clone()))}>{ "CACHE TABLE" }</button>
                <button type="button" class="dx-uncache-button" disabled={!is_cached}
                    onclick={send_on_click(&session, &shape_refusal, ClusterCommand::Uncache(table.clone()))}>{ "UNCACHE TABLE" }</button>
                <span class="small muted dx-cached-list">
                    { if cached.is_empty() { "nothing cached".to_string() } else { format!("cached: {}", cached.join(", ")) } }
                </span>
            </div>
        }
    };
    let run_query = {
        let query = query.clone();
        parsed_button(
            &session,
            &sql_refusal,
            ("primary dx-sql-run", "Run on the cluster".into()),
            Box::new(move || Ok(ClusterCommand::Sql(query.trim().to_string()))),
        )
    };
    let examples = EXAMPLE_QUERIES.iter().map(|(name, shows, sql)| {
        let query = query.clone();
        let onclick = Callback::from(move |_: MouseEvent| query.set(sql.to_string()));
        html! { <button type="button" class="dx-example small" data-example={*name} title={format!("{shows}:\n{sql}")} {onclick}>{ *name }</button> }
    });
    let executors_now = lab.cluster().executors();
    let chosen: u16 = fault_executor.parse().unwrap_or(0);
    let kill = send_on_click(
        &session,
        &fault_refusal,
        ClusterCommand::Kill(ExecutorId(chosen)),
    );
    let slow = {
        let (speed, chosen) = (slow_speed.clone(), chosen);
        parsed_button(
            &session,
            &fault_refusal,
            ("dx-slow", format!("Make executor {chosen} slow")),
            Box::new(move || {
                Ok(ClusterCommand::Slow {
                    executor: ExecutorId(chosen),
                    speed_percent: parse_whole(&speed, "speed (%)", (1, 100))? as u16,
                })
            }),
        )
    };
    html! {
        <div class="cluster-controls">
            <section class="dx-group" aria-labelledby="dx-shape-title">
                <h3 id="dx-shape-title">{ "Cluster and planner" }</h3>
                <div class="dx-fields">
                    { field("Executors", "dx-executors", &executors, set_executors) }
                    { field("Cores each", "dx-cores", &cores, set_cores) }
                    { field("Partitions", "dx-partitions", &partitions, set_partitions) }
                    { field("Broadcast threshold", "dx-threshold", &threshold, set_threshold) }
                </div>
                <div class="dx-toggles">
                    { toggle(&session, &shape_refusal, ("AQE", "dx-aqe"), settings.sql.aqe, ClusterCommand::Aqe) }
                    { toggle(&session, &shape_refusal, ("Speculation", "dx-speculation"), settings.speculation, ClusterCommand::Speculation) }
                </div>
                { cache_buttons }
                <p class="small muted dx-settings-now">
                    { format!(
                        "Now: {} executors × {} cores, {} partitions, broadcast {}, AQE {}, speculation {}.",
                        settings.executors,
                        settings.cores_per_executor,
                        settings.sql.shuffle_partitions,
                        settings.sql.broadcast_threshold_bytes.map_or_else(|| "off (-1)".into(), |b| format!("up to {}", bytes_text(b))),
                        if settings.sql.aqe { "on" } else { "off" },
                        if settings.speculation { "on" } else { "off" },
                    ) }
                </p>
                { refusal_view(&shape_refusal) }
            </section>
            <section class="dx-group dx-sql" aria-labelledby="dx-sql-title">
                <h3 id="dx-sql-title">{ "Run a query" }</h3>
                <p class="small muted dx-tables">
                    { "Tables: " }
                    { for tables.iter().enumerate().map(|(i, (name, rows))| html! {
                        <>
                            if i > 0 { { ", " } }
                            <code>{ name.clone() }</code>{ format!(" ({} rows)", lab::sim::text::group_thousands(*rows as u64)) }
                        </>
                    }) }
                </p>
                <div class="dx-examples" role="group" aria-label="Example queries">
                    <span class="small muted">{ "Examples:" }</span>
                    { for examples }
                </div>
                <label class="dx-sql-label">
                    <span class="visually-hidden">{ "SQL query" }</span>
                    <textarea id="dx-sql-input" class="dx-sql-text" rows="3" spellcheck="false"
                        value={(*query).clone()} oninput={bind_text(&query)} />
                </label>
                <div class="inline-form">{ run_query }</div>
                { refusal_view(&sql_refusal) }
            </section>
            <section class="dx-group dx-faults" aria-labelledby="dx-faults-title">
                <h3 id="dx-faults-title">{ "Faults" }</h3>
                <div class="inline-form">
                    <label class="dx-inline-label">
                        <span class="small">{ "Executor" }</span>
                        <select class="dx-fault-executor" onchange={bind_select(&fault_executor)} aria-label="Executor for the fault">
                            { for executors_now.iter().filter(|e| e.alive).map(|e| html! {
                                <option value={e.id.0.to_string()} selected={e.id.0 == chosen}>{ e.id.0.to_string() }</option>
                            }) }
                        </select>
                    </label>
                    <button type="button" class="danger dx-kill" onclick={kill}>{ format!("Kill executor {chosen}") }</button>
                </div>
                <div class="inline-form">
                    <label class="dx-inline-label">
                        <span class="small">{ "Speed" }</span>
                        <select class="dx-slow-speed" onchange={bind_select(&slow_speed)} aria-label="Speed of the slow executor">
                            { for SLOW_SPEEDS_PERCENT.iter().map(|s| html! {
                                <option value={s.to_string()} selected={s.to_string() == *slow_speed}>
                                    { if *s == 100 { "100% (normal)".to_string() } else { format!("{s}%") } }
                                </option>
                            }) }
                        </select>
                    </label>
                    { slow }
                    <button type="button" class="dx-add-executor"
                        onclick={send_on_click(&session, &fault_refusal, ClusterCommand::AddExecutor)}>{ "Add executor" }</button>
                </div>
                { refusal_view(&fault_refusal) }
            </section>
        </div>
    }
}
