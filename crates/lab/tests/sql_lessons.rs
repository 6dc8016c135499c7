//! The SQL lessons (`lessons/3x-sql-*.md`): every reference query runs on the lesson's tables,
//! every goal's answer grades correct, a typical wrong answer per goal does not (with the diff a
//! learner would see), the numbers the prose quotes are the engine's, and the lint catches a
//! broken reference query in a real lesson.

use lab::lesson::sql::{grade_result, result_of, session, summary, SqlVerdict};
use lab::lesson::{lint, parse_lesson, Lesson};
use lab::sql::grade::Grade;
use lab::sql::{Session, Table, Value};
use lab::state::Lab;
use lab::steps::Step;
use lab::timeline::Timeline;
use std::path::{Path, PathBuf};

fn lessons_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons")
}

fn read(file: &str) -> String {
    std::fs::read_to_string(lessons_dir().join(file)).unwrap()
}

fn lesson(file: &str) -> Lesson {
    parse_lesson(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every SQL lesson's file name.
fn sql_lesson_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(lessons_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .filter(|n| lesson(n).meta.sql.is_some())
        .collect();
    files.sort();
    files
}

/// One SQL lesson with its tables, as the lesson page has them before any click.
struct SqlLesson {
    lesson: Lesson,
    session: Session,
    timeline: Timeline,
}

impl SqlLesson {
    fn new(file: &str) -> SqlLesson {
        let lesson = lesson(file);
        let timeline = Timeline::new(lesson.meta.config);
        let session = session(lesson.meta.sql.unwrap(), Some(timeline.head()));
        SqlLesson {
            lesson,
            session,
            timeline,
        }
    }

    /// Runs the lesson's ```steps``` blocks, as the learner's click does, and refreshes the live
    /// tables.
    fn run_steps(&mut self) {
        for step in self.lesson.steps().cloned().collect::<Vec<_>>() {
            match step {
                Step::Ticks(n) => self.ticks(n),
                Step::Broker(command) => {
                    let end = self.timeline.end();
                    self.timeline
                        .apply_at(end, lab::state::Command::Broker(command))
                        .unwrap();
                }
                Step::Lab(command) => {
                    let end = self.timeline.end();
                    self.timeline.apply_at(end, command).unwrap();
                }
            }
        }
        self.refresh();
    }

    fn ticks(&mut self, n: u64) {
        for _ in 0..n {
            self.timeline.advance_head().unwrap();
        }
        self.refresh();
    }

    fn refresh(&mut self) {
        lab::lesson::sql::register_live(&mut self.session, self.timeline.head());
    }

    fn live(&self) -> Option<&Lab> {
        Some(self.timeline.head())
    }

    /// What the learner's query returns.
    fn run(&self, sql: &str) -> Table {
        result_of(&self.session, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn verdict(&self, goal: &str, sql: &str) -> SqlVerdict {
        let check = self
            .lesson
            .sql_checks()
            .find(|c| c.id == goal)
            .unwrap_or_else(|| panic!("no goal {goal}"));
        grade_result(check, &self.session, self.live(), &self.run(sql)).unwrap()
    }

    fn grade(&self, goal: &str, sql: &str) -> Grade {
        match self.verdict(goal, sql) {
            SqlVerdict::Graded(grade) => grade,
            other => panic!("{goal}: {other:?}"),
        }
    }

    /// Every goal's own answer grades correct.
    fn answers_are_correct(&self) {
        for check in self.lesson.sql_checks() {
            assert_eq!(
                self.grade(&check.id, &check.answer),
                Grade::Correct,
                "{} / {}",
                self.lesson.meta.id,
                check.id
            );
        }
    }

    /// `sql` is graded wrong for `goal`; returns the grade.
    fn wrong(&self, goal: &str, sql: &str) -> Grade {
        let grade = self.grade(goal, sql);
        assert_ne!(grade, Grade::Correct, "{goal}: {sql} should be wrong");
        eprintln!("{goal}: {}", summary(&grade));
        grade
    }

    /// The first value of a one-row result.
    fn scalar(&self, sql: &str) -> Value {
        self.run(sql).row(0)[0].clone()
    }
}

/// The values of one column of a result, in order.
fn column(table: &Table, index: usize) -> Vec<Value> {
    table
        .to_rows()
        .into_iter()
        .map(|r| r[index].clone())
        .collect()
}

/// (missing, extra) totals of a wrong-rows grade.
fn diff(grade: &Grade) -> (usize, usize) {
    match grade {
        Grade::WrongRows {
            missing_total,
            extra_total,
            ..
        } => (*missing_total, *extra_total),
        other => panic!("not a row diff: {other:?}"),
    }
}

#[test]
fn there_are_eleven_sql_lessons_each_with_widgets_and_graded_goals() {
    let files = sql_lesson_files();
    assert_eq!(files.len(), 11, "{files:?}");
    for file in &files {
        let lesson = lesson(file);
        // The SQL track, the feature store's ASOF JOIN lesson, which queries its tables, and
        // the streaming lessons that query the clicks topic, the samples or the medallion tables.
        let track = if file.contains("-features-") {
            "Feature store"
        } else if file.contains("-streaming-") {
            "Streaming"
        } else {
            "SQL"
        };
        assert_eq!(lesson.meta.track, track, "{file}");
        // A streaming lesson may load the tables for its own queries without grading one.
        assert!(
            lesson.sql_checks().count() >= 1 || track == "Streaming",
            "{file}"
        );
        for check in lesson.sql_checks() {
            assert!(
                !check.hint.is_empty() && !check.solution.is_empty() && !check.answer.is_empty()
            );
        }
        assert!(
            lesson
                .widgets()
                .any(|w| w.kind == lab::lesson::WidgetKind::Sql),
            "{file}"
        );
        assert_eq!(lint(&lesson), Vec::<String>::new(), "{file}");
    }
}

#[test]
fn every_reference_query_runs_and_every_answer_grades_correct() {
    for file in sql_lesson_files() {
        let mut l = SqlLesson::new(&file);
        if l.lesson.steps().next().is_some() {
            l.run_steps();
        }
        for check in l.lesson.sql_checks() {
            let expected = result_of(&l.session, &check.expected)
                .unwrap_or_else(|e| panic!("{file} / {}: {e}", check.id));
            assert!(expected.rows > 0, "{file} / {}", check.id);
        }
        l.answers_are_correct();
        for example in l.lesson.sql_examples() {
            Session::parse(example).unwrap_or_else(|e| panic!("{file}: {example}: {e}"));
        }
    }
}

#[test]
fn the_lint_fails_on_a_broken_reference_query_in_a_real_lesson() {
    let text = read("31-sql-analytics-pv-uv.md");
    let broken = text.replacen(
        "expected: SELECT event_type, count(*), count(DISTINCT cuid)",
        "expected: SELECT event_type, count(*), count(DISTINCT cuid_)",
        1,
    );
    assert_ne!(text, broken);
    let problems = lint(&parse_lesson(&broken).unwrap());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("\"pv-uv\": the expected query fails"),
        "{problems:?}"
    );
    assert!(problems[0].contains("cuid_"), "{problems:?}");
    // A reference that no longer matches its answer fails too.
    let drifted = text.replacen(
        "expected: SELECT event_type, count(*), count(DISTINCT cuid)",
        "expected: SELECT event_type, count(*), count(cuid)",
        1,
    );
    let problems = lint(&parse_lesson(&drifted).unwrap());
    assert!(
        problems[0].contains("\"pv-uv\": the answer is not graded correct"),
        "{problems:?}"
    );
}

#[test]
fn select_where_and_null() {
    let l = SqlLesson::new("30-sql-select-where.md");
    l.answers_are_correct();
    // `= NULL` finds nothing: all four unrated drivers are missing.
    assert_eq!(
        diff(&l.wrong(
            "unrated",
            "SELECT name, city FROM drivers WHERE rating = NULL"
        )),
        (4, 0)
    );
    // `<>` drops the 149 events whose source is unknown.
    let Grade::WrongRows { missing, extra, .. } = l.wrong(
        "not-organic",
        "SELECT count(*) FROM push_events WHERE source <> 'organic'",
    ) else {
        panic!()
    };
    assert_eq!(
        (missing, extra),
        (
            vec![vec![Value::BigInt(4625)]],
            vec![vec![Value::BigInt(4476)]]
        )
    );
    // NOT IN with a NULL in the list keeps nothing.
    assert_eq!(
        diff(&l.wrong(
            "never-rode",
            "SELECT customer_id, name FROM customers WHERE customer_id NOT IN (SELECT CASE WHEN ride_id = 1 THEN NULL ELSE customer_id END FROM rides)"
        )),
        (32, 0)
    );
    // The numbers the prose quotes.
    for (sql, n) in [
        ("SELECT count(*) FROM drivers", 125),
        ("SELECT count(*) FROM drivers WHERE rating IS NULL", 4),
        ("SELECT count(*) FROM push_events WHERE source IS NULL", 149),
        (
            "SELECT count(*) FROM push_events WHERE source = 'organic'",
            375,
        ),
    ] {
        assert_eq!(l.scalar(sql), Value::BigInt(n), "{sql}");
    }
    assert_eq!(
        l.scalar("SELECT count(*) FROM customers WHERE customer_id NOT IN (1, 2, NULL)"),
        Value::BigInt(0)
    );
    let truth = l.run("SELECT NULL = NULL, NULL IS NULL, 1 = NULL, NULL AND false, NULL OR true");
    assert_eq!(
        truth.row(0),
        vec![
            Value::Null,
            Value::Boolean(true),
            Value::Null,
            Value::Boolean(false),
            Value::Boolean(true)
        ]
    );
}

const BUCKET: &str = "CASE WHEN source LIKE 'exp_a%' THEN 'A' WHEN source LIKE 'exp_b%' THEN 'B' WHEN source LIKE 'ctrl%' THEN 'control' ELSE 'other' END";

#[test]
fn pv_uv_analytics_query() {
    let l = SqlLesson::new("31-sql-analytics-pv-uv.md");
    l.answers_are_correct();
    // COUNT instead of COUNT(DISTINCT): every uv is wrong.
    assert_eq!(
        diff(&l.wrong(
            "pv-uv",
            "SELECT event_type, count(*), count(cuid) FROM push_events GROUP BY event_type"
        )),
        (5, 5)
    );
    // A CASE without ELSE puts organic and unknown sources in a NULL bucket, not 'other'.
    let no_else = BUCKET.replace(" ELSE 'other'", "");
    let sql = format!(
        "SELECT event_type, {no_else} AS bucket, count(*), count(DISTINCT cuid) FROM push_events \
         WHERE event_type IN ('push_show', 'push_click') AND event_day BETWEEN DATE '2024-06-01' AND DATE '2024-06-07' \
         GROUP BY 1, 2"
    );
    let Grade::WrongRows { missing, extra, .. } = l.wrong("pv-uv-by-bucket", &sql) else {
        panic!()
    };
    assert!(missing.iter().all(|r| r[1] == Value::text("other")));
    assert!(extra.iter().all(|r| r[1] == Value::Null));
    // Forgetting the date filter counts two weeks instead of one.
    let all_days = format!(
        "SELECT event_type, {BUCKET}, count(*), count(DISTINCT cuid) FROM push_events \
         WHERE event_type IN ('push_show', 'push_click') GROUP BY 1, 2"
    );
    assert_eq!(diff(&l.wrong("pv-uv-by-bucket", &all_days)), (8, 8));
    // Conditional counts without DISTINCT count events, not users.
    let events = format!(
        "SELECT {BUCKET}, count(CASE WHEN event_type = 'push_show' THEN cuid END), \
         count(CASE WHEN event_type = 'push_click' THEN cuid END) FROM push_events GROUP BY 1"
    );
    l.wrong("saw-and-clicked", &events);
    // The numbers the prose quotes.
    let show = l.run(
        "SELECT count(*), count(DISTINCT cuid) FROM push_events WHERE event_type = 'push_show'",
    );
    assert_eq!(show.row(0), vec![Value::BigInt(1887), Value::BigInt(399)]);
    let arm_a = l.run(&format!(
        "SELECT event_type, count(*), count(DISTINCT cuid) FROM push_events WHERE {BUCKET} = 'A' \
         AND event_type IN ('push_show', 'push_click') AND event_day <= DATE '2024-06-07' GROUP BY 1 ORDER BY 1"
    ));
    assert_eq!(
        arm_a.to_rows(),
        vec![
            vec![
                Value::text("push_click"),
                Value::BigInt(50),
                Value::BigInt(34)
            ],
            vec![
                Value::text("push_show"),
                Value::BigInt(344),
                Value::BigInt(121)
            ],
        ]
    );
}

#[test]
fn group_by() {
    let l = SqlLesson::new("32-sql-group-by.md");
    l.answers_are_correct();
    // Grouping by the name too splits the cities into one group per driver.
    assert_eq!(
        diff(&l.wrong(
            "small-groups",
            "SELECT city, count(*), max(rating) FROM drivers WHERE driver_id <= 10 GROUP BY city, name"
        )),
        (2, 6)
    );
    // count(*) is not count(rating): Paris and Lisbon differ.
    assert_eq!(
        diff(&l.wrong(
            "rated",
            "SELECT city, count(*), count(*), avg(rating) FROM drivers GROUP BY city"
        )),
        (2, 2)
    );
    // Without HAVING every city is there.
    assert_eq!(
        diff(&l.wrong(
            "big-cities",
            "SELECT city, count(*) FROM drivers GROUP BY city"
        )),
        (0, 3)
    );
    // The engine's words for the GROUP BY rule, and for an aggregate in WHERE.
    let mut session = l.session.clone();
    let e = session
        .execute("SELECT city, name, count(*) FROM drivers WHERE driver_id <= 10 GROUP BY city")
        .unwrap_err();
    assert_eq!(
        e.message,
        "column \"drivers.name\" must appear in the GROUP BY clause or be used in an aggregate function"
    );
    let e = session
        .execute("SELECT city FROM drivers WHERE count(*) > 20 GROUP BY city")
        .unwrap_err();
    assert!(e.message.contains("not allowed in WHERE"), "{e}");
    // The trace shows which rows formed each group: Berlin is drivers 2, 7 and 8.
    let out = session
        .execute_traced("SELECT city, count(*) FROM drivers WHERE driver_id <= 10 GROUP BY city")
        .unwrap();
    let lab::sql::Outcome::Rows(result) = &out[0] else {
        panic!()
    };
    let trace = result.trace.as_ref().unwrap();
    let group_step = trace.iter().find(|s| s.groups.is_some()).unwrap();
    let groups = group_step.groups.as_ref().unwrap();
    let berlin = groups
        .iter()
        .find(|g| g.len() == 3 && g.contains(&1))
        .expect("Berlin's group");
    assert_eq!(
        berlin,
        &vec![1, 6, 7],
        "rows of drivers 2, 7 and 8 (0-based)"
    );
}

#[test]
fn joins() {
    let l = SqlLesson::new("33-sql-joins.md");
    l.answers_are_correct();
    // INNER instead of LEFT JOIN loses the 32 customers who never rode.
    assert_eq!(
        diff(&l.wrong(
            "rides-per-customer",
            "SELECT c.customer_id, c.name, count(r.ride_id) FROM customers c JOIN rides r ON r.customer_id = c.customer_id GROUP BY 1, 2"
        )),
        (32, 0)
    );
    // count(*) after a LEFT JOIN counts the NULL-padded row: 1 instead of 0.
    assert_eq!(
        diff(&l.wrong(
            "rides-per-customer",
            "SELECT c.customer_id, c.name, count(*) FROM customers c LEFT JOIN rides r ON r.customer_id = c.customer_id GROUP BY 1, 2"
        )),
        (32, 32)
    );
    // The fan-out join inflates every city's fares.
    let Grade::WrongRows { extra, .. } = l.wrong(
        "fan-out",
        "SELECT d.city, count(DISTINCT d.driver_id), sum(r.fare) FROM drivers d JOIN rides r ON r.city = d.city GROUP BY d.city",
    ) else {
        panic!()
    };
    assert_eq!(extra.len(), 6);
    // Joining customers on the wrong key names the wrong people.
    l.wrong(
        "first-day",
        "SELECT r.ride_id, d.name, c.name FROM rides r JOIN drivers d ON d.driver_id = r.driver_id \
         JOIN customers c ON c.customer_id = r.driver_id WHERE r.requested_at < TIMESTAMP '2024-01-02 00:00:00'",
    );
    // The numbers the prose quotes.
    for (sql, n) in [
        (
            "SELECT count(*) FROM rides r JOIN drivers d ON d.driver_id = r.driver_id",
            5000,
        ),
        ("SELECT count(*) FROM customers", 625),
        (
            "SELECT count(*) FROM customers c LEFT JOIN rides r ON r.customer_id = c.customer_id",
            5032,
        ),
        (
            "SELECT count(*) FROM drivers d JOIN rides r ON r.city = d.city",
            114_310,
        ),
        (
            "SELECT count(*) FROM rides WHERE requested_at < TIMESTAMP '2024-01-02 00:00:00'",
            52,
        ),
        ("SELECT count(*) FROM drivers WHERE city = 'Berlin'", 33),
    ] {
        assert_eq!(l.scalar(sql), Value::BigInt(n), "{sql}");
    }
    let berlin = l.run("SELECT round(sum(fare), 2) FROM rides WHERE city = 'Berlin'");
    assert_eq!(berlin.row(0)[0], Value::Double(16143.52));
    // Three tables joined with commas run into the row budget, as the lesson warns.
    let mut session = l.session.clone();
    let e = session
        .execute("SELECT count(*) FROM rides r, drivers d, customers c WHERE d.driver_id = r.driver_id AND c.customer_id = r.customer_id")
        .unwrap_err();
    assert_eq!(e.kind, lab::sql::ErrorKind::Limit, "{e}");
}

#[test]
fn window_functions() {
    let l = SqlLesson::new("34-sql-window-functions.md");
    l.answers_are_correct();
    // Missing PARTITION BY: one row for the whole table.
    let grade = l.wrong(
        "first-callback",
        "SELECT request_id, event_id, event_type, occurred_at FROM (SELECT *, row_number() OVER (ORDER BY occurred_at) AS rn FROM events) t WHERE rn = 1",
    );
    assert_eq!(diff(&grade).0, 5004);
    // The last callback instead of the first.
    l.wrong(
        "first-callback",
        "SELECT request_id, event_id, event_type, occurred_at FROM (SELECT *, row_number() OVER (PARTITION BY request_id ORDER BY occurred_at DESC) AS rn FROM events) t WHERE rn = 1",
    );
    // lag without PARTITION BY compares with another user's order.
    l.wrong(
        "time-since-previous",
        "SELECT order_id, ordered_at - lag(ordered_at) OVER (ORDER BY ordered_at) FROM orders",
    );
    // A window without ORDER BY sums the whole partition; the wrong final order is caught too.
    l.wrong(
        "running-total",
        "SELECT order_id, amount, sum(amount) OVER (PARTITION BY user_id) FROM orders WHERE user_id = 78 ORDER BY ordered_at",
    );
    assert!(matches!(
        l.wrong(
            "running-total",
            "SELECT order_id, amount, sum(amount) OVER (ORDER BY ordered_at) FROM orders WHERE user_id = 78 ORDER BY ordered_at DESC",
        ),
        Grade::WrongOrder { first_difference: 0 }
    ));
    // The numbers the prose quotes.
    assert_eq!(l.scalar("SELECT count(*) FROM events"), Value::BigInt(7400));
    assert_eq!(
        l.scalar("SELECT count(DISTINCT request_id) FROM events"),
        Value::BigInt(5005)
    );
    assert_eq!(
        l.scalar("SELECT count(*) FROM events WHERE request_id = 'req-0000002'"),
        Value::BigInt(2)
    );
    assert_eq!(
        l.scalar("SELECT count(*) FROM orders WHERE user_id = 78"),
        Value::BigInt(24)
    );
    let gap = l.run(
        "SELECT ordered_at - lag(ordered_at) OVER (PARTITION BY user_id ORDER BY ordered_at) FROM orders WHERE user_id = 78 ORDER BY ordered_at LIMIT 2",
    );
    assert_eq!(gap.row(1)[0].to_string(), "28 days 05:26:54");
}

#[test]
fn sql_over_live_topics() {
    let mut l = SqlLesson::new("35-sql-live-topics.md");
    // Before the steps the topic is empty: the goals have nothing to compare yet, even for an
    // empty answer.
    assert_eq!(
        l.verdict(
            "per-partition",
            "SELECT partition, count(*) FROM orders GROUP BY partition"
        ),
        SqlVerdict::NothingToCompare
    );
    l.run_steps();
    assert_eq!(l.timeline.end().0, 60);
    l.answers_are_correct();
    let per_partition =
        l.run("SELECT partition, count(*) FROM orders GROUP BY partition ORDER BY 1");
    assert_eq!(column(&per_partition, 1), [58, 62, 60].map(Value::BigInt));
    let billing =
        l.run("SELECT lag FROM kafka_consumer_lag WHERE group_id = 'billing' ORDER BY partition");
    assert_eq!(column(&billing, 0), [48, 62, 57].map(Value::BigInt));
    // max(offset) is one less than the count.
    assert_eq!(
        diff(&l.wrong(
            "per-partition",
            "SELECT partition, max(offset) FROM orders GROUP BY partition"
        )),
        (3, 3)
    );
    // Forgetting the group filter shows audit's partitions too.
    assert_eq!(
        diff(&l.wrong(
            "billing-lag",
            "SELECT partition, lag FROM kafka_consumer_lag"
        )),
        (0, 3)
    );
    // Without GROUP BY there is one total, not one per group.
    assert!(matches!(
        l.wrong("lag-per-group", "SELECT sum(lag) FROM kafka_consumer_lag"),
        Grade::WrongShape(_)
    ));
    // While the broker runs, billing falls further behind, and the goals follow the state.
    let before = l.scalar("SELECT sum(lag) FROM kafka_consumer_lag WHERE group_id = 'billing'");
    let stale = l.run("SELECT group_id, sum(lag) FROM kafka_consumer_lag GROUP BY group_id");
    l.ticks(40);
    let after = l.scalar("SELECT sum(lag) FROM kafka_consumer_lag WHERE group_id = 'billing'");
    assert!(after > before, "{before} then {after}");
    l.answers_are_correct();
    // A result from tick 60 graded against the tables of tick 100 is wrong: the page grades a
    // run against the state it ran on.
    let check = l
        .lesson
        .sql_checks()
        .find(|c| c.id == "lag-per-group")
        .unwrap();
    assert_ne!(
        grade_result(check, &l.session, l.live(), &stale).unwrap(),
        SqlVerdict::Graded(Grade::Correct)
    );
    let at_60 = l.timeline.state_at(lab::clock::Tick(60));
    assert_eq!(
        grade_result(check, &l.session, Some(&at_60), &stale).unwrap(),
        SqlVerdict::Graded(Grade::Correct)
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Mangled SQL lessons (pieces cut out, fence and key fragments and stray indentation put
    /// in) are refused with a message or lint with problems, but never panic.
    #[test]
    fn mangled_sql_lessons_never_panic(
        file in 0usize..6,
        edits in proptest::collection::vec((0.0f64..1.0, 0usize..12, 0usize..40), 1..6),
    ) {
        const PIECES: [&str; 12] = [
            "\n```sql-check\n", "\n```\n", "expected:", "\n  ", "ordered: maybe\n", "answer: SELECT",
            "sql: large\n", "\n```widget sql\n", "query:\n\t", "é", ":", "\n```sql-example\n",
        ];
        let files = sql_lesson_files();
        let mut text: Vec<char> = read(&files[file % files.len()]).chars().collect();
        for (at, piece, cut) in edits {
            let at = ((text.len() as f64) * at) as usize;
            let end = (at + cut).min(text.len());
            text.splice(at..end, PIECES[piece].chars());
        }
        let text: String = text.into_iter().collect();
        if let Ok(lesson) = parse_lesson(&text) {
            let _ = lint(&lesson);
        }
    }
}
