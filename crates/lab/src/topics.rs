//! The broker's live state as SQL tables: every topic is a table of its committed records (up to
//! the high watermark of the state on screen), and two system tables describe partitions and
//! consumer-group lag. They are rebuilt from the lab's state at the tick being looked at, so a
//! query over a topic follows the time controls like every other view.

use crate::broker::cluster::Cluster;
use sql::column::{Column, Field, Table};
use sql::session::{LiveTables, Session};
use sql::value::{DataType, Value};

/// The partitions system table's name.
pub const PARTITIONS_TABLE: &str = "kafka_partitions";
/// The consumer-lag system table's name.
pub const LAG_TABLE: &str = "kafka_consumer_lag";
/// Microseconds of lab time per tick (one tick is about 100 ms).
pub const MICROS_PER_TICK: i64 = 100_000;
/// Tick 0 as a timestamp: 2024-01-01 00:00:00.
pub const EPOCH_MICROS: i64 = 19_723 * sql::value::MICROS_PER_DAY;

fn field(name: &str, data_type: DataType) -> Field {
    Field {
        name: name.into(),
        data_type,
    }
}

fn text_or_null(bytes: &Option<Vec<u8>>) -> Value {
    bytes
        .as_ref()
        .map_or(Value::Null, |b| Value::text(&String::from_utf8_lossy(b)))
}

/// A topic's records below the high watermark, oldest first per partition, as a read_uncommitted
/// consumer gets them: transaction markers are left out (no client ever gets one).
pub fn topic_table(cluster: &Cluster, topic: &str) -> Option<Table> {
    let t = cluster.topics().get(topic)?;
    let fields = vec![
        field("partition", DataType::BigInt),
        field("offset", DataType::BigInt),
        field("timestamp", DataType::Timestamp),
        field("tick", DataType::BigInt),
        field("key", DataType::Text),
        field("value", DataType::Text),
        field("headers", DataType::Text),
    ];
    let mut columns: Vec<Column> = fields.iter().map(|f| Column::empty(f.data_type)).collect();
    let mut rows = 0;
    for p in t.partitions() {
        let Some(log) = p.elected_leader_log() else {
            continue;
        };
        let markers = log.marker_offsets();
        for r in log
            .records()
            .filter(|r| r.offset < p.hw() && !markers.contains_key(&r.offset))
        {
            let headers: Vec<String> = r
                .headers
                .iter()
                .map(|(k, v)| format!("{k}={}", String::from_utf8_lossy(v)))
                .collect();
            let row = [
                Value::BigInt(i64::from(p.id().0)),
                Value::BigInt(r.offset.0 as i64),
                Value::Timestamp(EPOCH_MICROS + r.timestamp.0 as i64 * MICROS_PER_TICK),
                Value::BigInt(r.timestamp.0 as i64),
                text_or_null(&r.key),
                text_or_null(&r.value),
                if headers.is_empty() {
                    Value::Null
                } else {
                    Value::text(&headers.join(";"))
                },
            ];
            for (c, v) in columns.iter_mut().zip(&row) {
                c.push(v);
            }
            rows += 1;
        }
    }
    Some(Table {
        fields,
        columns,
        rows,
    })
}

/// One row per partition: leader, ISR, epochs, high watermark, log end, log start.
pub fn partitions_table(cluster: &Cluster) -> Table {
    let fields = vec![
        field("topic", DataType::Text),
        field("partition", DataType::BigInt),
        field("leader", DataType::BigInt),
        field("isr", DataType::Text),
        field("leader_epoch", DataType::BigInt),
        field("hw", DataType::BigInt),
        field("leo", DataType::BigInt),
        field("log_start", DataType::BigInt),
        field("under_replicated", DataType::Boolean),
    ];
    let mut rows = Vec::new();
    for t in cluster.topics().values() {
        for p in t.partitions() {
            let isr: Vec<String> = p.isr().iter().map(|b| b.0.to_string()).collect();
            rows.push(vec![
                Value::text(t.name()),
                Value::BigInt(i64::from(p.id().0)),
                p.leader()
                    .map_or(Value::Null, |b| Value::BigInt(i64::from(b.0))),
                Value::text(&isr.join(",")),
                Value::BigInt(i64::from(p.leader_epoch())),
                Value::BigInt(p.hw().0 as i64),
                Value::BigInt(p.leo().0 as i64),
                Value::BigInt(p.log_start().0 as i64),
                Value::Boolean(p.under_replicated()),
            ]);
        }
    }
    Table::from_rows(fields, &rows)
}

/// One row per group and partition it reads: committed offset, high watermark, lag.
pub fn lag_table(cluster: &Cluster) -> Table {
    let fields = vec![
        field("group_id", DataType::Text),
        field("topic", DataType::Text),
        field("partition", DataType::BigInt),
        field("committed", DataType::BigInt),
        field("hw", DataType::BigInt),
        field("lag", DataType::BigInt),
    ];
    let mut rows = Vec::new();
    for (group, tp, lag) in cluster.lags() {
        let committed = cluster
            .groups()
            .get(&group)
            .and_then(|g| g.committed().get(&tp))
            .map_or(Value::Null, |c| Value::BigInt(c.offset.0 as i64));
        let hw = cluster
            .topics()
            .get(&tp.topic)
            .and_then(|t| t.partition(tp.partition))
            .map_or(Value::Null, |p| Value::BigInt(p.hw().0 as i64));
        rows.push(vec![
            Value::text(&group),
            Value::text(&tp.topic),
            Value::BigInt(i64::from(tp.partition.0)),
            committed,
            hw,
            Value::BigInt(lag as i64),
        ]);
    }
    Table::from_rows(fields, &rows)
}

/// A cluster's topics and its two system tables, as the SQL engine's live tables.
pub struct TopicTables<'a>(pub &'a Cluster);

impl LiveTables for TopicTables<'_> {
    fn live_tables(&self) -> Vec<(String, Table)> {
        let cluster = self.0;
        let topics = cluster
            .topics()
            .keys()
            .filter_map(|name| Some((name.clone(), topic_table(cluster, name)?)));
        topics
            .chain([
                (PARTITIONS_TABLE.to_string(), partitions_table(cluster)),
                (LAG_TABLE.to_string(), lag_table(cluster)),
            ])
            .collect()
    }
}

/// Registers every topic and the two system tables of `cluster` as read-only tables of
/// `session`, replacing what an earlier state registered (a topic not created yet at this tick
/// is not there). A learner's table with a topic's name keeps it (the topic is then reachable
/// only through the system tables).
pub fn register(session: &mut Session, cluster: &Cluster) {
    session.set_live(&TopicTables(cluster));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::cluster::BrokerCommand;
    use crate::broker::group::ConsumerConfig;
    use crate::broker::producer::ProducerId;
    use crate::clock::Tick;
    use crate::rng::Seed;
    use crate::sql::session::Outcome;
    use crate::state::{Command, LabConfig, Preset};
    use crate::timeline::Timeline;

    #[test]
    fn topics_read_up_to_the_high_watermark_at_the_tick_on_screen() {
        let mut timeline = Timeline::new(LabConfig {
            seed: Seed(1),
            preset: Preset::Broker,
        });
        let produce = BrokerCommand::Produce {
            producer: ProducerId(1),
            topic: "orders".into(),
            partition: None,
            key: Some("user-{n}".into()),
            value: Some("order-{n}".into()),
            count: 30,
            header: None,
        };
        timeline
            .apply_at(Tick(0), Command::Broker(produce))
            .unwrap();
        let consumer = BrokerCommand::AddConsumer {
            group: "g".into(),
            topics: vec!["orders".into()],
            instance_id: None,
            config: ConsumerConfig::default(),
        };
        timeline
            .apply_at(Tick(0), Command::Broker(consumer))
            .unwrap();
        for _ in 0..20 {
            timeline.advance_head().unwrap();
        }
        let mut session = Session::new();
        register(&mut session, timeline.head().cluster().unwrap());
        let out = session
            .execute("SELECT partition, count(*) AS n FROM orders GROUP BY partition ORDER BY partition; SELECT sum(hw) FROM kafka_partitions; SELECT sum(lag) FROM kafka_consumer_lag")
            .unwrap();
        let Outcome::Rows(per_partition) = &out[0] else {
            panic!()
        };
        let total: i64 = per_partition
            .table
            .to_rows()
            .iter()
            .map(|r| match r[1] {
                Value::BigInt(n) => n,
                _ => 0,
            })
            .sum();
        assert_eq!(total, 30);
        let Outcome::Rows(hw) = &out[1] else { panic!() };
        assert_eq!(hw.table.row(0)[0], Value::BigInt(30));
        let Outcome::Rows(lag) = &out[2] else {
            panic!()
        };
        assert_eq!(lag.table.row(0)[0], Value::BigInt(0), "the group caught up");
        // At tick 0 nothing was consumed yet: the lag table shows it.
        let mut earlier = Session::new();
        register(&mut earlier, timeline.state_at(Tick(0)).cluster().unwrap());
        assert!(
            earlier.execute("INSERT INTO orders VALUES (1)").is_err(),
            "topics are read-only"
        );
    }

    /// Registering the state at an earlier tick forgets what only a later state had: scrubbing
    /// back before a topic was created makes its table disappear.
    #[test]
    fn a_topic_not_created_yet_at_the_tick_on_screen_is_not_a_table() {
        let mut timeline = Timeline::new(LabConfig {
            seed: Seed(1),
            preset: Preset::Broker,
        });
        for _ in 0..5 {
            timeline.advance_head().unwrap();
        }
        let create = BrokerCommand::CreateTopic {
            name: "events".into(),
            partitions: 2,
            settings: Default::default(),
        };
        timeline.apply_at(Tick(5), Command::Broker(create)).unwrap();
        let mut session = Session::new();
        session.execute("CREATE TABLE mine (x BIGINT)").unwrap();
        register(&mut session, timeline.state_at(Tick(5)).cluster().unwrap());
        assert!(session.execute("SELECT count(*) FROM events").is_ok());
        register(&mut session, timeline.state_at(Tick(2)).cluster().unwrap());
        let gone = session.execute("SELECT count(*) FROM events").unwrap_err();
        assert_eq!(gone.kind, sql::ErrorKind::UnknownTable);
        assert!(session.execute("SELECT count(*) FROM orders").is_ok());
        assert!(
            session.execute("SELECT count(*) FROM mine").is_ok(),
            "scratch tables stay"
        );
    }
}
