//! The classic queue beside the log: ready messages, consumers with their unacknowledged
//! messages, and the count of messages deleted by acknowledgement.

use crate::store::LabAction;
use crate::widgets::markup::column_heads;
use lab::queue::{QueueCommand, QueueConsumerId};
use lab::state::Command;
use yew::prelude::*;

#[component]
pub fn QueueView() -> Html {
    let session = super::use_lab();
    let Some(queue) = session.view.queue() else {
        return html! { <p class="muted">{ "This lab has no queue." }</p> };
    };
    let send = |command: QueueCommand| {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| {
            session.dispatch(LabAction::Command(Command::Queue(command.clone())))
        })
    };
    html! {
        <div class="queue-view">
            <p class="small">{ format!("{} ready · {} deleted after acknowledgement · {} redelivered", queue.ready.len(), queue.deleted, queue.redeliveries) }</p>
            <div class="log-cells" aria-label="Ready messages, next first">
                { for queue.ready.iter().take(60).map(|m| html! {
                    <span class={classes!("log-cell", "queue-cell", m.redelivered.then_some("tombstone"))} title={format!("message {}{}", m.id, if m.redelivered { " (redelivered)" } else { "" })}></span>
                }) }
                if queue.ready.is_empty() { <span class="muted small">{ "empty: nothing left to read, by anyone" }</span> }
            </div>
            <table class="members">
                <thead><tr>{ column_heads(&[("", "consumer"), ("", "unacked"), ("", "acked"), ("", "actions")]) }</tr></thead>
                <tbody>
                    { for queue.consumers.values().map(|c| html! {
                        <tr class={classes!((!c.alive).then_some("member-down"))}>
                            <td>{ c.id.to_string() }</td>
                            <td>{ if c.alive { c.unacked.len().to_string() } else { "crashed".into() } }</td>
                            <td>{ c.acked }</td>
                            <td>if c.alive { <button class="small-button crash-button queue-crash" onclick={send(QueueCommand::CrashConsumer { consumer: QueueConsumerId(c.id.0) })}>{ "Crash" }</button> }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <p>
                <button class="primary queue-publish" onclick={send(QueueCommand::Publish { count: 10 })}>{ "Publish 10 messages" }</button>{ " " }
                <button class="queue-add" onclick={send(QueueCommand::AddConsumer { prefetch: 5, processing_ticks: 2 })}>{ "Add a queue consumer" }</button>
            </p>
        </div>
    }
}
