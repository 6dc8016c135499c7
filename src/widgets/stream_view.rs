//! The sources and their recent events as lanes over the last ticks: one row per source, one
//! cell per tick, filled where the source emitted (outlined where it was by hand).

use crate::widgets::markup::column_heads;
use lab::state::Event;
use std::collections::BTreeMap;
use yew::prelude::*;

/// Ticks shown in the lanes.
pub const LANE_TICKS: u64 = 40;

#[component]
pub fn StreamView() -> Html {
    let session = super::use_lab();
    let lab = &session.view;
    let now = lab.now().0;
    let first = now.saturating_sub(LANE_TICKS - 1);
    // (source, tick) -> (events, any by hand)
    let mut cells: BTreeMap<(u8, u64), (u32, bool)> = BTreeMap::new();
    for traced in lab.trace() {
        if let Event::Emitted(e) = &traced.event {
            if traced.at.0 >= first {
                let cell = cells.entry((e.source.0, traced.at.0)).or_default();
                cell.0 += 1;
                cell.1 |= e.by_hand;
            }
        }
    }
    html! {
        <div class="stream-view">
            <table class="lanes" aria-label={format!("Events per source over ticks {first} to {now}")}>
                <thead>
                    <tr>
                        { column_heads(&[("", "source"), ("num", "chance"), ("num", "events"), ("lane-head", &format!("ticks {first}–{now}"))]) }
                    </tr>
                </thead>
                <tbody>
                    { for lab.stream().sources().iter().map(|source| html! {
                        <tr>
                            <th scope="row"><span class={classes!("swatch", super::source_class(source.id))}></span>{ &source.name }</th>
                            <td class="num">{ format!("{:.1}%", f64::from(source.chance_per_tick_permille) / 10.0) }</td>
                            <td class="num">{ source.emitted_total }</td>
                            <td class="lane">
                                { for (first..=now).map(|tick| {
                                    let cell = cells.get(&(source.id.0, tick)).copied();
                                    let title = match cell {
                                        Some((n, _)) => format!("tick {tick}: {n} event(s) from {}", source.name),
                                        None => format!("tick {tick}: nothing from {}", source.name),
                                    };
                                    html! {
                                        <span class={classes!("cell",
                                            cell.map(|_| super::source_class(source.id)),
                                            cell.filter(|c| c.1).map(|_| "by-hand"),
                                            (tick == now).then_some("now"))} title={title}>
                                            { cell.filter(|c| c.0 > 1).map(|c| c.0.to_string()).unwrap_or_default() }
                                        </span>
                                    }
                                }) }
                            </td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <p class="muted small">{ format!("{} events in total. Filled cells: emitted by chance; outlined: emitted by hand.", lab.stream().events_total()) }</p>
        </div>
    }
}
