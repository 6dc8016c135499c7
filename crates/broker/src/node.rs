//! A broker as a machine the learner can break: its process (running, crashed, stopped), its
//! network links (to the other brokers, to the controller, to clients), how slow it is, and how
//! far it has replayed the metadata log. Also the broker-level settings of the cluster.

use super::metrics::TrafficMeter;
use super::BrokerId;
use sim::clock::Tick;
use std::fmt;

/// Whether a broker's process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerProcess {
    Running,
    /// Killed: no goodbye, the controller notices when the session times out.
    Crashed,
    /// Stopped after a controlled shutdown.
    Stopped,
}

/// A network link a fault can cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Link {
    /// Replication traffic to and from the other brokers.
    Brokers,
    /// Heartbeats, metadata and AlterPartition to the controller quorum.
    Controller,
    /// Producers and consumers.
    Clients,
}

impl Link {
    pub const ALL: [Link; 3] = [Link::Brokers, Link::Controller, Link::Clients];

    pub fn name(self) -> &'static str {
        match self {
            Link::Brokers => "brokers",
            Link::Controller => "controller",
            Link::Clients => "clients",
        }
    }

    pub fn parse(text: &str) -> Option<Link> {
        Link::ALL.into_iter().find(|l| l.name() == text)
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Slowest a broker can be made: it fetches once every this many ticks.
pub const FETCH_EVERY_TICKS_MAX: u8 = 100;

/// One broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    pub(crate) id: BrokerId,
    pub(crate) process: BrokerProcess,
    /// Fetches from leaders once every this many ticks (1 is normal; more is a slow disk or GC).
    pub(crate) fetch_every_ticks: u8,
    /// Links cut by a network partition, in [`Link::ALL`] order.
    cut: [bool; 3],
    /// How many metadata-log records it has replayed.
    pub(crate) metadata_offset: usize,
    pub(crate) last_heartbeat_sent: Option<Tick>,
    /// Registered with the controller since it last started.
    pub(crate) registered: bool,
    /// Its client and replication traffic, for the overview's rates.
    pub(crate) traffic: TrafficMeter,
}

impl Broker {
    pub fn id(&self) -> BrokerId {
        self.id
    }

    pub fn process(&self) -> BrokerProcess {
        self.process
    }

    /// Fetches from leaders once every this many ticks (1 is normal; more is a slow disk or GC).
    pub fn fetch_every_ticks(&self) -> u8 {
        self.fetch_every_ticks
    }

    /// How many metadata-log records it has replayed.
    pub fn metadata_offset(&self) -> usize {
        self.metadata_offset
    }

    pub fn last_heartbeat_sent(&self) -> Option<Tick> {
        self.last_heartbeat_sent
    }

    /// Registered with the controller since it last started.
    pub fn registered(&self) -> bool {
        self.registered
    }

    /// Its client and replication traffic, for the overview's rates.
    pub fn traffic(&self) -> &TrafficMeter {
        &self.traffic
    }

    pub fn new(id: BrokerId) -> Broker {
        Broker {
            id,
            process: BrokerProcess::Running,
            fetch_every_ticks: 1,
            cut: [false; 3],
            metadata_offset: 0,
            last_heartbeat_sent: None,
            registered: false,
            traffic: TrafficMeter::default(),
        }
    }

    pub fn running(&self) -> bool {
        self.process == BrokerProcess::Running
    }

    pub fn is_cut(&self, link: Link) -> bool {
        self.cut[link as usize]
    }

    pub fn set_cut(&mut self, link: Link, cut: bool) {
        self.cut[link as usize] = cut;
    }

    pub fn heal(&mut self) {
        self.cut = [false; 3];
    }

    /// Running and reachable over `link`.
    pub fn reachable(&self, link: Link) -> bool {
        self.running() && !self.is_cut(link)
    }

    pub fn is_slow(&self) -> bool {
        self.fetch_every_ticks > 1
    }
}

/// Broker-level settings (the same on every broker), in ticks; 1 tick is about 100 ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterSettings {
    /// `replica.lag.time.max.ms`: a follower this long behind leaves the ISR.
    pub replica_lag_max_ticks: u64,
    /// `broker.session.timeout.ms`: the controller fences a broker silent this long.
    pub session_timeout_ticks: u64,
    /// `broker.heartbeat.interval.ms`.
    pub heartbeat_interval_ticks: u64,
    /// `request.timeout.ms`: how long an acks=all produce may wait for the high watermark.
    pub request_timeout_ticks: u64,
    /// `replica.fetch.max.bytes`, counted in records.
    pub fetch_max_records: u32,
    /// `auto.leader.rebalance.enable`.
    pub auto_leader_rebalance: bool,
    /// `leader.imbalance.check.interval.seconds`.
    pub leader_imbalance_check_ticks: u64,
}

impl Default for ClusterSettings {
    /// Kafka's defaults, scaled: 30 s lag, 9 s session, 2 s heartbeats, 30 s request timeout,
    /// leader rebalance every 300 s.
    fn default() -> Self {
        ClusterSettings {
            replica_lag_max_ticks: 300,
            session_timeout_ticks: 90,
            heartbeat_interval_ticks: 20,
            request_timeout_ticks: 300,
            fetch_max_records: 1000,
            auto_leader_rebalance: true,
            leader_imbalance_check_ticks: 3000,
        }
    }
}

impl ClusterSettings {
    /// Checks that the settings make sense, with a hint when they do not.
    pub fn check(&self) -> Result<(), (String, &'static str)> {
        let positive = [
            ("replica.lag.time.max", self.replica_lag_max_ticks),
            ("broker.session.timeout", self.session_timeout_ticks),
            ("broker.heartbeat.interval", self.heartbeat_interval_ticks),
            ("request.timeout", self.request_timeout_ticks),
            (
                "leader.imbalance.check.interval",
                self.leader_imbalance_check_ticks,
            ),
            ("replica.fetch.max", u64::from(self.fetch_max_records)),
        ];
        for (name, value) in positive {
            if value == 0 || value > 100_000 {
                return Err((
                    format!("{name} must be between 1 and 100000 (it is {value})"),
                    "times are in ticks; one tick is about 100 ms",
                ));
            }
        }
        if self.heartbeat_interval_ticks >= self.session_timeout_ticks {
            return Err((
                format!(
                    "the heartbeat interval ({}) must be shorter than the session timeout ({})",
                    self.heartbeat_interval_ticks, self.session_timeout_ticks
                ),
                "Kafka uses 2 s heartbeats and a 9 s session",
            ));
        }
        Ok(())
    }
}
