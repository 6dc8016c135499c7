//! Browser tests (wasm-bindgen-test in headless Chromium): mount real components into the page,
//! click and type as a learner would, flush Yew's scheduler, and assert on the DOM.
//! Run with `cargo test --target wasm32-unknown-unknown -p flowlab --test browser`.
#![cfg(target_arch = "wasm32")]

use flowlab::progress::{ProgressHandle, ProgressState};
use flowlab::widgets::{self, lab_provider::LabProvider};
use lab::lesson::{parse_lesson, Block, WidgetKind};
use lab::rng::Seed;
use lab::state::{LabConfig, Preset};
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
    /// The lab's preset (two sources unless set).
    #[prop_or_default]
    preset: Option<Preset>,
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
            <LabProvider config={LabConfig { seed: Seed(3), preset: props.preset.unwrap_or(Preset::TwoSources) }} share={props.share.clone()}>
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
        preset: None,
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
        preset: None,
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
        preset: None,
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
            preset: Preset::TwoSources,
        },
        None,
    ));
    session = session.reduce(flowlab::store::LabAction::Forward(25));
    let link = session.share_link();
    let root = mount(HarnessProps {
        share: Some(link),
        kinds: vec![WidgetKind::TimeControls, WidgetKind::StateHash],
        goal_lesson: None,
        preset: None,
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
        preset: None,
        presets: false,
    })
    .await;
    assert!(text(&root, ".goal-status").contains(
        "The furthest tick the clock has run to is tick 0; the goal needs tick 2 or later."
    ));
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
        preset: None,
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
        preset: Some(Preset::Replicated),
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
    assert!(text(&root, ".notice").contains("just before the failure"));
    assert!(root
        .query_selector(".preset-goal.is-met")
        .unwrap()
        .is_none());
    click(&root, ".run-steps").await;
    assert!(text(&root, ".tc-status").contains("(live)"));
    assert!(
        text(&root, ".preset-goal").contains("Goal met"),
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

// The SQL lab (issue 5, "Lab page (UI)").

mod sql_lab {
    use super::{click, document, find, text};
    use flowlab::widgets::sql::{
        csv_io::CsvImport, editor::SqlEditor, results::SqlResults, schema::SchemaBrowser,
        SqlProvider,
    };
    use lab::sql::datasets::{load_samples, Size};
    use lab::sql::session::{Outcome, Session};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::*;
    use web_sys::{Element, HtmlInputElement, HtmlTextAreaElement};
    use yew::prelude::*;

    /// Fact tables this small keep the tests fast.
    const ROWS: usize = 300;

    #[component]
    fn SqlHarness() -> Html {
        html! {
            <SqlProvider size={Size::Rows(ROWS)} persist_history={false} sql="SELECT 1">
                <SqlEditor />
                <SqlResults />
                <SchemaBrowser />
                <CsvImport />
            </SqlProvider>
        }
    }

    async fn mount() -> Element {
        let root = document().create_element("div").unwrap();
        document().body().unwrap().append_child(&root).unwrap();
        yew::Renderer::<SqlHarness>::with_root(root.clone()).render();
        yew::scheduler::flush().await;
        root
    }

    async fn sleep(ms: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window()
                .unwrap()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                .unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    }

    /// Waits (up to 10 s) until `selector` matches.
    async fn wait_for(root: &Element, selector: &str) {
        for _ in 0..500 {
            yew::scheduler::flush().await;
            if root.query_selector(selector).unwrap().is_some() {
                return;
            }
            sleep(20).await;
        }
        panic!("nothing matches {selector}");
    }

    async fn set_text(root: &Element, selector: &str, value: &str) {
        let element = find(root, selector);
        if let Some(area) = element.dyn_ref::<HtmlTextAreaElement>() {
            area.set_value(value);
        } else {
            element
                .dyn_ref::<HtmlInputElement>()
                .unwrap()
                .set_value(value);
        }
        element
            .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
        yew::scheduler::flush().await;
    }

    /// Runs `sql` with the Run button and waits for its result.
    async fn run(root: &Element, sql: &str) {
        let before: u64 = root
            .query_selector(".sql-results")
            .unwrap()
            .and_then(|e| e.get_attribute("data-run"))
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        set_text(root, "#sql-input", sql).await;
        click(root, ".sql-run").await;
        wait_for(root, &format!(".sql-results[data-run=\"{}\"]", before + 1)).await;
    }

    fn texts(root: &Element, selector: &str) -> Vec<String> {
        let list = root.query_selector_all(selector).unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().text_content().unwrap_or_default())
            .collect()
    }

    /// The grid's rows, as the cells' texts.
    fn grid(root: &Element) -> Vec<Vec<String>> {
        let rows = root.query_selector_all(".grid-row").unwrap();
        (0..rows.length())
            .map(|i| {
                let row: Element = rows.item(i).unwrap().dyn_into().unwrap();
                texts(&row, ".grid-cell")
            })
            .collect()
    }

    #[wasm_bindgen_test]
    async fn a_query_runs_and_its_rows_fill_the_grid_with_nulls_and_numbers_marked() {
        let root = mount().await;
        assert!(text(&root, ".schema-browser").contains("push_events300 rows"));
        run(&root, "SELECT event_type, count(*) AS n FROM push_events GROUP BY event_type ORDER BY event_type").await;
        assert_eq!(
            find(&root, ".sql-summary")
                .get_attribute("data-rows")
                .as_deref(),
            Some("5")
        );
        let rows = grid(&root);
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0][0], "app_open");
        assert!(find(&root, ".grid-row .grid-cell:nth-child(3)")
            .matches(".num")
            .unwrap());
        run(&root, "SELECT NULL AS nothing, 'x' AS something").await;
        assert_eq!(text(&root, ".grid-cell.null"), "NULL");
        // Both runs are in the history, newest first; a click puts one back in the editor.
        click(&root, ".sql-history summary").await;
        let history = texts(&root, ".history-item");
        assert_eq!(history.len(), 2);
        assert_eq!(history[0], "SELECT NULL AS nothing, 'x' AS something");
        click(&root, ".sql-history-list li:nth-child(2) .history-item").await;
        yew::scheduler::flush().await;
        let input: HtmlTextAreaElement = find(&root, "#sql-input").dyn_into().unwrap();
        assert!(input
            .value()
            .starts_with("SELECT event_type, count(*) AS n"));
    }

    #[wasm_bindgen_test]
    async fn errors_show_the_message_the_caret_under_the_column_and_the_hint() {
        let root = mount().await;
        run(&root, "SELECT event_type, count(*\nFROM push_events").await;
        assert_eq!(
            find(&root, ".sql-error")
                .get_attribute("data-kind")
                .as_deref(),
            Some("Syntax error")
        );
        assert!(text(&root, ".sql-error-message").contains("(line 2, column 1)"));
        assert_eq!(text(&root, ".sql-caret"), "FROM push_events");
        assert_eq!(text(&root, ".sql-caret .caret-at"), "FROM");
        assert_eq!(text(&root, ".sql-highlight .tok-error"), "FROM");
        assert!(text(&root, ".sql-error .hint").contains("near the caret"));
        // An unknown column: the caret under it and a did-you-mean.
        run(&root, "SELECT cuid,\n       evnt_type\nFROM push_events").await;
        assert_eq!(text(&root, ".sql-caret"), "       evnt_type");
        assert_eq!(text(&root, ".sql-caret .caret-at"), "evnt_type");
        assert_eq!(
            text(&root, ".sql-error .hint"),
            "did you mean \"event_type\"?"
        );
        // Over budget is an error like the others (a cross join of 300^3 rows).
        run(
            &root,
            "SELECT count(*) FROM push_events a, push_events b, push_events c",
        )
        .await;
        assert_eq!(
            find(&root, ".sql-error")
                .get_attribute("data-kind")
                .as_deref(),
            Some("Over budget")
        );
        // Editing the text takes the mark away.
        set_text(&root, "#sql-input", "SELECT 1").await;
        assert!(root.query_selector(".tok-error").unwrap().is_none());
    }

    #[wasm_bindgen_test]
    async fn the_trace_shows_each_step_the_surviving_rows_and_the_groups() {
        let root = mount().await;
        run(&root, "SELECT source, count(*) AS n FROM push_events WHERE is_all = 0 GROUP BY source HAVING count(*) > 1 ORDER BY source LIMIT 3").await;
        click(&root, "[data-tab=\"trace\"]").await;
        let labels = texts(&root, ".trace-label");
        let expected = [
            "FROM push_events",
            "WHERE is_all = 0",
            "GROUP BY source",
            "HAVING count(*) > 1",
            "ORDER BY source",
            "LIMIT 3",
        ];
        // In evaluation order (other steps, such as SELECT, may sit between them).
        let mut at = 0;
        for label in expected {
            at += labels[at..]
                .iter()
                .position(|l| l == label)
                .unwrap_or_else(|| panic!("{label} missing from {labels:?}"))
                + 1;
        }
        // WHERE: every shown input row is marked kept or dropped, and both occur.
        let kept = root
            .query_selector_all(".step-filter tr.kept")
            .unwrap()
            .length();
        let dropped = root
            .query_selector_all(".step-filter tr.dropped")
            .unwrap()
            .length();
        assert!(kept > 0 && dropped > 0, "{kept} kept, {dropped} dropped");
        // GROUP BY: each input row carries its group; the output has one row per group.
        let group_step = find(&root, ".step-group");
        let badges = texts(&group_step, ".group-badge");
        assert!(badges.iter().any(|b| b == "g1"), "{badges:?}");
        assert!(text(&group_step, ".trace-rows").contains('→'));
        // The steps' row counts are shown.
        assert!(texts(&root, ".trace-rows")
            .last()
            .unwrap()
            .ends_with("3 rows"));
        // EXPLAIN: the plan tree, root first.
        click(&root, "[data-tab=\"plan\"]").await;
        wait_for(&root, ".plan-node").await;
        let ops = texts(&root, ".plan-op");
        assert!(ops.contains(&"HashAggregate".to_string()), "{ops:?}");
        assert_eq!(ops.last().map(String::as_str), Some("Scan"));
    }

    #[wasm_bindgen_test]
    async fn clicking_a_header_sorts_the_grid_then_restores_the_query_order() {
        let root = mount().await;
        run(
            &root,
            "SELECT cuid, push_active_level FROM push_events LIMIT 20",
        )
        .await;
        let original = grid(&root);
        let level = |rows: &[Vec<String>]| -> Vec<i64> {
            rows.iter().map(|r| r[1].parse().unwrap()).collect()
        };
        click(&root, ".grid-th:nth-child(3) .grid-sort").await;
        assert_eq!(
            find(&root, ".grid-th:nth-child(3)")
                .get_attribute("aria-sort")
                .as_deref(),
            Some("ascending")
        );
        let up = level(&grid(&root));
        assert!(up.windows(2).all(|w| w[0] <= w[1]), "{up:?}");
        click(&root, ".grid-th:nth-child(3) .grid-sort").await;
        let down = level(&grid(&root));
        assert!(down.windows(2).all(|w| w[0] >= w[1]), "{down:?}");
        click(&root, ".grid-th:nth-child(3) .grid-sort").await;
        assert_eq!(grid(&root), original);
        // A new result is shown in its own order, not the old sort's.
        run(&root, "SELECT 1 AS one").await;
        assert_eq!(grid(&root), vec![vec!["1".to_string()]]);
        // Charts draw from one bar up, and say when the shape has none.
        click(&root, "[data-tab=\"chart\"]").await;
        assert!(text(&root, ".chart-none").contains("no chart for this shape"));
        for sql in [
            "SELECT 'a' AS x, 1 AS y",
            "SELECT event_type, count(*) AS n FROM push_events GROUP BY 1",
            "SELECT push_active_level, avg(break_max) FROM push_events GROUP BY 1",
            "SELECT event_day, count(*) FROM push_events GROUP BY 1",
        ] {
            run(&root, sql).await;
            yew::scheduler::flush().await;
            assert!(
                root.query_selector(".result-chart canvas")
                    .unwrap()
                    .is_some(),
                "{sql}"
            );
            assert!(
                root.query_selector(".result-chart .field-error")
                    .unwrap()
                    .is_none(),
                "{sql}: {}",
                text(&root, ".result-chart")
            );
        }
        click(&root, ".chart-switch").await;
        assert!(root
            .query_selector(".result-chart.chart-bar .field-error")
            .unwrap()
            .is_none());
    }

    #[wasm_bindgen_test]
    async fn a_result_exported_as_csv_imports_back_as_the_same_table() {
        let root = mount().await;
        let sql = "SELECT cuid, event_type, event_day, break_max, source FROM push_events ORDER BY sid, event_type LIMIT 40";
        // The CSV the export writes for this result (the same function the button calls).
        let mut session = Session::new();
        load_samples(&mut session, Size::Rows(ROWS));
        let Some(Outcome::Rows(expected)) = session.execute(sql).unwrap().pop() else {
            panic!("a query gives rows")
        };
        let csv = lab::sql::csv::to_csv(&expected.table);
        run(&root, sql).await;
        let shown = grid(&root);
        click(&root, ".sql-export").await;
        assert!(root.query_selector(".notice-error").unwrap().is_none());
        // Import it by pasting, under a name of its own.
        set_text(&root, "#csv-table-name", "round_trip").await;
        set_text(&root, "#csv-text", &csv).await;
        click(&root, ".csv-import-button").await;
        assert!(text(&root, ".sql-notice").contains("Imported 40 rows and 5 columns"));
        let schema = text(&root, "[data-table=\"round_trip\"]");
        assert!(
            schema.contains("event_day DATE") && schema.contains("break_max BIGINT"),
            "{schema}"
        );
        run(&root, "SELECT * FROM round_trip").await;
        assert_eq!(grid(&root), shown);
        // A bad CSV and a taken name are refused at the form.
        set_text(&root, "#csv-table-name", "rides").await;
        click(&root, ".csv-import-button").await;
        assert!(text(&root, "#csv-import-error").contains("exists already"));
        set_text(&root, "#csv-table-name", "broken").await;
        set_text(&root, "#csv-text", "a,b\n\"unterminated").await;
        click(&root, ".csv-import-button").await;
        assert!(!text(&root, "#csv-import-error").is_empty());
        // Reset drops the scratch table and keeps the samples.
        click(&root, ".reset-scratch").await;
        assert!(root
            .query_selector("[data-table=\"round_trip\"]")
            .unwrap()
            .is_none());
        assert!(root
            .query_selector("[data-table=\"rides\"]")
            .unwrap()
            .is_some());
    }
}

/// The rollouts lab's widgets: deploying starts a rollout and enables its buttons; a spec with an
/// out-of-range weight is refused at Apply with the error under its line, and nothing is
/// journaled.
mod rollouts_lab {
    use super::*;
    use web_sys::HtmlTextAreaElement;

    fn count(root: &Element, selector: &str) -> u32 {
        root.query_selector_all(selector).unwrap().length()
    }

    fn attribute(root: &Element, selector: &str, name: &str) -> String {
        find(root, selector).get_attribute(name).unwrap_or_default()
    }

    fn disabled(root: &Element, selector: &str) -> bool {
        find(root, selector).has_attribute("disabled")
    }

    #[wasm_bindgen_test]
    async fn deploy_enables_promote_and_a_bad_spec_is_refused_under_its_line() {
        let root = mount(HarnessProps {
            share: None,
            kinds: vec![
                WidgetKind::RolloutSteps,
                WidgetKind::RolloutDeploy,
                WidgetKind::RolloutSpec,
                WidgetKind::Journal,
            ],
            goal_lesson: None,
            preset: Some(Preset::Rollouts),
            presets: false,
        })
        .await;
        assert_eq!(attribute(&root, ".rollout-steps", "data-phase"), "Healthy");
        assert!(disabled(&root, ".ro-promote"), "nothing to promote yet");
        click(&root, ".rd-deploy-button").await;
        assert_eq!(count(&root, ".journal-list li"), 1);
        assert_ne!(attribute(&root, ".rollout-steps", "data-phase"), "Healthy");
        assert!(!disabled(&root, ".ro-promote"), "a rollout can be promoted");

        let area: HtmlTextAreaElement = find(&root, ".rs-text").dyn_into().unwrap();
        let good = area.value();
        let line = good
            .lines()
            .position(|l| l.contains("setWeight: 20"))
            .unwrap()
            + 1;
        area.set_value(&good.replacen("setWeight: 20", "setWeight: 150", 1));
        area.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
        yew::scheduler::flush().await;
        // Apply parses at once (the typing pause has not passed): the error shows, nothing is sent.
        click(&root, ".rs-apply").await;
        let error = text(&root, &format!(".rs-error[data-line=\"{line}\"]"));
        assert!(
            error.contains("setWeight: 150") && error.contains("Hint:"),
            "{error}"
        );
        assert!(disabled(&root, ".rs-apply"));
        assert_eq!(
            count(&root, ".journal-list li"),
            1,
            "a bad spec is not journaled"
        );
    }
}

/// The experiments lab's widgets: an hour of arrivals fills the results table and the
/// allocation; a reading toggle is journaled and pressed; weights that do not add up are refused
/// beside the form with a hint and nothing is journaled; the logging bug trips the SRM banner.
mod experiments_lab {
    use super::*;

    fn count(root: &Element, selector: &str) -> u32 {
        root.query_selector_all(selector).unwrap().length()
    }

    fn attribute(root: &Element, selector: &str, name: &str) -> String {
        find(root, selector).get_attribute(name).unwrap_or_default()
    }

    #[wasm_bindgen_test]
    async fn toggles_journal_bad_weights_are_refused_and_lost_logs_trip_the_srm_check() {
        let root = mount(HarnessProps {
            share: None,
            kinds: vec![
                WidgetKind::TimeControls,
                WidgetKind::ExperimentResults,
                WidgetKind::ExperimentSetup,
                WidgetKind::ExperimentAllocation,
                WidgetKind::Journal,
            ],
            goal_lesson: None,
            preset: Some(Preset::Experiments),
            presets: false,
        })
        .await;
        assert_eq!(attribute(&root, ".experiment-results", "data-users"), "0");
        click(&root, ".tc-step").await;
        let users: u64 = attribute(&root, ".experiment-results", "data-users")
            .parse()
            .unwrap();
        assert!(users > 300, "an hour brings about 400 users, got {users}");
        assert!(count(&root, ".ex-row") >= 4, "a row per metric");
        assert!(
            count(&root, ".ex-arrival") > 0,
            "the latest arrivals are listed"
        );

        click(&root, ".ex-engine [data-option=\"Bayesian\"]").await;
        assert_eq!(
            attribute(&root, ".experiment-results", "data-engine"),
            "bayesian"
        );
        assert_eq!(
            attribute(
                &root,
                ".ex-engine [data-option=\"Bayesian\"]",
                "aria-pressed"
            ),
            "true"
        );
        assert_eq!(count(&root, ".journal-list li"), 1);

        type_into(&root, ".ex-weights-input", "60 60").await;
        click(&root, ".ex-weights-set").await;
        let refusal = text(&root, ".experiment-setup .stream-refusal");
        assert!(
            refusal.contains("add up to 100") && refusal.contains("Hint:"),
            "{refusal}"
        );
        assert_eq!(
            count(&root, ".journal-list li"),
            1,
            "refused weights are not journaled"
        );

        type_into(&root, ".ex-lose-percent", "40").await;
        click(&root, ".ex-lose-logs").await;
        assert_eq!(count(&root, ".journal-list li"), 2);
        for _ in 0..6 {
            click(&root, ".tc-step").await;
        }
        assert_eq!(
            attribute(&root, ".experiment-results", "data-srm-flagged"),
            "true"
        );
        assert!(text(&root, ".ex-srm").contains("Sample ratio mismatch"));
        assert_ne!(attribute(&root, ".experiment-allocation", "data-lost"), "0");
    }
}

/// The distributed execution lab's widgets: the page's widgets render; an example query becomes a
/// journaled job whose stages are drawn and whose tasks fill the Gantt chart as the clock runs;
/// a killed executor is shown lost; a MapReduce program that does not parse shows its line, the
/// message and a hint under the editor, keeps its text and journals nothing.
mod cluster_lab {
    use super::*;
    use web_sys::HtmlTextAreaElement;

    fn count(root: &Element, selector: &str) -> u32 {
        root.query_selector_all(selector).unwrap().length()
    }

    fn attribute(root: &Element, selector: &str, name: &str) -> String {
        find(root, selector).get_attribute(name).unwrap_or_default()
    }

    async fn write(root: &Element, selector: &str, value: &str) {
        let area: HtmlTextAreaElement = find(root, selector).dyn_into().unwrap();
        area.set_value(value);
        area.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
        yew::scheduler::flush().await;
    }

    async fn cluster_lab() -> Element {
        mount(HarnessProps {
            share: None,
            kinds: vec![
                WidgetKind::TimeControls,
                WidgetKind::ClusterControls,
                WidgetKind::ClusterView,
                WidgetKind::ClusterStages,
                WidgetKind::ClusterTimeline,
                WidgetKind::ClusterPlan,
                WidgetKind::ClusterMapReduce,
                WidgetKind::Journal,
            ],
            goal_lesson: None,
            preset: Some(Preset::Cluster),
            presets: false,
        })
        .await
    }

    #[wasm_bindgen_test]
    async fn a_query_becomes_a_job_whose_tasks_fill_the_timeline() {
        let root = cluster_lab().await;
        for widget in [
            ".cluster-controls",
            ".cluster-executors",
            ".cluster-mapreduce",
        ] {
            find(&root, widget);
        }
        assert_eq!(count(&root, ".cluster-executors .dx-executor"), 4);
        assert!(text(&root, "[data-widget=\"cluster-stages\"]").contains("No job yet"));
        assert_eq!(count(&root, ".journal-list li"), 0);

        click(&root, ".dx-example[data-example=\"GROUP BY\"]").await;
        click(&root, ".dx-sql-run").await;
        assert_eq!(
            count(&root, ".journal-list li"),
            1,
            "the query is journaled"
        );
        let stages: u32 = attribute(&root, ".cluster-stages", "data-stages")
            .parse()
            .unwrap();
        assert!(stages >= 2, "a GROUP BY shuffles: {stages} stages");
        assert!(count(&root, ".dx-edge") >= 1, "an exchange between stages");
        assert!(text(&root, ".dx-edge").contains("hashpartitioning"));
        for _ in 0..5 {
            click(&root, ".tc-step").await;
        }
        assert!(
            count(&root, ".dx-bar") > 0,
            "attempts are drawn after ticks"
        );
        assert!(
            count(&root, ".cluster-executors .dx-busy") > 0,
            "slots run tasks"
        );
        assert!(text(&root, ".dx-explain").contains("Exchange"));
    }

    #[wasm_bindgen_test]
    async fn a_killed_executor_is_shown_lost() {
        let root = cluster_lab().await;
        choose(&root, ".dx-fault-executor", "1").await;
        assert_eq!(text(&root, ".dx-kill"), "Kill executor 1");
        click(&root, ".dx-kill").await;
        assert_eq!(
            attribute(
                &root,
                ".cluster-executors [data-executor=\"1\"]",
                "data-alive"
            ),
            "false"
        );
        assert!(text(&root, ".cluster-executors [data-executor=\"1\"]").contains("lost"));
        assert_eq!(attribute(&root, ".cluster-executors", "data-alive"), "3");
        assert_eq!(count(&root, ".journal-list li"), 1);
    }

    /// A setting or a job that comes from elsewhere (here a second copy of the widget, as a
    /// lesson's steps or a scrub would) shows in the fields, never a value the lab does not run.
    #[wasm_bindgen_test]
    async fn the_forms_follow_settings_and_jobs_made_elsewhere() {
        let root = mount(HarnessProps {
            share: None,
            kinds: vec![
                WidgetKind::ClusterControls,
                WidgetKind::ClusterControls,
                WidgetKind::ClusterMapReduce,
                WidgetKind::ClusterMapReduce,
            ],
            goal_lesson: None,
            preset: Some(Preset::Cluster),
            presets: false,
        })
        .await;
        let inputs = root.query_selector_all(".dx-partitions-input").unwrap();
        let first: HtmlInputElement = inputs.get(0).unwrap().dyn_into().unwrap();
        first.set_value("4");
        first
            .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
        yew::scheduler::flush().await;
        click(&root, ".dx-partitions-set").await;
        let second: HtmlInputElement = inputs.get(1).unwrap().dyn_into().unwrap();
        assert_eq!(second.value(), "4");

        let reducers = root.query_selector_all(".dx-mr-reducers").unwrap();
        let first: HtmlInputElement = reducers.get(0).unwrap().dyn_into().unwrap();
        first.set_value("3");
        first
            .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
        yew::scheduler::flush().await;
        click(&root, ".dx-mr-run").await;
        let second: HtmlInputElement = reducers.get(1).unwrap().dyn_into().unwrap();
        assert_eq!(second.value(), "3", "{}", text(&root, ".cluster-mapreduce"));
    }

    #[wasm_bindgen_test]
    async fn a_program_that_does_not_parse_shows_its_line_and_keeps_the_text() {
        let root = cluster_lab().await;
        let program = "def map(line)\n    emit(line, 1)\n";
        write(&root, ".dx-mr-program", program).await;
        click(&root, ".dx-mr-run").await;
        assert_eq!(
            count(&root, ".dx-program-error"),
            1,
            "{}",
            text(&root, ".cluster-mapreduce")
        );
        let error = text(&root, ".dx-program-error");
        assert!(error.contains("Hint:"), "{error}");
        assert_eq!(
            attribute(&root, ".dx-program-error", "data-line"),
            "1",
            "{error}"
        );
        let area: HtmlTextAreaElement = find(&root, ".dx-mr-program").dyn_into().unwrap();
        assert_eq!(area.value(), program, "the text is kept");
        assert_eq!(count(&root, ".journal-list li"), 0, "nothing is journaled");
    }
}
