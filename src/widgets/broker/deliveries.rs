//! What the history shows about delivery guarantees (Jepsen's Kafka workload checks): records written twice,
//! reordered sends, records delivered more than once, records committed past without processing.

use super::with_cluster;
use yew::prelude::*;

/// Examples listed per anomaly.
pub const EXAMPLES_MAX: usize = 5;

/// While playing, the report (a pass over the whole history) is refreshed every this many changes.
pub const REFRESH_EVERY_WHILE_PLAYING: u64 = 10;

#[component]
pub fn Deliveries() -> Html {
    let session = crate::widgets::use_lab();
    let report = use_memo(session.refresh_key(REFRESH_EVERY_WHILE_PLAYING), {
        let view = session.view.clone();
        move |_| {
            view.cluster()
                .map(|c| c.history_report())
                .unwrap_or_default()
        }
    });
    with_cluster(&session, |cluster| {
        let report = &*report;
        let acked: u64 = cluster
            .producers()
            .values()
            .map(|p| p.acked_records())
            .sum();
        let delivered: u64 = cluster
            .consumers()
            .values()
            .map(|c| c.deliveries_total())
            .sum();
        let row = |label: &str, count: usize, meaning: &str, examples: Vec<String>| {
            html! {
                <tr class={(count > 0).then_some("anomaly")}>
                    <th scope="row">{ label.to_string() }</th>
                    <td class="num">{ count }</td>
                    <td>{ meaning.to_string() }{ if examples.is_empty() { String::new() } else { format!(" e.g. {}", examples.join(", ")) } }</td>
                </tr>
            }
        };
        let take = |items: Vec<String>| items.into_iter().take(EXAMPLES_MAX).collect::<Vec<_>>();
        html! {
            <div class="deliveries">
                <p class="small">{ format!("{acked} records acknowledged to producers; {delivered} deliveries to consumers.") }</p>
                <table class="delivery-table">
                    <tbody>
                        { row("written twice", report.duplicates.len(), "a retried batch was appended again (no idempotence).",
                            take(report.duplicates.iter().map(|id| cluster.sends()[*id as usize].offsets().map(|o| format!("{}@{o}", cluster.sends()[*id as usize].tp)).collect::<Vec<_>>().join("=")).collect())) }
                        { row("reordered", report.nonmonotonic_sends.len(), "a producer's later record landed before an earlier one.",
                            take(report.nonmonotonic_sends.iter().map(|(p, tp)| format!("{p} on {tp}")).collect())) }
                        { row("delivered again", report.redeliveries.len(), "processed, not committed, then read again after a crash or rebalance: at-least-once.",
                            take(report.redeliveries.iter().map(|(g, tp, o)| format!("{g} {tp}@{o}")).collect())) }
                        { row("skipped", report.skipped.len(), "the group committed past it but nobody processed it: at-most-once (or a latest reset).",
                            take(report.skipped.iter().map(|(g, tp, o)| format!("{g} {tp}@{o}")).collect())) }
                        { row("poll skipped", report.poll_skips.len(), "a consumer jumped over records without a reset.",
                            take(report.poll_skips.iter().map(|(c, tp, a, b)| format!("{c} {tp} {a}→{b}")).collect())) }
                        { row("polled backwards", report.nonmonotonic_polls.len(), "a consumer went back without a seek or reset.",
                            take(report.nonmonotonic_polls.iter().map(|(c, tp)| format!("{c} {tp}")).collect())) }
                        { row("lost silently", report.lost_unconfirmed, "sent with acks=0, lost on the network, and nobody was told.", Vec::new()) }
                        { row("lost", report.lost_writes.len(), "acknowledged, never read, though later records were (for example deleted by retention first).",
                            take(report.lost_writes.iter().map(|(tp, o)| format!("{tp}@{o}")).collect())) }
                    </tbody>
                </table>
            </div>
        }
    })
}
