//! The schema browser: every table (samples, the learner's scratch tables, live tables), its row
//! count and columns with their types; opening a table shows its first rows. Buttons put a query
//! over a table into the editor, reset the scratch tables, and switch the samples between the
//! small and the large size.

use super::store::{size_name, SqlAction};
use super::{format_count, mini_table, use_sql};
use lab::sql::datasets::Size;
use lab::sql::session::TableSource;
use std::collections::BTreeSet;
use yew::prelude::*;

/// Rows of a table's preview.
pub const PREVIEW_ROWS: usize = 5;

fn source_name(source: &TableSource) -> &'static str {
    match source {
        TableSource::Sample(_) => "sample",
        TableSource::Scratch(_) => "scratch",
        TableSource::Live(_) => "live",
    }
}

#[component]
pub fn SchemaBrowser() -> Html {
    let lab = use_sql();
    // Tables whose details are open (their previews are only built then).
    let open = use_state(BTreeSet::<String>::new);
    let tables: Vec<(String, TableSource)> = lab
        .session
        .tables()
        .iter()
        .map(|(n, t)| (n.clone(), t.clone()))
        .collect();
    let scratch = lab.scratch_count();
    let on_reset = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(SqlAction::ResetScratch))
    };
    let large = lab.size == Size::Large;
    let on_size = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| {
            lab.dispatch(SqlAction::LoadSamples(if large {
                Size::Small
            } else {
                Size::Large
            }))
        })
    };
    let groups = [
        ("Sample tables", "sample"),
        ("Your tables", "scratch"),
        ("Live tables", "live"),
    ];
    let list = groups.iter().map(|(title, kind)| {
        let members: Vec<&(String, TableSource)> = tables
            .iter()
            .filter(|(_, s)| source_name(s) == *kind)
            .collect();
        if members.is_empty() && *kind != "scratch" {
            return html! {};
        }
        html! {
            <section class="schema-group" data-kind={*kind}>
                <h3>{ *title }</h3>
                if members.is_empty() {
                    <p class="muted small">{ "None yet: CREATE TABLE, or import a CSV below." }</p>
                }
                <ul class="schema-tables">
                    { for members.into_iter().map(|(name, source)| {
                        let table = source.table();
                        let is_open = open.contains(name);
                        let on_toggle = {
                            let (open, name) = (open.clone(), name.clone());
                            Callback::from(move |e: Event| {
                                let details: web_sys::Element = e.target_unchecked_into();
                                let mut next = (*open).clone();
                                if details.has_attribute("open") { next.insert(name.clone()); } else { next.remove(&name); }
                                open.set(next);
                            })
                        };
                        let on_query = {
                            let (lab, name) = (lab.clone(), name.clone());
                            Callback::from(move |_: MouseEvent| lab.dispatch(SqlAction::SetDraft(format!("SELECT *\nFROM {name}\nLIMIT 100"))))
                        };
                        html! {
                            <li class="schema-table" data-table={name.clone()}>
                                <details open={is_open} ontoggle={on_toggle}>
                                    <summary>
                                        <span class="schema-name">{ name }</span>
                                        <span class="schema-rows muted">{ format!("{} rows", format_count(table.rows as u64)) }</span>
                                    </summary>
                                    <ul class="schema-columns">
                                        { for table.fields.iter().map(|f| html! {
                                            <li><span class="schema-column">{ &f.name }</span>{ " " }<span class="schema-type">{ f.data_type.name() }</span></li>
                                        }) }
                                    </ul>
                                    if is_open {
                                        <p class="small muted schema-preview-title">{ format!("First {} rows", table.rows.min(PREVIEW_ROWS)) }</p>
                                        { mini_table(table, PREVIEW_ROWS, 6, &|_| (None, None), None) }
                                    }
                                    <button class="small-button schema-query" onclick={on_query}>{ "Query this table" }</button>
                                </details>
                            </li>
                        }
                    }) }
                </ul>
            </section>
        }
    });
    html! {
        <div class="schema-browser">
            { for list }
            <p class="schema-actions">
                <button class="danger reset-scratch" onclick={on_reset} disabled={scratch == 0}>
                    { format!("Reset scratch tables ({scratch})") }
                </button>
                <button class="sample-size" onclick={on_size} aria-pressed={large.to_string()}
                    title={format!("now: {}", size_name(lab.size))}>
                    { if large {
                        format!("Use small samples ({} rows)", format_count(Size::Small.fact_rows() as u64))
                    } else {
                        format!("Load large samples ({} rows)", format_count(Size::Large.fact_rows() as u64))
                    } }
                </button>
            </p>
        </div>
    }
}
