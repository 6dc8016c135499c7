//! The pipeline as a graph of cards, in the order data flows: each card is a node of
//! `PipelineLab::graph` (its title, its live numbers, its health as a word and a colour, the
//! reason when it is not ok) followed by the edges leaving it (where they go, their live rate,
//! their health). A card is a button: a click or Enter opens that engine's panel.
//!
//! Cost: the graph reads the world's graph view (kept current by its tick) and hands each card
//! its own values; a card whose values did not change is not rendered again.

use super::{health_badge, no_pipeline};
use lab::pipeline_lab::graph::{Graph, Health, NodeId};
use yew::prelude::*;

/// One edge leaving a card, as the card prints it.
#[derive(Clone, PartialEq)]
struct EdgeView {
    to: &'static str,
    label: String,
    health: Health,
}

/// One card's values: compared to the last render's, so an unchanged card costs nothing.
#[derive(Clone, PartialEq)]
struct CardView {
    id: NodeId,
    title: &'static str,
    lines: Vec<String>,
    health: Health,
    reason: String,
    edges: Vec<EdgeView>,
}

fn card_views(graph: &Graph) -> Vec<CardView> {
    let title_of = |id: NodeId| {
        graph
            .nodes
            .iter()
            .find(|n| n.id == id)
            .map_or("?", |n| n.title)
    };
    graph
        .nodes
        .iter()
        .map(|node| CardView {
            id: node.id,
            title: node.title,
            lines: node.lines.clone(),
            health: node.health,
            reason: node.reason.clone(),
            edges: graph
                .edges
                .iter()
                .filter(|e| e.from == node.id)
                .map(|e| EdgeView {
                    to: title_of(e.to),
                    label: e.label.clone(),
                    health: e.health,
                })
                .collect(),
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct GraphCardsProps {
    /// The node whose panel is open.
    pub open: Option<NodeId>,
    pub on_open: Callback<NodeId>,
}

#[component]
pub fn GraphCards(props: &GraphCardsProps) -> Html {
    let session = crate::widgets::use_lab();
    let Some(pipeline) = session.view.pipeline() else {
        return no_pipeline();
    };
    let cards = card_views(pipeline.graph());
    let failed = cards.iter().filter(|c| c.health == Health::Failed).count();
    let warned = cards.iter().filter(|c| c.health == Health::Warn).count();
    html! {
        <div class="pipe-graph-wrap" data-tick={session.view.now().0.to_string()}
            data-failed={failed.to_string()} data-warn={warned.to_string()}>
            <ol class="pipe-graph" aria-label="The pipeline, in the order data flows">
                { for cards.into_iter().map(|card| {
                    let (open, key) = (props.open == Some(card.id), card.id.name());
                    html! { <Card key={key} card={card} open={open} on_open={props.on_open.clone()} /> }
                }) }
            </ol>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct CardProps {
    card: CardView,
    open: bool,
    on_open: Callback<NodeId>,
}

#[component]
fn Card(props: &CardProps) -> Html {
    let card = &props.card;
    let name = card.id.name();
    let onclick = {
        let (on_open, id) = (props.on_open.clone(), card.id);
        Callback::from(move |_: MouseEvent| on_open.emit(id))
    };
    html! {
        <li class={classes!("pipe-node", format!("pipe-node-{name}"), format!("pipe-{}", card.health.name()), props.open.then_some("pipe-open"))}
            data-node={name} data-health={card.health.name()}>
            <button type="button" class="pipe-node-button" aria-expanded={props.open.to_string()}
                aria-controls="pipe-panel" {onclick}>
                <span class="pipe-node-head">
                    <span class="pipe-node-title">{ card.title }</span>
                    { health_badge(card.health) }
                </span>
                { for card.lines.iter().map(|line| html! { <span class="pipe-line">{ line.clone() }</span> }) }
                if card.health != Health::Ok && !card.reason.is_empty() {
                    <span class="pipe-reason">{ card.reason.clone() }</span>
                }
            </button>
            if !card.edges.is_empty() {
                <ul class="pipe-edges" aria-label={format!("From {}", card.title)}>
                    { for card.edges.iter().map(|edge| html! {
                        <li class={classes!("pipe-edge", format!("pipe-{}", edge.health.name()))} data-health={edge.health.name()}>
                            <span aria-hidden="true">{ "→ " }</span>
                            <span class="pipe-edge-to">{ edge.to }</span>
                            if !edge.label.is_empty() { { format!(": {}", edge.label) } }
                            if edge.health != Health::Ok {
                                <span class="pipe-edge-health">{ format!(" ({})", edge.health.name()) }</span>
                            }
                        </li>
                    }) }
                </ul>
            }
        </li>
    }
}
