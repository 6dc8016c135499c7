//! The Spark lessons of the distributed execution track (82-85) are solved by their solutions and
//! cannot be met without their concepts. Each lesson is followed as a learner pressing its "Do it"
//! links in reading order would (the lab of its front matter), and:
//!
//! - every goal is unmet before the link that comes just before it in the text and met after it;
//! - every prediction is hidden until the link that follows it and revealed by that link, and what
//!   the lab then shows is the answer the lesson gives;
//! - each goal's solution, run as its text says on a fresh lab, meets it, and a path that skips
//!   the concept (a GROUP BY alone, as many slots as tasks, speculation against skew, a join that
//!   is not salted, a broadcast of the preserved side, a cache that does not fit, a kill before
//!   any map output exists) does not;
//! - the results the prose calls unchanged (a salted join, a job repaired from lineage) equal the
//!   one-machine result.
//!
//! The numbers the prose states after an instruction are its "Do it" promises, checked by
//! `lesson_instructions.rs`; the numbers stated elsewhere (a plan's exchanges, a result's rows,
//! a wave's length) are checked here against the lab.

mod common;

use common::lessons::Run;
use lab::cluster::sched::AttemptState;
use lab::cluster_lab::{ClusterLab, JobKind};

lesson_track! {
    STAGES = "82-distributed-spark-stages.md",
    SKEW = "83-distributed-skew.md",
    BROADCAST = "84-distributed-broadcast-join.md",
    CACHING = "85-distributed-caching-lineage.md",
}

const VIEWS_PER_PAGE: &str =
    "cluster sql SELECT page, count(*) AS views FROM page_views GROUP BY page; tick 200";
const VIEWS_PER_SECTION: &str = "SELECT p.section, count(*) AS views FROM page_views v \
     JOIN pages p ON v.page = p.page GROUP BY p.section";
const SALTED: &str = "SELECT p.section, count(*) AS views FROM page_views v JOIN (SELECT \
     pages.page, pages.section, s.salt FROM pages CROSS JOIN (VALUES (0), (1), (2), (3)) AS \
     s(salt)) p ON v.page = p.page AND v.view_id % 4 = p.salt GROUP BY p.section";
const LOAD_PER_PAGE: &str = "SELECT page, avg(ms) AS load_ms FROM page_views GROUP BY page";

impl Run {
    fn cluster(&self) -> &ClusterLab {
        self.timeline
            .head()
            .cluster_lab()
            .expect("the cluster preset")
    }

    /// The last query's plan as EXPLAIN prints it.
    fn explain(&self) -> String {
        match &self.cluster().last_job().expect("a job").kind {
            JobKind::Sql { run, .. } => run.explain.clone(),
            JobKind::MapReduce { .. } => panic!("the last job is not a query"),
        }
    }

    /// The ticks of the last job's successful attempts in stage `stage`, by partition.
    fn stage_ticks(&self, stage: u16) -> Vec<u64> {
        let lab = self.cluster();
        let job = lab.last_job().expect("a job");
        let mut ticks: Vec<(u32, u64)> = lab
            .job_cluster(job)
            .attempts()
            .iter()
            .filter(|a| a.job == job.id && a.stage.0 == stage && a.state == AttemptState::Succeeded)
            .filter_map(|a| Some((a.partition, a.end_tick? - a.start_tick)))
            .collect();
        ticks.sort_unstable();
        ticks.into_iter().map(|(_, t)| t).collect()
    }

    /// The bytes of each cached block the last job's first stage reads.
    fn cached_block_bytes(&self) -> Vec<u64> {
        let lab = self.cluster();
        let job = lab.last_job().expect("a job");
        let spec = lab.job_cluster(job).job_spec(job.id).expect("a job spec");
        spec.stages[0]
            .tasks
            .iter()
            .filter_map(|t| t.cache.as_ref().map(|c| c.bytes))
            .collect()
    }

    /// The last query's rows, sorted by their text (sections and pages come back in partition
    /// order on the cluster).
    fn result_rows(&self) -> Vec<String> {
        match &self.cluster().last_job().expect("a job").kind {
            JobKind::Sql { run, .. } => sorted_rows(&run.table),
            JobKind::MapReduce { .. } => panic!("the last job is not a query"),
        }
    }
}

fn sorted_rows(table: &lab::sql::Table) -> Vec<String> {
    let mut rows: Vec<String> = (0..table.rows)
        .map(|r| {
            table
                .columns
                .iter()
                .map(|c| format!("{:?}", c.get(r)))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    rows.sort();
    rows
}

/// The one-machine result of `query` on the lesson's tables, sorted like [`Run::result_rows`].
fn one_machine(run: &Run, query: &str) -> Vec<String> {
    sorted_rows(&run.cluster().single_machine(query).expect("the query runs"))
}

#[test]
fn stages_end_at_exchanges_and_tasks_beyond_the_slots_wait() {
    let filter = Run::after(STAGES, 1);
    assert!(!filter.explain().contains("Exchange"), "a filter is narrow");
    let grouped = Run::after(STAGES, 2);
    assert!(grouped
        .explain()
        .contains("Exchange hashpartitioning(page, 8)"));
    assert!(grouped.explain().contains("partial_count(1)"));
    assert!(grouped.answer("guess-group-stages").starts_with("2 -"));
    let sorted = Run::after(STAGES, 3);
    assert!(sorted.explain().contains("Exchange rangepartitioning("));
    let top = Run::after(STAGES, 4);
    assert!(top.explain().contains("TakeOrderedAndProject(limit=5"));
    assert!(top.explain().contains("Exchange SinglePartition"));
    assert_eq!(top.result_rows().len(), 5);
    // 16 tasks of 13 ticks on 8 slots: the second wave starts when the first ends.
    let waves = Run::after(STAGES, 5);
    assert_eq!(waves.value("cluster.max_task_ticks"), 13);
}

#[test]
fn a_group_by_alone_or_enough_slots_do_not_meet_the_stage_goals() {
    let group_by = Run::script(STAGES, &format!("cluster aqe off; {VIEWS_PER_PAGE}"));
    assert!(!group_by.met("three-stages"), "one exchange is two stages");
    let one_wave = Run::script(
        STAGES,
        &format!("cluster partitions 16; cluster executors 8; {VIEWS_PER_PAGE}"),
    );
    assert!(!one_wave.met("tasks-in-waves"), "16 tasks on 16 slots");
    let solved = Run::script(STAGES, &format!("cluster partitions 16; {VIEWS_PER_PAGE}"));
    assert!(solved.met("tasks-in-waves"));
}

#[test]
fn skew_needs_a_split_or_a_salt_and_speculation_only_helps_a_slow_machine() {
    let join = format!("cluster sql {VIEWS_PER_SECTION}; tick 300");
    let skewed = Run::after(SKEW, 1);
    assert!(skewed
        .explain()
        .contains("SortMergeJoin [page], [page], Inner"));
    // The join stage: '/home' in task 0 for 209 ticks, the other seven 26 to 45.
    let join_ticks = skewed.stage_ticks(2);
    assert_eq!(join_ticks[0], 209);
    assert_eq!(
        (join_ticks[1..].iter().min(), join_ticks[1..].iter().max()),
        (Some(&26), Some(&45))
    );
    // '/home' has the 8,009 views the GROUP BY's partial counts keep out of the shuffle.
    assert_eq!(
        one_machine(
            &skewed,
            "SELECT count(*) AS views FROM page_views WHERE page = '/home'"
        ),
        ["BigInt(8009)"]
    );
    let naive = one_machine(&skewed, VIEWS_PER_SECTION);
    assert_eq!(skewed.result_rows(), naive);
    // AQE on (the lab's default) splits the hot partition, so the skew goal needs it off.
    let with_aqe = Run::script(SKEW, &format!("cluster broadcast off; {join}"));
    assert!(!with_aqe.met("skew-seen"));
    assert!(with_aqe.met("aqe-split"));
    // Speculation against skew: copies launch, the job is as slow, the slow-node goal is unmet.
    let speculated = Run::after(SKEW, 3);
    assert!(speculated.answer("guess-speculation").starts_with("No -"));
    assert!(!speculated.met("speculation-beats-slow-node"));
    let copy_killed = speculated.stage_ticks(2);
    assert_eq!(copy_killed[0], 209, "the original, not the copy, finished");
    let no_straggler = Run::script(SKEW, &format!("cluster speculation on; {VIEWS_PER_PAGE}"));
    assert!(!no_straggler.met("speculation-beats-slow-node"));
    let slow_alone = Run::after(SKEW, 4);
    let mut slow_scans = slow_alone.stage_ticks(0);
    slow_scans.sort_unstable();
    assert_eq!(&slow_scans[6..], &[89, 90]);
    assert!(!slow_alone.met("speculation-beats-slow-node"));
    // The salt spreads the hot page and gives the same counts; the plain join with AQE off does
    // not meet the salting goal, nor does turning AQE back on.
    let salted = Run::after(SKEW, 7);
    assert_eq!(salted.result_rows(), naive);
    assert!(salted
        .explain()
        .contains("hashpartitioning(page, (view_id % 4), 8)"));
    assert!(salted.explain().contains("[stage 2 -> stage 3, 37.7 KiB]"));
    // Four salts: four join tasks share '/home' (73 to 83 ticks), the other four do not.
    let mut salted_join = salted.stage_ticks(3);
    salted_join.sort_unstable();
    assert_eq!(&salted_join[4..], &[73, 74, 81, 83]);
    assert!(salted_join[3] < 40, "{salted_join:?}");
    let unsalted = Run::script(
        SKEW,
        &format!("cluster broadcast off; cluster aqe off; {join}"),
    );
    assert!(!unsalted.met("salted"));
    // Even joins of other tables are not salting either.
    for other in [
        "SELECT u.plan, count(*) AS views FROM page_views v JOIN visitors u ON v.user_id = \
         u.user_id GROUP BY u.plan",
        "SELECT d.city, count(*) AS rides FROM rides r JOIN drivers d ON r.driver_id = \
         d.driver_id GROUP BY d.city",
    ] {
        let even = Run::script(
            SKEW,
            &format!("cluster broadcast off; cluster aqe off; cluster sql {other}; tick 400"),
        );
        assert!(even.value("cluster.max_task_ticks") < 100, "{other}");
        assert!(!even.met("salted"), "{other}");
    }
    let split = Run::after(SKEW, 6);
    assert!(!split.met("salted"), "AQE's split is not salting");
    let solved = Run::script(
        SKEW,
        &format!("cluster broadcast off; cluster aqe off; cluster sql {SALTED}; tick 300"),
    );
    assert!(solved.met("salted"));
}

#[test]
fn only_a_small_non_preserved_side_is_broadcast() {
    let join = format!("cluster sql {VIEWS_PER_SECTION}; tick 300");
    let sort_merge = Run::after(BROADCAST, 1);
    assert!(sort_merge
        .explain()
        .contains("Exchange hashpartitioning(page, 8)    [stage 0 -> stage 2, 1.4 MiB]"));
    assert!(!sort_merge.met("broadcast-the-small-side"));
    let broadcast = Run::after(BROADCAST, 2);
    assert!(broadcast
        .answer("guess-broadcast-bytes")
        .starts_with("They stay"));
    assert!(broadcast
        .explain()
        .contains("BroadcastHashJoin [page], [page], Inner, BuildRight"));
    assert_eq!(broadcast.result_rows(), sort_merge.result_rows());
    // An inner join under the threshold broadcasts; a join with a big table shuffles a lot: neither
    // is the outer join's refusal.
    let inner = Run::script(BROADCAST, &format!("cluster broadcast 16KiB; {join}"));
    assert!(!inner.met("outer-join-shuffles"));
    let visitors = Run::script(
        BROADCAST,
        "cluster broadcast 16KiB; cluster sql SELECT u.plan, count(*) AS views FROM page_views v \
         JOIN visitors u ON v.user_id = u.user_id GROUP BY u.plan; tick 400",
    );
    assert_eq!(visitors.value("cluster.sort_merge_joins"), 1);
    assert_eq!(visitors.value("cluster.job_ticks"), 104, "the prose's 104");
    assert_eq!(
        visitors.value("cluster.max_task_ticks"),
        67,
        "the prose's 67"
    );
    assert!(!visitors.met("outer-join-shuffles"));
    let small_tables = Run::script(
        BROADCAST,
        "cluster broadcast 16KiB; cluster sql SELECT d.city, count(*) AS rides FROM rides r JOIN \
         drivers d ON r.driver_id = d.driver_id GROUP BY d.city; tick 400",
    );
    assert!(
        !small_tables.met("outer-join-shuffles"),
        "rides and drivers"
    );
    let left = Run::script(
        BROADCAST,
        "cluster broadcast 16KiB; cluster sql SELECT p.section, count(v.view_id) AS views FROM \
         pages p LEFT JOIN page_views v ON v.page = p.page GROUP BY p.section; tick 300",
    );
    assert!(
        left.met("outer-join-shuffles"),
        "pages LEFT JOIN page_views"
    );
    let big = Run::after(BROADCAST, 4);
    assert!(big.explain().contains("BroadcastExchange") && big.explain().contains("164.1 KiB"));
}

#[test]
fn the_cache_helps_where_it_fits_and_lineage_repairs_a_lost_executor() {
    let query = format!("cluster sql {LOAD_PER_PAGE}; tick 100");
    let half = Run::after(CACHING, 2);
    assert!(half.answer("guess-second-run").starts_with("4 -"));
    assert!(half.explain().contains("InMemoryTableScan page_views"));
    // About 1.4 MiB in 8 blocks of about 180 KiB: one fits in 217 KiB, two do not.
    let blocks = half.cached_block_bytes();
    assert_eq!(blocks.len(), 8);
    assert!(
        blocks.iter().all(|b| (170 * 1024..190 * 1024).contains(b)),
        "{blocks:?}"
    );
    let total: u64 = blocks.iter().sum();
    assert!(
        (1.35..1.45).contains(&(total as f64 / (1024.0 * 1024.0))),
        "{total}"
    );
    let mut scans = half.stage_ticks(0);
    scans.sort_unstable();
    assert_eq!(scans, [13, 13, 13, 13, 23, 23, 23, 23]);
    // Running twice on 4 executors of 2 cores, or without the cache, never hits every block.
    let small = Run::script(
        CACHING,
        &format!("cluster cache page_views; {query}; {query}; {query}"),
    );
    assert!(!small.met("whole-table-cached"));
    let uncached = Run::script(
        CACHING,
        &format!("cluster executors 8; cluster cores 1; {query}; {query}"),
    );
    assert_eq!(uncached.value("cluster.cache_hits"), 0);
    assert!(!uncached.met("whole-table-cached"));
    // The killed job's result is the one-machine result.
    let repaired = Run::after(CACHING, 4);
    assert_eq!(repaired.value("cluster.job_ticks"), 52);
    assert_eq!(
        repaired.result_rows(),
        one_machine(&repaired, LOAD_PER_PAGE)
    );
    assert_eq!(repaired.result_rows().len(), 199);
    // An executor killed before the job has nothing to lose: no stage is resubmitted.
    let early = Run::script(
        CACHING,
        &format!(
            "cluster cache page_views; cluster executors 8; cluster cores 1; cluster kill 3; {query}"
        ),
    );
    assert_eq!(early.value("cluster.resubmitted_stages"), 0);
    assert!(!early.met("recomputed-from-lineage"));
}

#[test]
fn every_solution_meets_its_goal() {
    let join = format!("cluster sql {VIEWS_PER_SECTION}; tick 300");
    let query = format!("cluster sql {LOAD_PER_PAGE}; tick 100");
    for (file, goal, script) in [
        (
            STAGES,
            "three-stages",
            "cluster sql SELECT page, count(*) AS views FROM page_views GROUP BY page ORDER BY \
             views DESC; tick 200"
                .to_string(),
        ),
        (
            STAGES,
            "tasks-in-waves",
            format!("cluster partitions 16; {VIEWS_PER_PAGE}"),
        ),
        (
            SKEW,
            "skew-seen",
            format!("cluster broadcast off; cluster aqe off; {join}"),
        ),
        (
            SKEW,
            "speculation-beats-slow-node",
            format!("cluster slow 1 25%; cluster speculation on; {VIEWS_PER_PAGE}"),
        ),
        (
            SKEW,
            "aqe-split",
            format!("cluster broadcast off; cluster aqe on; {join}"),
        ),
        (
            BROADCAST,
            "broadcast-the-small-side",
            format!("cluster broadcast 16KiB; {join}"),
        ),
        (
            BROADCAST,
            "outer-join-shuffles",
            "cluster broadcast 16KiB; cluster sql SELECT p.section, count(v.view_id) AS views \
             FROM page_views v RIGHT JOIN pages p ON v.page = p.page GROUP BY p.section; tick 300"
                .to_string(),
        ),
        (
            CACHING,
            "whole-table-cached",
            format!(
                "cluster cache page_views; cluster executors 8; cluster cores 1; {query}; {query}"
            ),
        ),
        (
            CACHING,
            "recomputed-from-lineage",
            format!(
                "cluster cache page_views; cluster executors 8; cluster cores 1; {query}; \
                 cluster sql {LOAD_PER_PAGE}; tick 15; cluster kill 3; tick 100"
            ),
        ),
    ] {
        assert!(Run::script(file, &script).met(goal), "{file}: {goal}");
    }
}
