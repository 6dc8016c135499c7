//! Browser tests (wasm-bindgen-test in headless Chromium): mount real components into the page,
//! click and type as a learner would, flush Yew's scheduler, and assert on the DOM.
//! Run with `cargo test --target wasm32-unknown-unknown -p flowlab --test browser`.
#![cfg(target_arch = "wasm32")]

use flowlab::progress::{ProgressHandle, ProgressState};
use flowlab::widgets::{self, lab_provider::LabProvider};
use lab_core::lab::{LabConfig, Scenario};
use lab_core::lesson::{parse_lesson, Block, WidgetKind};
use lab_core::rng::Seed;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Properties, PartialEq)]
struct HarnessProps {
    share: Option<String>,
    kinds: Vec<WidgetKind>,
    #[prop_or_default]
    goal_lesson: Option<String>,
}

/// A lab with the given widgets (and optionally the goals of a lesson) inside the app's contexts.
#[component]
fn Harness(props: &HarnessProps) -> Html {
    let progress: ProgressHandle = use_reducer(ProgressState::default);
    let lesson = props
        .goal_lesson
        .as_deref()
        .map(|text| parse_lesson(text).expect("test lesson parses"));
    html! {
        <ContextProvider<ProgressHandle> context={progress}>
            <LabProvider config={LabConfig { seed: Seed(3), scenario: Scenario::TwoSources }} share={props.share.clone()}>
                { for props.kinds.iter().map(|k| widgets::render(*k, None)) }
                { for lesson.iter().flat_map(|l| l.blocks.clone()).filter_map(|b| match b {
                    Block::Check(c) => Some(html! { <widgets::goal::Goal lesson="test" check={Rc::new(c)} /> }),
                    _ => None,
                }) }
            </LabProvider>
        </ContextProvider<ProgressHandle>>
    }
}

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

async fn mount(props: HarnessProps) -> Element {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<Harness>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    root
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
}

fn text(root: &Element, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

async fn click(root: &Element, selector: &str) {
    find(root, selector)
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    yew::scheduler::flush().await;
}

async fn type_into(root: &Element, selector: &str, value: &str) {
    let input: HtmlInputElement = find(root, selector).dyn_into().unwrap();
    input.set_value(value);
    input
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn step_back_and_scrub_redraw_every_widget() {
    let root = mount(HarnessProps {
        share: None,
        kinds: vec![
            WidgetKind::TimeControls,
            WidgetKind::Journal,
            WidgetKind::StateHash,
        ],
        goal_lesson: None,
    })
    .await;
    assert_eq!(text(&root, ".tc-status"), "tick 0 (live)");
    for _ in 0..3 {
        click(&root, ".tc-step").await;
    }
    assert_eq!(text(&root, ".tc-status"), "tick 3 (live)");
    assert!(text(&root, ".journal-view").contains("t3"));
    click(&root, ".tc-back").await;
    assert_eq!(
        text(&root, ".tc-status"),
        "tick 2 of 3 (replaying the past)"
    );
    assert!(text(&root, ".state-hash").contains("State at tick 2"));
    click(&root, ".state-hash button").await;
    assert!(
        text(&root, ".state-hash").contains("identical"),
        "{}",
        text(&root, ".state-hash")
    );
    click(&root, ".tc-reset").await;
    assert_eq!(text(&root, ".tc-status"), "tick 0 (live)");
}

#[wasm_bindgen_test]
async fn emitting_by_hand_is_journaled_and_bad_input_is_refused_at_the_field() {
    let root = mount(HarnessProps {
        share: None,
        kinds: vec![WidgetKind::Emitter, WidgetKind::Journal, WidgetKind::Trace],
        goal_lesson: None,
    })
    .await;
    type_into(&root, ".count-input", "4").await;
    click(&root, ".emit-button").await;
    assert!(
        text(&root, ".journal-list").contains("Emit 4 from a"),
        "{}",
        text(&root, ".journal-view")
    );
    assert!(text(&root, ".trace-list").contains("by hand"));

    type_into(&root, ".count-input", "0").await;
    click(&root, ".emit-button").await;
    assert!(
        text(&root, ".field-error").contains("between 1 and 100"),
        "{:?} / {}",
        find(&root, ".count-input")
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .value(),
        text(&root, ".emitter")
    );
    assert_eq!(
        find(&root, ".journal-list").child_element_count(),
        1,
        "the refused emit was not journaled"
    );

    type_into(&root, "#new-source-name", "Bad Name").await;
    click(&root, ".add-source button").await;
    assert!(text(&root, "#new-source-error").contains("lowercase"));
}

#[wasm_bindgen_test]
async fn a_corrupted_share_link_opens_the_default_lab_with_a_message() {
    let root = mount(HarnessProps {
        share: Some("fl1.not-a-real-link".into()),
        kinds: vec![WidgetKind::TimeControls],
        goal_lesson: None,
    })
    .await;
    let notice = text(&root, ".notice");
    assert!(notice.contains("damaged"), "{notice}");
    assert_eq!(text(&root, ".tc-status"), "tick 0 (live)");
    click(&root, ".notice button").await;
    assert!(root.query_selector(".notice").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn a_valid_share_link_restores_the_state() {
    let mut session = Rc::new(flowlab::store::LabSession::open(
        LabConfig {
            seed: Seed(3),
            scenario: Scenario::TwoSources,
        },
        None,
    ));
    session = session.reduce(flowlab::store::LabAction::Forward(25));
    let link = session.share_link();
    let root = mount(HarnessProps {
        share: Some(link),
        kinds: vec![WidgetKind::TimeControls, WidgetKind::StateHash],
        goal_lesson: None,
    })
    .await;
    assert_eq!(text(&root, ".tc-status"), "tick 25 (live)");
    assert!(text(&root, ".state-hash").contains(&format!("{:016x}", session.view.state_hash())));
}

const GOAL_LESSON: &str = "---\nid: test\ntitle: T\ntrack: Foundations\norder: 1\nsummary: S\n---\n```check\nid: two-ticks\ngoal: Reach tick 2.\nwhen: end_tick >= 2\nhint: Step twice.\nsolution: Press Step two times.\n```\n";

#[wasm_bindgen_test]
async fn goals_explain_themselves_then_complete_as_the_learner_acts() {
    let root = mount(HarnessProps {
        share: None,
        kinds: vec![WidgetKind::TimeControls],
        goal_lesson: Some(GOAL_LESSON.into()),
    })
    .await;
    assert!(text(&root, ".goal-status").contains("end_tick is 0; the goal needs end_tick >= 2"));
    click(&root, ".goal-hint").await;
    assert!(text(&root, ".hint").contains("Step twice"));
    click(&root, ".goal-solution").await;
    assert!(text(&root, ".solution").contains("two times"));
    click(&root, ".tc-step").await;
    click(&root, ".tc-step").await;
    assert!(text(&root, ".goal-status").contains("Goal met"));
    assert!(find(&root, ".goal").class_name().contains("goal-done"));
}

#[wasm_bindgen_test]
async fn the_events_chart_draws_on_its_canvas() {
    let root = mount(HarnessProps {
        share: None,
        kinds: vec![WidgetKind::TimeControls, WidgetKind::EventsChart],
        goal_lesson: None,
    })
    .await;
    for _ in 0..20 {
        click(&root, ".tc-step").await;
    }
    assert!(text(&root, ".events-chart").contains("Over ticks 0 to 19"));
    assert!(
        root.query_selector(".events-chart .field-error")
            .unwrap()
            .is_none(),
        "chart reported an error"
    );
    let canvas: web_sys::HtmlCanvasElement = find(&root, "canvas").dyn_into().unwrap();
    let url = canvas.to_data_url().unwrap();
    assert!(
        url.len() > 2000,
        "the canvas looks blank ({} bytes)",
        url.len()
    );
}

#[wasm_bindgen_test]
fn the_panic_panel_reveals_a_report() {
    let panel = document().create_element("div").unwrap();
    panel.set_id("fatal");
    panel.set_attribute("hidden", "").unwrap();
    let report = document().create_element("pre").unwrap();
    report.set_id("fatal-report");
    panel.append_child(&report).unwrap();
    document().body().unwrap().append_child(&panel).unwrap();
    flowlab::panic_panel::show(&flowlab::panic_panel::report("boom at widgets.rs:1"));
    assert!(!panel.has_attribute("hidden"));
    assert!(report
        .text_content()
        .unwrap()
        .contains("boom at widgets.rs:1"));
    panel.remove();
}
