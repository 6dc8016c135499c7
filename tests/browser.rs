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
    /// The lab's scenario (two sources unless set).
    #[prop_or_default]
    scenario: Option<Scenario>,
    /// Also render the replication lab's preset buttons.
    #[prop_or_default]
    presets: bool,
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
            <LabProvider config={LabConfig { seed: Seed(3), scenario: props.scenario.unwrap_or(Scenario::TwoSources) }} share={props.share.clone()}>
                if props.presets { <widgets::broker::presets_panel::PresetsPanel /> }
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
        scenario: None,
        presets: false,
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
        scenario: None,
        presets: false,
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
        scenario: None,
        presets: false,
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
        scenario: None,
        presets: false,
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
        scenario: None,
        presets: false,
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
        scenario: None,
        presets: false,
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

// The replication lab (issue 4, "Lab page (UI)").

fn replicated(kinds: Vec<WidgetKind>, presets: bool) -> HarnessProps {
    HarnessProps {
        share: None,
        kinds,
        goal_lesson: None,
        scenario: Some(Scenario::Replicated),
        presets,
    }
}

async fn steps(root: &Element, n: usize) {
    for _ in 0..n {
        click(root, ".tc-step").await;
    }
}

async fn choose(root: &Element, selector: &str, value: &str) {
    let select: web_sys::HtmlSelectElement = find(root, selector).dyn_into().unwrap();
    select.set_value(value);
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn killing_the_leaders_broker_fences_it_and_the_controller_elects_another_replica() {
    let root = mount(replicated(
        vec![
            WidgetKind::TimeControls,
            WidgetKind::Replicas,
            WidgetKind::Controller,
        ],
        false,
    ))
    .await;
    let broker1 = r#"[data-broker="1"] .broker-card-head"#;
    let orders0 = r#"[data-partition="orders-0"] .partition-facts"#;
    assert!(text(&root, broker1).contains("alive"));
    assert!(
        text(&root, orders0).contains("leader b1"),
        "{}",
        text(&root, orders0)
    );
    assert!(text(&root, ".controller-status").contains("Active controller: C1 · term 1"));
    click(&root, r#"[data-broker="1"] .kill-broker"#).await;
    assert!(text(&root, broker1).contains("crashed"));
    // The controller notices when the session (90 ticks) runs out.
    steps(&root, 100).await;
    assert!(
        text(&root, broker1).contains("fenced"),
        "{}",
        text(&root, broker1)
    );
    let facts = text(&root, orders0);
    assert!(
        facts.contains("leader b2") && facts.contains("last election: clean"),
        "{facts}"
    );
    let timeline = text(&root, ".election-timeline");
    assert!(
        timeline.contains("orders-0: broker 2 leads, clean election"),
        "{timeline}"
    );
    assert!(timeline.contains("broker 1 fenced"), "{timeline}");
    assert!(text(&root, r#"[data-registration="1"]"#).contains("fenced"));
    // A timeline row jumps the time cursor to just before the change; the change is then still
    // to come, and shown dimmed.
    click(&root, ".row-election .jump-before").await;
    assert!(text(&root, ".tc-status").contains("replaying the past"));
    assert!(text(&root, orders0).contains("leader b1"));
    assert!(find(&root, ".row-election").class_name().contains("future"));
}

#[wasm_bindgen_test]
async fn every_fault_button_changes_the_brokers_status() {
    let root = mount(replicated(
        vec![WidgetKind::TimeControls, WidgetKind::Replicas],
        false,
    ))
    .await;
    let head = |b: u8| format!(r#"[data-broker="{b}"] .broker-card-head"#);
    let button = |b: u8, class: &str| format!(r#"[data-broker="{b}"] .{class}"#);
    for link in ["brokers", "controller", "clients"] {
        click(&root, &button(2, &format!("cut-{link}"))).await;
        assert!(
            text(&root, &head(2)).contains(link),
            "{}",
            text(&root, &head(2))
        );
        assert_eq!(
            find(&root, &button(2, &format!("cut-{link}"))).get_attribute("aria-pressed"),
            Some("true".into())
        );
    }
    click(&root, &button(2, "heal-broker")).await;
    assert!(text(&root, &head(2)).contains("alive"));
    choose(&root, "#slow-2", "50").await;
    click(&root, &button(2, "slow-broker")).await;
    assert!(text(&root, &head(2)).contains("slow: fetches every 50 ticks"));
    click(&root, &button(2, "normal-speed")).await;
    assert!(text(&root, &head(2)).contains("alive"));
    click(&root, &button(3, "shutdown-broker")).await;
    assert!(
        text(&root, &head(3)).contains("stopped"),
        "{}",
        text(&root, &head(3))
    );
    // A controlled shutdown hands orders-2's leadership (broker 3 is preferred) over at once.
    let facts = text(&root, r#"[data-partition="orders-2"] .partition-facts"#);
    assert!(facts.contains("controlled shutdown"), "{facts}");
    click(&root, &button(3, "restart-broker")).await;
    steps(&root, 5).await;
    assert!(!text(&root, &head(3)).contains("stopped"));
}

#[wasm_bindgen_test]
async fn the_ledger_counts_acknowledged_writes_and_the_health_chart_draws() {
    let root = mount(replicated(
        vec![
            WidgetKind::TimeControls,
            WidgetKind::Producer,
            WidgetKind::Ledger,
            WidgetKind::ReplicationChart,
        ],
        false,
    ))
    .await;
    type_into(&root, ".send-count", "6").await;
    click(&root, ".send-button").await;
    steps(&root, 12).await;
    assert_eq!(text(&root, ".ledger-acked"), "6");
    assert_eq!(text(&root, ".ledger-present"), "6");
    assert_eq!(text(&root, ".ledger-lost"), "0");
    assert!(text(&root, ".producer-summary").contains("acks=all"));
    assert!(text(&root, ".replication-summary").contains("Of 3 partitions"));
    assert!(root
        .query_selector(".replication-chart .field-error")
        .unwrap()
        .is_none());
    let canvas: web_sys::HtmlCanvasElement =
        find(&root, ".replication-chart canvas").dyn_into().unwrap();
    assert!(
        canvas.to_data_url().unwrap().len() > 2000,
        "the chart looks blank"
    );
}

#[wasm_bindgen_test]
async fn a_preset_loads_and_a_fork_without_unclean_election_loses_nothing() {
    let root = mount(replicated(
        vec![
            WidgetKind::TimeControls,
            WidgetKind::Ledger,
            WidgetKind::Compare,
        ],
        true,
    ))
    .await;
    click(&root, r#"[data-preset="failover-unclean-truncation"]"#).await;
    assert!(text(&root, ".notice").contains("Scenario loaded"));
    assert!(text(&root, ".tc-status").contains("(live)"));
    assert!(
        text(&root, ".preset-goal").contains("✓"),
        "{}",
        text(&root, ".preset-goal")
    );
    let lost: u64 = text(&root, ".ledger-lost").parse().unwrap();
    assert!(lost >= 20, "{lost}");
    // Back to tick 0, then fork with unclean leader election off.
    type_into(&root, ".scrubber", "0").await;
    assert!(text(&root, ".tc-status").starts_with("tick 0 of"));
    choose(&root, "#fork-unclean", "off").await;
    click(&root, ".fork-button").await;
    let row = text(&root, r#".compare-table tr[data-row="lost with acks=all"]"#);
    assert!(row.ends_with("0 ▼"), "{row}");
    assert!(text(&root, ".fork-summary").contains("nothing acknowledged was lost"));
    assert!(text(&root, r#".compare-table tr[data-row="unclean elections"]"#).contains("1"));
    click(&root, ".open-fork").await;
    assert!(text(&root, ".notice").contains("Opened the fork from tick 0"));
    assert_eq!(text(&root, ".ledger-lost"), "0");
}

#[wasm_bindgen_test]
async fn replication_settings_at_the_topic_form_and_refusals_with_a_hint() {
    let root = mount(replicated(
        vec![WidgetKind::TopicConfig, WidgetKind::Replicas],
        false,
    ))
    .await;
    type_into(&root, ".min-isr-input", "1").await;
    click(&root, ".unclean-input").await;
    click(&root, ".apply-replication").await;
    assert!(
        text(&root, ".replica-topic-name").contains("min.insync.replicas 1 · unclean election on"),
        "{}",
        text(&root, ".replica-topic-name")
    );
    type_into(&root, ".topic-name-input", "big").await;
    type_into(&root, ".rf-input", "5").await;
    click(&root, ".create-topic-button").await;
    let notice = text(&root, ".notice-error");
    assert!(
        notice.contains("INVALID_REPLICATION_FACTOR")
            && notice.contains("Lower the replication factor"),
        "{notice}"
    );
    type_into(&root, ".rf-input", "3").await;
    type_into(&root, ".partitions-input", "12").await;
    click(&root, ".create-topic-button").await;
    assert_eq!(
        root.query_selector_all(".replica-partition")
            .unwrap()
            .length(),
        15
    );
}
