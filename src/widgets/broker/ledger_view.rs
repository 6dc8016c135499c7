//! The acknowledged-writes ledger: how many records producers were told are safe, how many the
//! partitions' current leaders still hold, and every acknowledged record that was lost, with when,
//! where, in which leader epoch, with which acks, and why. A lost record's row jumps the time
//! cursor to just before the loss, where a learner can fork history.

use super::with_cluster;
use crate::store::LabAction;
use crate::widgets::markup::header_row;
use lab::broker::ledger::LostWrite;
use lab::broker::log::Offset;
use lab::broker::producer::Acks;
use lab::clock::Tick;
use lab::compare::ledger_counts;
use yew::prelude::*;

/// Rows of lost records listed (the most recent; a row is a run of consecutive offsets lost
/// together).
pub const LOST_ROWS_MAX: usize = 30;

/// A run of consecutive offsets of one partition, lost at the same tick for the same cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostRun<'a> {
    pub first: &'a LostWrite,
    pub last_offset: Offset,
    pub count: usize,
}

/// Groups the ledger's lost writes into runs, in the ledger's order.
pub fn lost_runs(lost: &[LostWrite]) -> Vec<LostRun<'_>> {
    let mut runs: Vec<LostRun<'_>> = Vec::new();
    for l in lost {
        if let Some(run) = runs.last_mut() {
            let f = run.first;
            if f.at == l.at
                && f.tp == l.tp
                && f.epoch == l.epoch
                && f.acks == l.acks
                && f.cause == l.cause
                && l.offset.0 == run.last_offset.0 + 1
            {
                run.last_offset = l.offset;
                run.count += 1;
                continue;
            }
        }
        runs.push(LostRun {
            first: l,
            last_offset: l.offset,
            count: 1,
        });
    }
    runs
}

/// While playing, the counts (one presence check per acknowledged record) are refreshed every
/// this many changes.
pub const REFRESH_EVERY_WHILE_PLAYING: u64 = 10;

#[component]
pub fn LedgerView() -> Html {
    let session = crate::widgets::use_lab();
    let counts = use_memo(session.refresh_key(REFRESH_EVERY_WHILE_PLAYING), {
        let view = session.view.clone();
        move |_| view.cluster().map(ledger_counts).unwrap_or_default()
    });
    with_cluster(&session, |cluster| {
        let c = *counts;
        let lost = &cluster.ledger().lost();
        let by_acks = |acks: Acks| lost.iter().filter(|l| l.acks == acks).count();
        let runs = lost_runs(lost);
        let jump = |at: Tick| {
            let session = session.clone();
            Callback::from(move |_: MouseEvent| session.dispatch(LabAction::Seek(at)))
        };
        html! {
            <div class="ledger-view">
                <dl class="facts ledger-counts">
                    <div><dt>{ "acknowledged" }</dt><dd class="ledger-acked">{ c.acknowledged }</dd></div>
                    <div><dt>{ "still on the leader" }</dt><dd class="ledger-present">{ c.present }</dd></div>
                    <div><dt>{ "unknown (offline)" }</dt><dd class="ledger-unknown">{ c.unknown }</dd></div>
                    <div class={(c.lost > 0).then_some("is-bad")}><dt>{ "lost" }</dt><dd class="ledger-lost">{ c.lost }</dd></div>
                </dl>
                <p class="small">
                    { format!("Lost by acks: acks=all {} · acks=1 {} · acks=0 {}.", by_acks(Acks::All), by_acks(Acks::One), by_acks(Acks::Zero)) }
                    if c.missing > 0 { { format!(" {} more are missing from the leader and not yet counted as lost.", c.missing) } }
                </p>
                <p class="muted small">{ "A record is present when the current leader holds its offset in the same leader epoch. acks=all writes are only lost after an unclean election or when the acknowledging leader was already deposed." }</p>
                if lost.is_empty() {
                    <p class="muted small ledger-none">{ "No acknowledged record has been lost." }</p>
                } else {
                    <table class="lost-table">
                        <caption class="visually-hidden">{ "Lost acknowledged records, newest first" }</caption>
                        { header_row(&[("found", "", None), ("records", "", None), ("epoch", "num", None), ("acks", "", None), ("cause", "", None)]) }
                        <tbody>
                            { for runs.iter().rev().take(LOST_ROWS_MAX).map(|run| {
                                let l = run.first;
                                let before = Tick(l.at.0.saturating_sub(1));
                                let records = if run.count == 1 {
                                    format!("{}@{}", l.tp, l.offset)
                                } else {
                                    format!("{}@{}–{} ({})", l.tp, l.offset, run.last_offset, run.count)
                                };
                                html! {
                                    <tr class="lost-row">
                                        <td><button type="button" class="ghost small-button jump-before" onclick={jump(before)}
                                            title={format!("Jump to tick {}, just before this loss was found", before.0)}
                                            aria-label={format!("Jump to tick {}, just before {records} was lost", before.0)}>{ format!("t{}", l.at.0) }</button></td>
                                        <td class="lost-records">{ records }</td>
                                        <td class="num">{ l.epoch }</td>
                                        <td>{ l.acks.name() }</td>
                                        <td class="cause">{ &l.cause }</td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                    if runs.len() > LOST_ROWS_MAX {
                        <p class="muted small">{ format!("and {} older rows.", runs.len() - LOST_ROWS_MAX) }</p>
                    }
                }
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::broker::group::TopicPartition;
    use lab::broker::PartitionId;

    fn lost(offset: u64, at: u64) -> LostWrite {
        LostWrite {
            send: 0,
            tp: TopicPartition {
                topic: "orders".into(),
                partition: PartitionId(0),
            },
            offset: Offset(offset),
            epoch: 5,
            acks: Acks::All,
            at: Tick(at),
            cause: "unclean".into(),
        }
    }

    #[test]
    fn consecutive_losses_become_one_row() {
        let writes = [
            lost(100, 7),
            lost(101, 7),
            lost(102, 7),
            lost(104, 7),
            lost(105, 9),
        ];
        let runs = lost_runs(&writes);
        let shape: Vec<(u64, u64, usize)> = runs
            .iter()
            .map(|r| (r.first.offset.0, r.last_offset.0, r.count))
            .collect();
        assert_eq!(shape, vec![(100, 102, 3), (104, 104, 1), (105, 105, 1)]);
    }
}
