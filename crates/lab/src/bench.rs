//! The scrub benchmark: how long it takes to jump to any tick of a long journal.
//!
//! It builds a synthetic journal of `commands` commands, then jumps to random ticks through the
//! checkpointed [`Timeline`], and, as the peer in the same run, through the reference
//! [`replay`] from tick 0. The clock is passed in (`now_ms`), because the core has no wall
//! clock: the native `lab-bench` binary passes `Instant`, the browser's bench page passes
//! `performance.now()`.

use crate::clock::Tick;
use crate::journal::{replay, Entry, Journal};
use crate::rng::{Rng, Seed};
use crate::state::{Command, Lab, LabConfig, Preset};
use crate::stream::SourceId;
use crate::timeline::Timeline;

pub mod stream;

/// A deterministic journal of `commands` commands spread over about 2.5 ticks per command.
pub fn synthetic_journal(commands: usize) -> Journal {
    let config = LabConfig {
        seed: Seed(2024),
        preset: Preset::Busy,
    };
    let mut rng = Rng::new(Seed(7)).fork("bench/journal");
    let mut at = Tick::ZERO;
    let mut entries = Vec::with_capacity(commands);
    for _ in 0..commands {
        at = at.plus(rng.below(5));
        let source = SourceId(rng.below(4) as u8);
        let command = if rng.chance_permille(700) {
            Command::Emit {
                source,
                count: 1 + rng.below(5) as u16,
            }
        } else {
            Command::SetChance {
                source,
                chance_per_tick_permille: rng.below(1001) as u16,
            }
        };
        entries.push(Entry { at, command });
    }
    Journal::from_parts(config, entries, at.plus(10))
        .expect("synthetic journal is ordered and within limits")
}

/// Timings of one benchmark run, in milliseconds.
#[derive(Clone, Debug)]
pub struct ScrubReport {
    pub commands: usize,
    pub end_tick: u64,
    pub checkpoints: usize,
    pub build_ms: f64,
    pub jumps: usize,
    pub jump_median_ms: f64,
    pub jump_p95_ms: f64,
    pub jump_max_ms: f64,
    pub replay_samples: usize,
    pub replay_median_ms: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Runs the benchmark. `now_ms` returns a monotonic time in milliseconds.
pub fn scrub_benchmark(
    commands: usize,
    jumps: usize,
    replay_samples: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> ScrubReport {
    let journal = synthetic_journal(commands);
    let end = journal.end();
    let start = now_ms();
    let timeline = Timeline::from_journal(journal.clone()).expect("synthetic journal replays");
    let build_ms = now_ms() - start;
    let mut rng = Rng::new(Seed(11)).fork("bench/jumps");
    let mut times = Vec::with_capacity(jumps);
    let mut checksum = 0u64;
    for _ in 0..jumps {
        let at = Tick(rng.below(end.0 + 1));
        let start = now_ms();
        let lab = timeline.state_at(at);
        times.push(now_ms() - start);
        checksum ^= lab.state_hash();
    }
    sim::sort::sort_by(&mut times, f64::total_cmp);
    let mut replay_times = Vec::with_capacity(replay_samples);
    for _ in 0..replay_samples {
        let at = Tick(rng.below(end.0 + 1));
        let start = now_ms();
        let lab = replay(&journal, at).expect("synthetic journal replays");
        replay_times.push(now_ms() - start);
        checksum ^= lab.state_hash();
    }
    sim::sort::sort_by(&mut replay_times, f64::total_cmp);
    std::hint::black_box(checksum);
    ScrubReport {
        commands,
        end_tick: end.0,
        checkpoints: timeline.checkpoint_count(),
        build_ms,
        jumps,
        jump_median_ms: percentile(&times, 0.5),
        jump_p95_ms: percentile(&times, 0.95),
        jump_max_ms: times.last().copied().unwrap_or(0.0),
        replay_samples,
        replay_median_ms: percentile(&replay_times, 0.5),
    }
}

impl ScrubReport {
    /// Rows of (measure, value) for a table.
    pub fn rows(&self) -> Vec<(String, String)> {
        let speedup = if self.jump_median_ms > 0.0 {
            self.replay_median_ms / self.jump_median_ms
        } else {
            f64::INFINITY
        };
        vec![
            (
                "journal".into(),
                format!("{} commands over {} ticks", self.commands, self.end_tick),
            ),
            ("checkpoints held".into(), self.checkpoints.to_string()),
            (
                "load journal (replay + checkpoints)".into(),
                format!("{:.2} ms", self.build_ms),
            ),
            (
                format!("jump to a random tick, median of {}", self.jumps),
                format!("{:.3} ms", self.jump_median_ms),
            ),
            ("jump, p95".into(), format!("{:.3} ms", self.jump_p95_ms)),
            ("jump, max".into(), format!("{:.3} ms", self.jump_max_ms)),
            (
                format!(
                    "peer: replay from tick 0, median of {}",
                    self.replay_samples
                ),
                format!("{:.2} ms", self.replay_median_ms),
            ),
            (
                "checkpointed jump vs replay from 0".into(),
                format!("{speedup:.0}x faster"),
            ),
        ]
    }

    /// The report as a markdown table.
    pub fn table(&self) -> String {
        let mut out = String::from("| measure | value |\n|---|---|\n");
        for (measure, value) in self.rows() {
            out.push_str(&format!("| {measure} | {value} |\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_journal_is_deterministic_and_replays() {
        let a = synthetic_journal(500);
        assert_eq!(a, synthetic_journal(500));
        assert_eq!(a.entries().len(), 500);
        assert!(Timeline::from_journal(a).is_ok());
    }

    #[test]
    fn report_counts_what_it_ran() {
        let mut t = 0.0;
        let report = scrub_benchmark(1000, 20, 3, &mut || {
            t += 1.0;
            t
        });
        assert_eq!(report.jumps, 20);
        assert_eq!(report.jump_median_ms, 1.0);
        assert!(report.table().contains("| checkpoints held |"));
    }

    #[test]
    fn large_sql_benchmark_answers_each_query_and_counts_the_tables_bytes() {
        let mut t = 0.0;
        let report = sql_large_benchmark(
            20_000,
            1,
            &mut || {
                t += 1.0;
                t
            },
            &mut || Some(7 << 20),
        );
        let answers: Vec<&str> = report.timings.iter().map(|(_, _, a)| a.as_str()).collect();
        assert_eq!(answers, ["20000 + 100000 rows", "1000 row(s)", "20 row(s)"]);
        // t: 20,000 rows of two BIGINTs and a DOUBLE; d: 100,000 BIGINTs and pointers to 20
        // shared strings ("c0".."c19", each an Rc block of two counters and 2-3 bytes).
        let pointer = std::mem::size_of::<std::rc::Rc<str>>();
        let strings: usize = (0..20)
            .map(|c| 2 * std::mem::size_of::<usize>() + format!("c{c}").len())
            .sum();
        assert_eq!(
            report.memory_bytes,
            20_000 * 24 + 100_000 * (8 + pointer) + strings
        );
        let rows = report.memory_rows();
        assert_eq!(
            rows[1],
            (
                "process memory after loading".to_string(),
                "7.0 MiB".to_string()
            )
        );
    }

    #[test]
    fn fork_benchmark_times_both_forks_and_both_peers() {
        let mut t = 0.0;
        let report = fork_benchmark(300, 2, &mut || {
            t += 1.0;
            t
        });
        let times = (
            report.fork_ms,
            report.fork_cold_ms,
            report.replay_ms,
            report.replay_from_fork_ms,
        );
        assert_eq!(times, (1.0, 1.0, 1.0, 1.0));
        let rows = report.rows();
        let row = |name: &str| rows.iter().find(|(m, _)| m == name).map(|(_, v)| v.clone());
        assert_eq!(
            row("fork vs replay from the fork point").as_deref(),
            Some("1.00x the time")
        );
        assert!(row("fork vs full replay").is_some());
        // The second peer reaches the original's end state from the state at the fork point.
        let timeline = fork_benchmark_lab(300);
        let replayed = replay_later_commands(&timeline.state_at(Tick(150)), timeline.journal());
        assert_eq!(replayed.now(), timeline.end());
        assert_eq!(replayed.state_hash(), timeline.head().state_hash());
    }

    #[test]
    fn pit_benchmark_times_each_variant_and_reports_its_checksum() {
        use crate::features::samples::bench::PitShape;
        let shape = PitShape {
            feature_rows: 5_000,
            entity_rows: 500,
            keys: 50,
        };
        let mut t = 0.0;
        let report = pit_benchmark(shape, 3, &mut || {
            t += 1.0;
            t
        });
        assert_eq!(report.plain.median_ms, 1.0);
        assert!(report.plain.checksum.matched > 250);
        assert!(report.cutoff.checksum.matched <= report.plain.checksum.matched);
        let lines = report.key_values();
        assert!(lines.contains(&format!(
            "plain_weighted {}\n",
            report.plain.checksum.weighted
        )));
        assert!(report.rows()[0].1.starts_with("5000 feature rows"));
    }
}

/// Throughput of the broker model: produce `records` keyed records through a 12-partition topic
/// and consume them with a 4-member group, the shape the Kafka lab's benchmark goal names.
#[derive(Clone, Debug)]
pub struct BrokerThroughput {
    pub shape: ClusterShape,
    pub records: u64,
    pub consumed: u64,
    pub ticks: u64,
    pub elapsed_ms: f64,
    /// Leader elections during the run (the fault schedule's).
    pub elections: u64,
    /// Acknowledged records lost (none expected: acks=all, min.insync.replicas=2, clean elections).
    pub lost_acked: usize,
}

/// The cluster a throughput run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterShape {
    /// Replication factor 1, no faults (the issue-3 benchmark).
    Single,
    /// Replication factor 3, min.insync.replicas 2, acks=all, and a fault schedule: every
    /// [`FAULT_EVERY_TICKS`] ticks one broker (in turn) crashes, and restarts
    /// [`FAULT_DOWN_TICKS`] ticks later.
    ReplicatedWithFaults,
}

/// Ticks between broker crashes in the replicated benchmark.
pub const FAULT_EVERY_TICKS: u64 = 40;
/// Ticks a crashed broker stays down in the replicated benchmark.
pub const FAULT_DOWN_TICKS: u64 = 15;

impl BrokerThroughput {
    pub fn records_per_second(&self) -> f64 {
        if self.elapsed_ms <= 0.0 {
            return 0.0;
        }
        self.consumed as f64 / (self.elapsed_ms / 1000.0)
    }

    pub fn rows(&self) -> Vec<(String, String)> {
        let shape = match self.shape {
            ClusterShape::Single => "12 partitions, RF 1, 4 consumers (range), keyed records",
            ClusterShape::ReplicatedWithFaults => {
                "12 partitions, RF 3, min ISR 2, acks=all, 4 consumers, a broker crash every 40 ticks"
            }
        };
        vec![
            (
                "records produced and consumed".into(),
                format!("{} / {}", self.records, self.consumed),
            ),
            ("cluster".into(), shape.into()),
            ("ticks simulated".into(), self.ticks.to_string()),
            ("leader elections".into(), self.elections.to_string()),
            (
                "acknowledged records lost".into(),
                self.lost_acked.to_string(),
            ),
            ("elapsed".into(), format!("{:.0} ms", self.elapsed_ms)),
            (
                "throughput".into(),
                format!("{:.2} M records/s", self.records_per_second() / 1e6),
            ),
        ]
    }
}

/// Runs the broker throughput benchmark on a cluster of `shape`. `now_ms` returns a monotonic
/// time in milliseconds.
pub fn broker_throughput(
    records: u64,
    shape: ClusterShape,
    now_ms: &mut dyn FnMut() -> f64,
) -> BrokerThroughput {
    use crate::broker::cluster::{BrokerCommand, Cluster, PRODUCE_COUNT_MAX};
    use crate::broker::group::{CommitPolicy, ConsumerConfig, OffsetReset};
    use crate::broker::node::ClusterSettings;
    use crate::broker::producer::{ProducerConfig, ProducerId};
    use crate::broker::topic::TopicSettings;
    use crate::broker::BrokerId;
    let replicated = shape == ClusterShape::ReplicatedWithFaults;
    let mut cluster = Cluster::new(3, Rng::new(Seed(1)));
    let settings = TopicSettings {
        replication_factor: if replicated { 3 } else { 1 },
        min_insync_replicas: if replicated { 2 } else { 1 },
        ..TopicSettings::default()
    };
    let cluster_settings = ClusterSettings {
        session_timeout_ticks: 6,
        heartbeat_interval_ticks: 2,
        replica_lag_max_ticks: 10,
        ..ClusterSettings::default()
    };
    let setup = [
        BrokerCommand::SetClusterSettings {
            settings: cluster_settings,
        },
        BrokerCommand::CreateTopic {
            name: "bench".into(),
            partitions: 12,
            settings,
        },
        BrokerCommand::AddProducer {
            config: ProducerConfig::default(),
        },
    ];
    let consumer = ConsumerConfig {
        auto_offset_reset: OffsetReset::Earliest,
        commit: CommitPolicy::Auto { interval_ticks: 5 },
        max_poll_records: 10_000,
        ..ConsumerConfig::default()
    };
    let mut now = Tick::ZERO;
    for command in setup
        .iter()
        .cloned()
        .chain((0..4).map(|_| BrokerCommand::AddConsumer {
            group: "g".into(),
            topics: vec!["bench".into()],
            instance_id: None,
            config: consumer,
        }))
    {
        cluster
            .apply(&command, now)
            .expect("benchmark setup is valid");
    }
    for _ in 0..3 {
        cluster.tick(now);
        now = now.next();
    }
    let per_tick = 20 * u64::from(PRODUCE_COUNT_MAX);
    let start = now_ms();
    let mut produced = 0u64;
    let consumed = |c: &Cluster| {
        c.consumers()
            .values()
            .map(|c| c.deliveries_total())
            .sum::<u64>()
    };
    let mut faults = 0u64;
    while produced < records || consumed(&cluster) < records {
        if replicated && now.0.is_multiple_of(FAULT_EVERY_TICKS) {
            let broker = BrokerId((faults % 3) as u8 + 1);
            let _ = cluster.apply(&BrokerCommand::KillBroker { broker }, now);
            faults += 1;
        }
        if replicated && now.0 % FAULT_EVERY_TICKS == FAULT_DOWN_TICKS {
            for broker in 1..=3 {
                let _ = cluster.apply(
                    &BrokerCommand::RestartBroker {
                        broker: BrokerId(broker),
                    },
                    now,
                );
            }
        }
        let mut this_tick = 0;
        while produced < records && this_tick < per_tick {
            let count = (records - produced).min(u64::from(PRODUCE_COUNT_MAX)) as u16;
            let send = BrokerCommand::Produce {
                producer: ProducerId(1),
                topic: "bench".into(),
                partition: None,
                key: Some("user-{n}".into()),
                value: Some("order {n}".into()),
                count,
                header: None,
            };
            // A full producer buffer (partitions waiting for a new leader) is back-pressure.
            if cluster.apply(&send, now).is_err() {
                break;
            }
            produced += u64::from(count);
            this_tick += u64::from(count);
        }
        cluster.tick(now);
        now = now.next();
        if now.0 > 1_000_000 {
            break;
        }
    }
    let elapsed_ms = now_ms() - start;
    BrokerThroughput {
        shape,
        records,
        consumed: consumed(&cluster),
        ticks: now.0,
        elapsed_ms,
        elections: cluster.elections().0,
        lost_acked: cluster.ledger().lost().len(),
    }
}

/// The fork benchmark: how long "fork at a past tick with other settings, replay the later
/// commands, compare" takes on a replicated lab with a fault history.
#[derive(Clone, Debug)]
pub struct ForkReport {
    pub ticks: u64,
    pub commands: usize,
    pub fork_at: Tick,
    /// Median of the runs, milliseconds: a fork from the tick on screen, whose state the app
    /// has derived already ([`Timeline::state_at_shared`]).
    pub fork_ms: f64,
    /// Median of as many runs: a fork at a tick whose state the timeline derives first.
    pub fork_cold_ms: f64,
    /// The peer in the same run: replaying the whole journal from tick 0.
    pub replay_ms: f64,
    /// The second peer, median of as many runs: replaying the later commands, with the original
    /// settings, from the state at `fork_at` (a copy of it, as a checkpoint there would give).
    pub replay_from_fork_ms: f64,
    pub lost_original: u64,
    pub lost_fork: u64,
}

impl ForkReport {
    pub fn rows(&self) -> Vec<(String, String)> {
        vec![
            (
                "lab".into(),
                format!(
                    "replicated scenario, {} commands over {} ticks (steady producer, consumer group, a broker crash every 100 ticks, unclean election on)",
                    self.commands, self.ticks
                ),
            ),
            (
                "fork at".into(),
                format!("tick {} with unclean election off, replay to the end (the tick on screen: its state is derived already)", self.fork_at.0),
            ),
            ("fork and compare, median".into(), format!("{:.1} ms", self.fork_ms)),
            ("peer: replay the journal from tick 0".into(), format!("{:.1} ms", self.replay_ms)),
            (
                "fork vs full replay".into(),
                format!("{:.2}x the time", self.fork_ms / self.replay_ms.max(1e-9)),
            ),
            (
                format!(
                    "peer: replay from the fork point (tick {} to the end), median",
                    self.fork_at.0
                ),
                format!("{:.1} ms", self.replay_from_fork_ms),
            ),
            (
                "fork vs replay from the fork point".into(),
                format!(
                    "{:.2}x the time",
                    self.fork_ms / self.replay_from_fork_ms.max(1e-9)
                ),
            ),
            (
                "fork and compare at a tick not on screen (its state derived first), median".into(),
                format!(
                    "{:.1} ms ({:.2}x replay from the fork point)",
                    self.fork_cold_ms,
                    self.fork_cold_ms / self.replay_from_fork_ms.max(1e-9)
                ),
            ),
            (
                "acknowledged records lost: original / fork".into(),
                format!("{} / {}", self.lost_original, self.lost_fork),
            ),
        ]
    }
}

/// The replicated lab the fork benchmark forks: `ticks` ticks of steady acks=1 traffic with a
/// consumer group, unclean election on, and a broker crash every 100 ticks.
pub fn fork_benchmark_lab(ticks: u64) -> Timeline {
    use crate::broker::cluster::BrokerCommand as B;
    use crate::broker::group::ConsumerConfig;
    use crate::broker::producer::{Acks, ProducerConfig, ProducerId};
    use crate::broker::BrokerId;
    let mut timeline = Timeline::new(LabConfig {
        seed: Seed(1),
        preset: Preset::Replicated,
    });
    let setup = [
        B::SetProducerConfig {
            producer: ProducerId(1),
            config: ProducerConfig {
                acks: Acks::One,
                idempotence: false,
                ..ProducerConfig::default()
            },
        },
        B::AlterTopicConfig {
            topic: "orders".into(),
            min_insync_replicas: Some(1),
            unclean_leader_election: Some(true),
        },
        B::AddConsumer {
            group: "g".into(),
            topics: vec!["orders".into()],
            instance_id: None,
            config: ConsumerConfig::default(),
        },
        B::SetProducerRate {
            producer: ProducerId(1),
            topic: "orders".into(),
            key: Some("user-{n}".into()),
            value: Some("order-{n}".into()),
            records_per_tick: 20,
        },
    ];
    for command in setup {
        timeline
            .apply_at(Tick::ZERO, Command::Broker(command))
            .expect("benchmark setup is valid");
    }
    for t in 1..=ticks {
        timeline
            .advance_head()
            .expect("within the journal's limits");
        let broker = BrokerId(((t / 100) % 3) as u8 + 1);
        let command = match t % 100 {
            0 => Some(B::KillBroker { broker }),
            50 => Some(B::RestartBroker { broker }),
            _ => None,
        };
        if let Some(command) = command {
            let _ = timeline.apply_at(Tick(t), Command::Broker(command));
        }
    }
    timeline
}

/// The fork benchmark's second peer: a copy of `start` (the state at some tick, its commands
/// applied) taking `journal`'s later commands at their ticks up to the journal's end, as a
/// replay would, with no timeline around it.
pub fn replay_later_commands(start: &Lab, journal: &Journal) -> Lab {
    use sim::model::Model;
    let mut state = start.clone();
    let from = start.now();
    for entry in journal.entries().iter().filter(|e| e.at > from) {
        while state.now() < entry.at {
            state.tick();
        }
        // The journal's commands replayed when accepted, from this very state.
        let _ = state.apply(&entry.command);
    }
    while state.now() < journal.end() {
        state.tick();
    }
    state
}

/// Runs the fork benchmark on a `ticks`-tick lab, forking at its middle `runs` times.
pub fn fork_benchmark(ticks: u64, runs: usize, now_ms: &mut dyn FnMut() -> f64) -> ForkReport {
    use crate::compare::{fork_and_compare, Changes};
    let timeline = fork_benchmark_lab(ticks);
    let fork_at = Tick(ticks / 2);
    let changes = Changes {
        unclean_leader_election: Some(false),
        ..Changes::default()
    };
    // A copy taken before any state is derived: each cold run forks a copy of it.
    let cold = timeline.clone();
    // The app derives the state on screen when the learner moves the cursor there.
    let on_screen = timeline.state_at_shared(fork_at);
    let (mut times, mut cold_times, mut from_fork_times) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = now_ms();
        let comparison = fork_and_compare(&timeline, fork_at, changes, 0).expect("the lab forks");
        times.push(now_ms() - start);
        // Dropped after the clock stops, as the peers' results are.
        last = Some(comparison);
        let not_on_screen = cold.clone();
        let start = now_ms();
        let comparison = fork_and_compare(&not_on_screen, fork_at, changes, 0);
        cold_times.push(now_ms() - start);
        debug_assert_eq!(
            comparison.map(|c| c.timeline.head().state_hash()).ok(),
            last.as_ref().map(|c| c.timeline.head().state_hash())
        );
        let start = now_ms();
        let replayed = replay_later_commands(&on_screen, timeline.journal());
        from_fork_times.push(now_ms() - start);
        debug_assert_eq!(replayed.state_hash(), timeline.head().state_hash());
    }
    for t in [&mut times, &mut cold_times, &mut from_fork_times] {
        sim::sort::sort_by(t, f64::total_cmp);
    }
    let start = now_ms();
    let replayed = Timeline::from_journal(timeline.journal().clone()).expect("the journal replays");
    let replay_ms = now_ms() - start;
    debug_assert_eq!(replayed.head().state_hash(), timeline.head().state_hash());
    let comparison = last.expect("at least one run");
    ForkReport {
        ticks,
        commands: timeline.journal().entries().len(),
        fork_at,
        fork_ms: percentile(&times, 0.5),
        fork_cold_ms: percentile(&cold_times, 0.5),
        replay_ms,
        replay_from_fork_ms: percentile(&from_fork_times, 0.5),
        lost_original: comparison.original.ledger.lost,
        lost_fork: comparison.fork.ledger.lost,
    }
}

/// The SQL benchmark's queries: (name, SQL).
pub const SQL_BENCH_QUERIES: &[(&str, &str)] = &[
    ("filter + count", "SELECT count(*), sum(v) FROM t WHERE v > 0.5 AND g < 500"),
    ("GROUP BY with COUNT DISTINCT", "SELECT g, count(*), count(DISTINCT k) FROM t GROUP BY g"),
    ("hash join 1M x 100k + GROUP BY", "SELECT d.cat, count(*), sum(t.v) FROM t JOIN d ON t.k = d.k GROUP BY d.cat"),
    ("ORDER BY ... LIMIT", "SELECT k, v FROM t ORDER BY v DESC, k LIMIT 10"),
    ("window: top 3 per group", "SELECT count(*) FROM (SELECT row_number() OVER (PARTITION BY g ORDER BY v DESC) AS rn FROM t) x WHERE rn <= 3"),
];

/// Times each benchmark query (best of `runs`), in milliseconds.
pub fn sql_benchmark(
    rows: usize,
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> Vec<(String, f64, String)> {
    sql_benchmark_of(rows, runs, "", now_ms)
}

/// [`sql_benchmark`] over the queries whose name contains `only` (all for "").
pub fn sql_benchmark_of(
    rows: usize,
    runs: usize,
    only: &str,
    now_ms: &mut dyn FnMut() -> f64,
) -> Vec<(String, f64, String)> {
    run_sql_benchmark(rows, SQL_BENCH_QUERIES, runs, only, now_ms, &mut || None).timings
}

/// Rows of the large SQL benchmark's table `t`: ten times the main benchmark, past the size a
/// learner's own CSV import reaches.
pub const SQL_LARGE_ROWS: usize = 10_000_000;

/// The large SQL benchmark's queries: a GROUP BY and a join, as in the main benchmark.
pub const SQL_LARGE_QUERIES: &[(&str, &str)] = &[
    (
        "GROUP BY with COUNT DISTINCT, 10M rows",
        "SELECT g, count(*), count(DISTINCT k) FROM t GROUP BY g",
    ),
    (
        "hash join 10M x 100k + GROUP BY",
        "SELECT d.cat, count(*), sum(t.v) FROM t JOIN d ON t.k = d.k GROUP BY d.cat",
    ),
];

/// A SQL benchmark's timings (the load, then each query's best run, in milliseconds, with what
/// it returned) and the memory its tables hold once loaded.
#[derive(Clone, Debug)]
pub struct SqlReport {
    pub timings: Vec<(String, f64, String)>,
    /// [`crate::sql::Table::memory_bytes`] of the loaded tables.
    pub memory_bytes: usize,
    /// The whole process's memory right after loading, where the caller can read it (the
    /// WebAssembly linear memory in a browser, the resident set natively).
    pub process_bytes: Option<usize>,
}

impl SqlReport {
    /// The memory rows: the tables' bytes, then the process's, in MiB.
    pub fn memory_rows(&self) -> Vec<(String, String)> {
        let mib = |bytes: usize| format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0));
        let mut rows = vec![(
            "memory in use after loading (the tables' columns)".to_string(),
            mib(self.memory_bytes),
        )];
        if let Some(bytes) = self.process_bytes {
            rows.push(("process memory after loading".to_string(), mib(bytes)));
        }
        rows
    }
}

/// The large SQL benchmark: [`SQL_LARGE_QUERIES`] over a `rows`-row `t`. `process_bytes` reads
/// the process's memory, where the caller can (it is called once, right after loading).
pub fn sql_large_benchmark(
    rows: usize,
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
    process_bytes: &mut dyn FnMut() -> Option<usize>,
) -> SqlReport {
    run_sql_benchmark(rows, SQL_LARGE_QUERIES, runs, "", now_ms, process_bytes)
}

/// Loads the benchmark's tables with a `rows`-row `t` and times each of `queries` whose name
/// contains `only` (best of `runs`).
fn run_sql_benchmark(
    rows: usize,
    queries: &[(&str, &str)],
    runs: usize,
    only: &str,
    now_ms: &mut dyn FnMut() -> f64,
    process_bytes: &mut dyn FnMut() -> Option<usize>,
) -> SqlReport {
    let start = now_ms();
    let mut session = crate::sql::datasets::bench::session(rows);
    let load_ms = now_ms() - start;
    let process_bytes = process_bytes();
    let memory_bytes = ["t", "d"]
        .iter()
        .filter_map(|name| session.table(name))
        .map(|source| source.table().memory_bytes())
        .sum();
    let mut timings = vec![(
        "load the tables".to_string(),
        load_ms,
        format!("{rows} + 100000 rows"),
    )];
    // The benchmark lifts the budgets that keep a learner's query from freezing the page.
    session.limits.work_max = u64::MAX;
    session.limits.rows_max = usize::MAX;
    for (name, sql) in queries.iter().filter(|(n, _)| n.contains(only)) {
        let mut best = f64::INFINITY;
        let mut summary = String::new();
        for _ in 0..runs.max(1) {
            let start = now_ms();
            let result = session.execute(sql);
            best = best.min(now_ms() - start);
            summary = match result {
                Ok(mut outcomes) => match outcomes.pop() {
                    Some(crate::sql::Outcome::Rows(r)) => format!("{} row(s)", r.table.rows),
                    _ => "no rows".into(),
                },
                Err(e) => format!("error: {e}"),
            };
        }
        timings.push((name.to_string(), best, summary));
    }
    SqlReport {
        timings,
        memory_bytes,
        process_bytes,
    }
}

/// One variant of the point-in-time join benchmark: the median time of its runs and what the
/// join produced (the checksum the peers are checked against).
#[derive(Clone, Copy, Debug)]
pub struct PitTiming {
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub checksum: crate::features::samples::bench::PitChecksum,
}

/// The point-in-time join benchmark: Feast's `get_historical_features` over
/// [`crate::features::samples::bench`]'s data, without and with the created-time cutoff.
#[derive(Clone, Debug)]
pub struct PitReport {
    pub shape: crate::features::samples::bench::PitShape,
    pub runs: usize,
    pub generate_ms: f64,
    pub plain: PitTiming,
    pub cutoff: PitTiming,
}

/// The seed of the point-in-time join benchmark's data.
pub const PIT_BENCH_SEED: Seed = Seed(13);

/// Generates the benchmark's data (timed apart) and runs each variant `runs` times.
pub fn pit_benchmark(
    shape: crate::features::samples::bench::PitShape,
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> PitReport {
    let start = now_ms();
    let data = crate::features::samples::bench::pit_bench(shape, PIT_BENCH_SEED);
    let generate_ms = now_ms() - start;
    PitReport {
        shape,
        runs: runs.max(1),
        generate_ms,
        plain: time_pit_join(&data, false, runs, now_ms),
        cutoff: time_pit_join(&data, true, runs, now_ms),
    }
}

/// Times the join alone: the data is in memory before, the checksum is taken after.
fn time_pit_join(
    data: &crate::features::samples::bench::PitBench,
    created_cutoff: bool,
    runs: usize,
    now_ms: &mut dyn FnMut() -> f64,
) -> PitTiming {
    use crate::features::historical::{get_historical_features, HistoricalOptions};
    use crate::features::samples::bench::pit_checksum;
    let options = HistoricalOptions {
        created_cutoff,
        ..HistoricalOptions::default()
    };
    let mut times = Vec::with_capacity(runs.max(1));
    let mut checksum = None;
    for _ in 0..runs.max(1) {
        let start = now_ms();
        let set = get_historical_features(
            &data.repo,
            &data.sources,
            &data.entities,
            &data.refs,
            options,
        );
        times.push(now_ms() - start);
        checksum = set.as_ref().ok().map(pit_checksum);
    }
    sim::sort::sort_by(&mut times, f64::total_cmp);
    PitTiming {
        median_ms: percentile(&times, 0.5),
        min_ms: times[0],
        max_ms: times[times.len() - 1],
        checksum: checksum.unwrap_or(crate::features::samples::bench::PitChecksum {
            matched: 0,
            weighted: 0,
        }),
    }
}

impl PitReport {
    /// Rows of (measure, value) for a table.
    pub fn rows(&self) -> Vec<(String, String)> {
        let timing = |t: &PitTiming| {
            format!(
                "{:.1} ms (min {:.1}, max {:.1}); {} rows matched, checksum {}",
                t.median_ms, t.min_ms, t.max_ms, t.checksum.matched, t.checksum.weighted
            )
        };
        vec![
            (
                "data".into(),
                format!(
                    "{} feature rows, {} entity rows, {} integer keys, TTL 1 day",
                    self.shape.feature_rows, self.shape.entity_rows, self.shape.keys
                ),
            ),
            (
                "generate the data (not part of the join)".into(),
                format!("{:.0} ms", self.generate_ms),
            ),
            (
                format!("point-in-time LEFT join, median of {}", self.runs),
                timing(&self.plain),
            ),
            (
                format!("with the created-time cutoff, median of {}", self.runs),
                timing(&self.cutoff),
            ),
        ]
    }

    /// The measurements as `name value` lines, for the peers' script to compare against.
    pub fn key_values(&self) -> String {
        let mut out = format!(
            "feature_rows {}\nentity_rows {}\nkeys {}\nruns {}\n",
            self.shape.feature_rows, self.shape.entity_rows, self.shape.keys, self.runs
        );
        for (name, t) in [("plain", &self.plain), ("cutoff", &self.cutoff)] {
            out.push_str(&format!(
                "{name}_ms {:.3}\n{name}_min_ms {:.3}\n{name}_matched {}\n{name}_weighted {}\n",
                t.median_ms, t.min_ms, t.checksum.matched, t.checksum.weighted
            ));
        }
        out
    }
}
