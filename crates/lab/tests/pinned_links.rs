//! Share links already handed out must keep their meaning. `tests/pinned/links.txt` holds one
//! `fl1.` link per starting preset (and more for commands added later, see `later_journals`),
//! together covering every command tag of the journal format,
//! each with the tick it ends at and the state hash it replays to. Any change to the journal's
//! bytes, a command's meaning or the simulation that alters what an old link shows fails here.
//! Then either the change is a mistake, or the link format's version is bumped (`fl2.`) with a
//! decoder kept for `fl1.`.
//!
//! The file is written by `UPDATE_PINNED_LINKS=1 cargo test -p lab --test pinned_links`, which is
//! only right when the state hash function itself changed on purpose (the links stay; only their
//! fingerprints are re-recorded) or a new command gets its first pinned link.

use lab::broker::assignor::Strategy;
use lab::broker::cluster::BrokerCommand as B;
use lab::broker::controller::ControllerId;
use lab::broker::group::{CommitPolicy, ConsumerConfig, ConsumerId, GroupProtocol};
use lab::broker::log::{IsolationLevel, Offset};
use lab::broker::node::{ClusterSettings, Link};
use lab::broker::producer::{Acks, ProducerConfig, ProducerId};
use lab::broker::queue::{QueueCommand, QueueConsumerId};
use lab::broker::topic::TopicSettings;
use lab::broker::{BrokerId, PartitionId};
use lab::clock::Tick;
use lab::codec::{DecodeError, Reader, Writer};
use lab::registry::{Level, Mode, RegistryCommand, Version};
use lab::rng::Seed;
use lab::share_link;
use lab::sim::model::Model;
use lab::state::{Command, Lab, LabConfig, Preset};
use lab::steps::{parse_steps, Step};
use lab::stream::SourceId;
use lab::timeline::Timeline;
use std::collections::BTreeSet;

const FIXTURE: &str = "tests/pinned/links.txt";

/// The journal format's command tags: the top-level tag, and for broker and queue commands the
/// tag of the inner command. Found by asking the decoder, so a tag added to the codec is seen here
/// without editing this test.
fn known_tags() -> BTreeSet<(u8, Option<u8>)> {
    let unknown = |bytes: &[u8], what: &str| {
        matches!(
            <Lab as Model>::decode_command(&mut Reader::new(bytes)),
            Err(DecodeError::Invalid(w)) if w == what
        )
    };
    let mut tags = BTreeSet::new();
    for tag in 0..=u8::MAX {
        if unknown(&[tag], "command") {
            continue;
        }
        let inner = match tag {
            3 => Some("broker command"),
            4 => Some("queue command"),
            _ => None,
        };
        match inner {
            None => {
                tags.insert((tag, None));
            }
            Some(what) => {
                for sub in 0..=u8::MAX {
                    if !unknown(&[tag, sub], what) {
                        tags.insert((tag, Some(sub)));
                    }
                }
            }
        }
    }
    tags
}

fn tags_of(command: &Command) -> (u8, Option<u8>) {
    let mut w = Writer::new();
    <Lab as Model>::encode_command(command, &mut w);
    let bytes = w.into_bytes();
    match bytes[0] {
        3 | 4 => (bytes[0], Some(bytes[1])),
        tag => (tag, None),
    }
}

/// Journals pinned after a preset's first one, for commands added later: a link recorded
/// before a command existed keeps its bytes, so the new command gets a link of its own.
fn later_journals(preset: Preset) -> Vec<(Vec<(u64, Command)>, u64)> {
    let b = Command::Broker;
    let producer = ProducerId(1);
    match preset {
        // Transactions, read_committed, KIP-848 and max.poll.interval.ms (Kafka 4 clients).
        Preset::Broker => vec![(
            vec![
                (
                    0,
                    b(B::CreateTopic {
                        name: "enriched".into(),
                        partitions: 1,
                        settings: TopicSettings::default(),
                    }),
                ),
                (
                    0,
                    b(B::AddConsumer {
                        group: "committed".into(),
                        topics: vec!["orders".into()],
                        instance_id: None,
                        config: ConsumerConfig {
                            isolation: IsolationLevel::ReadCommitted,
                            commit: CommitPolicy::Manual,
                            ..ConsumerConfig::default()
                        },
                    }),
                ),
                (
                    0,
                    b(B::AddConsumer {
                        group: "modern".into(),
                        topics: vec!["orders".into()],
                        instance_id: Some("modern-1".into()),
                        config: ConsumerConfig {
                            protocol: GroupProtocol::Consumer,
                            ..ConsumerConfig::default()
                        },
                    }),
                ),
                (
                    1,
                    b(B::InitTransactions {
                        producer,
                        transactional_id: "tx-1".into(),
                        timeout_ticks: 600,
                    }),
                ),
                (2, b(B::BeginTransaction { producer })),
                (
                    2,
                    b(B::Produce {
                        producer,
                        topic: "orders".into(),
                        partition: None,
                        key: Some("user-{n}".into()),
                        value: Some("v{n}".into()),
                        count: 6,
                        header: None,
                    }),
                ),
                (4, b(B::AbortTransaction { producer })),
                (6, b(B::BeginTransaction { producer })),
                (
                    6,
                    b(B::ProcessInTransaction {
                        producer,
                        consumer: ConsumerId(1),
                        topic: "enriched".into(),
                    }),
                ),
                (
                    7,
                    b(B::SendOffsetsToTransaction {
                        producer,
                        consumer: ConsumerId(1),
                    }),
                ),
                (8, b(B::CommitTransaction { producer })),
                (
                    9,
                    b(B::SetConsumerConfig {
                        consumer: ConsumerId(1),
                        config: ConsumerConfig {
                            isolation: IsolationLevel::ReadCommitted,
                            ..ConsumerConfig::default()
                        },
                    }),
                ),
                (
                    10,
                    b(B::SetConsumerConfig {
                        consumer: ConsumerId(2),
                        config: ConsumerConfig {
                            protocol: GroupProtocol::Consumer,
                            max_poll_interval_ticks: 50,
                            processing_ticks: 80,
                            ..ConsumerConfig::default()
                        },
                    }),
                ),
            ],
            200,
        )],
        // A feature view of the learner's own (AddView), requested and served.
        Preset::FeatureStore => {
            let store = lab::features::store::FeatureStore::new();
            let view = lab::feature_lab::view_from_csv(
                &store,
                "ratings",
                "driver",
                None,
                "driver_id,event_timestamp,rating,tier\n1767,2024-03-01 05:00:00,4.5,gold\n1682,2024-03-01 06:00:00,,silver\n",
            )
            .unwrap();
            let steps = [
                "request ratings:rating,ratings:tier",
                "serve 2024-03-01 2024-03-01T08:00 every=1h",
            ];
            let mut commands = vec![(0, Command::Features(view))];
            for (i, line) in steps.iter().enumerate() {
                match parse_steps(line).unwrap().remove(0) {
                    Step::Lab(command) => commands.push((1 + i as u64, command)),
                    other => panic!("{line}: {other:?}"),
                }
            }
            vec![(commands, 10)]
        }
        // The training samples' label wait and the medallion's expectation actions.
        Preset::Streaming => vec![
            (
                [
                    (0, "sample-wait 300s"),
                    (0, "expect known_status drop"),
                    (150, "expect non_negative_amount warn"),
                ]
                .iter()
                .map(|(at, line)| match parse_steps(line).unwrap().remove(0) {
                    Step::Lab(command) => (*at, command),
                    other => panic!("{line}: {other:?}"),
                })
                .collect(),
                400,
            ),
            // The joins' bounds and the stream-table join's time (tags 14 and 15).
            (
                [
                    (0, "join-bounds -10s 1m"),
                    (100, "table-join event-time"),
                    (
                        150,
                        "click u3 at=00:00:02 partition=0 page=checkout amount=9",
                    ),
                ]
                .iter()
                .map(|(at, line)| match parse_steps(line).unwrap().remove(0) {
                    Step::Lab(command) => (*at, command),
                    other => panic!("{line}: {other:?}"),
                })
                .collect(),
                200,
            ),
        ],
        _ => Vec::new(),
    }
}

/// What each preset's pinned journal does: (tick, command), ending at `end`.
fn journal_of(preset: Preset) -> (Vec<(u64, Command)>, u64) {
    let b = Command::Broker;
    let consumer = ConsumerId(1);
    let produce = |key: Option<&str>, value: Option<&str>, count: u16| {
        b(B::Produce {
            producer: ProducerId(1),
            topic: if preset == Preset::BrokerCompacted && key.is_some() {
                "profiles".into()
            } else {
                "orders".into()
            },
            partition: None,
            key: key.map(str::to_string),
            value: value.map(str::to_string),
            count,
            header: None,
        })
    };
    match preset {
        Preset::Quiet | Preset::TwoSources | Preset::Busy => (
            vec![
                (
                    0,
                    Command::Emit {
                        source: SourceId(0),
                        count: 3,
                    },
                ),
                (
                    5,
                    Command::SetChance {
                        source: SourceId(0),
                        chance_per_tick_permille: 900,
                    },
                ),
                (
                    9,
                    Command::AddSource {
                        name: "sensor-2".into(),
                    },
                ),
                (
                    12,
                    Command::SetChance {
                        source: SourceId(1),
                        chance_per_tick_permille: 250,
                    },
                ),
                (
                    30,
                    Command::Emit {
                        source: SourceId(1),
                        count: 7,
                    },
                ),
            ],
            80,
        ),
        Preset::Broker => (
            vec![
                (
                    0,
                    b(B::AddConsumer {
                        group: "g".into(),
                        topics: vec!["orders".into()],
                        instance_id: None,
                        config: ConsumerConfig::default(),
                    }),
                ),
                (0, produce(Some("user-{n}"), Some("v{n}"), 12)),
                (
                    2,
                    b(B::CreateTopic {
                        name: "events".into(),
                        partitions: 2,
                        settings: settings_when_pinned(),
                    }),
                ),
                (
                    3,
                    b(B::SetTopicSettings {
                        topic: "events".into(),
                        settings: settings_when_pinned(),
                    }),
                ),
                (
                    4,
                    b(B::AddProducer {
                        config: ProducerConfig::default(),
                    }),
                ),
                (
                    5,
                    b(B::SetProducerConfig {
                        producer: ProducerId(2),
                        config: ProducerConfig {
                            idempotence: false,
                            acks: Acks::One,
                            ..ProducerConfig::default()
                        },
                    }),
                ),
                (
                    6,
                    b(B::SetProducerRate {
                        producer: ProducerId(2),
                        topic: "events".into(),
                        key: None,
                        value: Some("e{n}".into()),
                        records_per_tick: 2,
                    }),
                ),
                (8, b(B::AddBroker)),
                (
                    10,
                    b(B::SetConsumerConfig {
                        consumer,
                        config: ConsumerConfig {
                            commit: CommitPolicy::Manual,
                            ..ConsumerConfig::default()
                        },
                    }),
                ),
                (
                    20,
                    b(B::CommitConsumer {
                        consumer,
                        asynchronous: false,
                    }),
                ),
                (
                    21,
                    b(B::SetGroupStrategy {
                        group: "g".into(),
                        strategy: Strategy::CooperativeSticky,
                    }),
                ),
                (
                    24,
                    b(B::SeekConsumer {
                        consumer,
                        topic: "orders".into(),
                        partition: PartitionId(0),
                        offset: Offset(0),
                    }),
                ),
                (26, b(B::CrashConsumer { consumer })),
                (40, b(B::RestartConsumer { consumer })),
                (50, b(B::CloseConsumer { consumer })),
                (
                    60,
                    b(B::ResetGroupOffsets {
                        group: "g".into(),
                        to_earliest: true,
                    }),
                ),
            ],
            90,
        ),
        Preset::BrokerCompacted => (
            vec![
                (0, produce(Some("user-{n}"), Some("profile-{n}"), 20)),
                (10, produce(Some("user-1"), None, 1)),
                (11, produce(None, Some("order-{n}"), 5)),
            ],
            200,
        ),
        Preset::QueueVsLog => (
            vec![
                (
                    0,
                    Command::Queue(QueueCommand::AddConsumer {
                        prefetch: 2,
                        processing_ticks: 3,
                    }),
                ),
                (0, Command::Queue(QueueCommand::Publish { count: 10 })),
                (0, produce(None, Some("v{n}"), 10)),
                (
                    5,
                    Command::Queue(QueueCommand::CrashConsumer {
                        consumer: QueueConsumerId(1),
                    }),
                ),
            ],
            40,
        ),
        Preset::Replicated => (
            vec![
                (0, produce(Some("k{n}"), Some("v{n}"), 30)),
                (
                    10,
                    b(B::KillBroker {
                        broker: BrokerId(1),
                    }),
                ),
                (
                    40,
                    b(B::RestartBroker {
                        broker: BrokerId(1),
                    }),
                ),
                (
                    80,
                    b(B::ShutdownBroker {
                        broker: BrokerId(2),
                    }),
                ),
                (
                    100,
                    b(B::RestartBroker {
                        broker: BrokerId(2),
                    }),
                ),
                (
                    110,
                    b(B::SlowBroker {
                        broker: BrokerId(3),
                        fetch_every_ticks: 30,
                    }),
                ),
                (
                    120,
                    b(B::CutLink {
                        broker: BrokerId(2),
                        link: Link::Clients,
                        cut: true,
                    }),
                ),
                (
                    130,
                    b(B::HealBroker {
                        broker: BrokerId(2),
                    }),
                ),
                (
                    131,
                    b(B::HealBroker {
                        broker: BrokerId(3),
                    }),
                ),
                (
                    140,
                    b(B::KillController {
                        controller: ControllerId(1),
                    }),
                ),
                (
                    170,
                    b(B::RestartController {
                        controller: ControllerId(1),
                    }),
                ),
                (
                    200,
                    b(B::SetClusterSettings {
                        settings: ClusterSettings {
                            replica_lag_max_ticks: 50,
                            ..ClusterSettings::default()
                        },
                    }),
                ),
                (
                    210,
                    b(B::AlterTopicConfig {
                        topic: "orders".into(),
                        min_insync_replicas: Some(1),
                        unclean_leader_election: Some(true),
                    }),
                ),
                (260, b(B::ElectPreferredLeaders)),
                (270, produce(Some("k{n}"), Some("w{n}"), 10)),
            ],
            320,
        ),
        Preset::SchemaRegistry => {
            let v2 = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null},{"name":"plan","type":"string","default":"free"}]}"#;
            let avro = |at: u64, schema: &str, value: &str| {
                (
                    at,
                    Command::ProduceAvro {
                        producer: ProducerId(1),
                        topic: "users".into(),
                        schema: schema.into(),
                        value: value.into(),
                    },
                )
            };
            (
                vec![
                    avro(
                        0,
                        lab::schemas::USERS_V1,
                        r#"{"id":1,"name":"a","email":null}"#,
                    ),
                    (
                        3,
                        Command::Registry(RegistryCommand::Register {
                            subject: "users-value".into(),
                            schema: v2.replace(r#","default":"free""#, ""),
                        }),
                    ),
                    (
                        4,
                        Command::Registry(RegistryCommand::SetCompatibility {
                            subject: "users-value".into(),
                            level: Level::Check(Mode::Forward),
                        }),
                    ),
                    avro(
                        6,
                        v2,
                        r#"{"id":2,"name":"b","email":{"string":"b@x"},"plan":"pro"}"#,
                    ),
                    (
                        8,
                        Command::ReadWith {
                            subject: "users-value".into(),
                            version: Some(Version(2)),
                        },
                    ),
                    (
                        9,
                        b(B::ProduceBytes {
                            producer: ProducerId(1),
                            topic: "numbers".into(),
                            key: Some("k".into()),
                            value: vec![0, 0, 0, 0, 1, 0x36],
                        }),
                    ),
                ],
                20,
            )
        }
        // Every feature-store command, written as the steps language writes them.
        Preset::FeatureStore => (
            [
                "entities ride_labels",
                "request service=ride_model",
                "join latest-value",
                "join point-in-time",
                "cutoff on",
                "full-names on",
                "ttl customer_daily_profile 6h",
                "ttl driver_hourly_stats none",
                "write-policy event-time-guarded",
                "online-ttl on",
                "materialize 2024-03-05 2024-03-08 views=driver_hourly_stats",
                "materialize-incremental 2024-03-09T06:00",
                "read-online 17,203 at=2024-03-09T10:00",
                "serve 2024-03-11 2024-03-11T12:00 every=1h",
            ]
            .iter()
            .enumerate()
            .map(|(i, line)| match parse_steps(line).unwrap().remove(0) {
                Step::Lab(command) => (i as u64, command),
                other => panic!("{line}: {other:?}"),
            })
            .chain(std::iter::once((
                15,
                Command::Features(
                    lab::feature_lab::entity_rows_from_csv(
                        "mine",
                        "driver_id,customer_id,event_timestamp,score\n1001,7,2024-03-05 10:00:00,0.5\n1002,,2024-03-06 11:30:00,\n",
                    )
                    .unwrap(),
                ),
            )))
            .collect(),
            20,
        ),
        // Every streaming command, written as the steps language writes them.
        Preset::Streaming => (
            [
                "click u1 at=00:00:01.5 partition=2 page=cart amount=7",
                "generator 3 disorder=2s",
                "pause-partition 1",
                "resume-partition 1",
                "window hop 10s 5s",
                "query SELECT window_start, window_end, page, count(*) AS n FROM SESSION(clicks, event_time, INTERVAL '4' SECOND) GROUP BY window_start, window_end, page",
                "watermark-delay 500ms",
                "lateness 5s",
                "idle-timeout 3s",
                "emit changes",
                "guarantee exactly-once",
                "checkpoint-every 2s",
                "crash-job",
                "restart-job",
            ]
            .iter()
            .enumerate()
            .map(|(i, line)| match parse_steps(line).unwrap().remove(0) {
                Step::Lab(command) => (5 * i as u64, command),
                other => panic!("{line}: {other:?}"),
            })
            .collect(),
            100,
        ),
        Preset::Rollouts => (
            [
                (0, "traffic 30"),
                (0, "cookie u42 canary=always"),
                (1, "deploy v2 error:0.5% p99:400"),
                (40, "inject v2 p99:900"),
                (40, "shift-drift feature 1"),
                (50, "promote"),
                (60, "deploy v3 error:20%"),
                (61, "abort"),
                (62, "retry"),
                (63, "promote-full"),
                (70, "rollout-spec flagger-canary"),
                (71, "deploy v4"),
                (72, "confirm"),
            ]
            .iter()
            .map(|(at, line)| match parse_steps(line).unwrap().remove(0) {
                Step::Lab(command) => (*at, command),
                other => panic!("{line}: {other:?}"),
            })
            .collect(),
            120,
        ),
        // Every experiments command, written as the steps language writes them.
        Preset::Experiments => (
            [
                (0, "exp-traffic 300"),
                (0, "exp-effect revenue treatment +3%"),
                (0, "exp-cuped on"),
                (1, "exp-peeking seed:3 tests:40 days:7 users:50"),
                (1, "exp-interleave seed:2 a-noise:1.5 b-noise:0.5"),
                (2, "exp-bandit epsilon:0.1 rates:2%,5% pulls:20 seed:4"),
                (20, "exp-lose-logs treatment 10%"),
                (30, "exp-lose-logs off"),
                (30, "exp-sticky on"),
                (31, "exp-weights 40 60"),
                (32, "exp-sticky off"),
                (33, "exp-key checkout-2027"),
                (34, "exp-coverage 80"),
                (35, "exp-namespace 0-60"),
                (36, "exp-holdout 5"),
                (40, "exp-engine sequential"),
                (41, "exp-lift absolute"),
                (42, "exp-correction holm"),
                (43, "exp-plan-days 21"),
                (44, "exp-bandit-stop"),
                (48, "exp-restart"),
                (48, "exp-weights 34 33 33"),
                (49, "exp-engine bayesian"),
            ]
            .iter()
            .map(|(at, line)| match parse_steps(line).unwrap().remove(0) {
                Step::Lab(command) => (*at, command),
                other => panic!("{line}: {other:?}"),
            })
            .collect(),
            72,
        ),
        // The pipeline: a release of v2, a crashed and restarted job, a skew and a threshold.
        Preset::Pipeline => (
            [
                (30, "pipe-deploy v2"),
                (60, "pipe-crash-job"),
                (90, "pipe-restart-job"),
                (100, "pipe-skew clicks 200%"),
                (110, "pipe-threshold 0.8"),
                (120, "pipe-push off"),
            ]
            .iter()
            .map(|(at, line)| match parse_steps(line).unwrap().remove(0) {
                Step::Lab(command) => (*at, command),
                other => panic!("{line}: {other:?}"),
            })
            .collect(),
            150,
        ),
        Preset::Cluster => (
            [
                (0, "cluster partitions 4"),
                (0, "cluster broadcast 20KiB"),
                (0, "cluster cache push_events"),
                (1, "cluster sql SELECT event_type, count(*) FROM push_events GROUP BY event_type"),
                (5, "cluster slow 1 25%"),
                (8, "cluster kill 2"),
                (9, "cluster add-executor"),
                (60, "cluster aqe off"),
                (60, "cluster speculation on"),
                (60, "cluster broadcast off"),
                (61, "cluster mapreduce pvuv reducers=3 partitioner=hash input=push_events"),
                (100, "cluster mapreduce wordcount combiner=off input=previous"),
                (450, "cluster uncache push_events"),
                (450, "cluster executors 3"),
                (450, "cluster cores 1"),
            ]
            .iter()
            .map(|(at, line)| match parse_steps(line).unwrap().remove(0) {
                Step::Lab(command) => (*at, command),
                other => panic!("{line}: {other:?}"),
            })
            .collect(),
            470,
        ),
    }
}

/// Runs a preset's pinned journal through a live timeline.
fn record(preset: Preset) -> Timeline {
    let (commands, end) = journal_of(preset);
    record_journal(preset, commands, end)
}

/// Every pinned journal of a preset: its first, then the later ones.
fn record_all(preset: Preset) -> Vec<Timeline> {
    std::iter::once(record(preset))
        .chain(
            later_journals(preset)
                .into_iter()
                .map(|(commands, end)| record_journal(preset, commands, end)),
        )
        .collect()
}

fn record_journal(preset: Preset, commands: Vec<(u64, Command)>, end: u64) -> Timeline {
    let mut timeline = Timeline::new(LabConfig {
        seed: Seed(2024),
        preset,
    });
    for (at, command) in commands {
        while timeline.end() < Tick(at) {
            timeline.advance_head().unwrap();
        }
        if let Err(e) = timeline.apply_at(Tick(at), command.clone()) {
            panic!("{}: {command:?} at tick {at} refused: {e}", preset.name());
        }
    }
    while timeline.end() < Tick(end) {
        timeline.advance_head().unwrap();
    }
    timeline
}

struct Pinned {
    preset: String,
    end: u64,
    hash: String,
    link: String,
}

fn read_fixture() -> Vec<Pinned> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [preset, end, hash, link] = fields[..] else {
                panic!("bad fixture line: {line}");
            };
            Pinned {
                preset: preset.into(),
                end: end.parse().unwrap(),
                hash: hash.into(),
                link: link.into(),
            }
        })
        .collect()
}

fn write_fixture() {
    let mut out = String::from(
        "# Pinned share links: preset, end tick, state hash at the end, link. See tests/pinned_links.rs.\n",
    );
    for timeline in Preset::ALL.into_iter().flat_map(record_all) {
        let preset = timeline.journal().config().preset;
        out.push_str(&format!(
            "{} {} {:016x} {}\n",
            preset.name(),
            timeline.end().0,
            timeline.head().state_hash(),
            share_link::encode(timeline.journal())
        ));
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, out).unwrap();
}

#[test]
fn pinned_links_replay_to_their_pinned_states() {
    if std::env::var_os("UPDATE_PINNED_LINKS").is_some() {
        write_fixture();
    }
    let pinned = read_fixture();
    let presets: BTreeSet<&str> = pinned.iter().map(|p| p.preset.as_str()).collect();
    let all: BTreeSet<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(presets, all, "every preset has a pinned link");
    let mut covered = BTreeSet::new();
    for p in &pinned {
        let timeline = share_link::open(&p.link)
            .unwrap_or_else(|e| panic!("{}: the pinned link no longer opens: {e}", p.preset));
        assert_eq!(timeline.journal().config().preset.name(), p.preset);
        assert_eq!(timeline.end(), Tick(p.end), "{}", p.preset);
        assert_eq!(
            format!("{:016x}", timeline.head().state_hash()),
            p.hash,
            "{}: the pinned link now replays to another state",
            p.preset
        );
        // The link is what this version would write for the same journal: the format is stable
        // in both directions.
        assert_eq!(
            share_link::encode(timeline.journal()),
            p.link,
            "{}",
            p.preset
        );
        covered.extend(
            timeline
                .journal()
                .entries()
                .iter()
                .map(|e| tags_of(&e.command)),
        );
    }
    let missing: Vec<_> = known_tags().difference(&covered).copied().collect();
    assert!(
        missing.is_empty(),
        "command tags with no pinned link (top-level tag, inner tag): {missing:?}; add the new \
         command to later_journals() and re-record with UPDATE_PINNED_LINKS=1"
    );
}

/// The pinned journals are what `journal_of` builds today: re-recording would change nothing
/// but the hash when only the hash function changed.
#[test]
fn pinned_links_hold_the_journals_this_file_describes() {
    let pinned = read_fixture();
    let recorded: Vec<Timeline> = Preset::ALL.into_iter().flat_map(record_all).collect();
    assert_eq!(
        pinned.len(),
        recorded.len(),
        "one fixture line per pinned journal"
    );
    for (p, timeline) in pinned.iter().zip(&recorded) {
        assert_eq!(
            &share_link::decode(&p.link).unwrap(),
            timeline.journal(),
            "{}",
            p.preset
        );
        assert_eq!(
            timeline.head(),
            &share_link::open(&p.link).unwrap().head().clone()
        );
    }
}

/// The topic settings the pinned link was recorded with: the defaults of the time, when
/// retention defaulted to Kafka's 7 days counted in ticks (the lab's defaults are now minutes).
fn settings_when_pinned() -> TopicSettings {
    let mut settings = TopicSettings::default();
    settings.log.segment_ticks = 604_800_000;
    settings.log.retention_ticks = Some(604_800_000);
    settings.log.delete_retention_ticks = 86_400_000;
    settings
}
