//! What a learner can ask of the pipeline world, what it narrates back, and their journal bytes.
//!
//! Numbers are integers in named units (seconds, milliseconds, percent, permille), so commands
//! compare exactly and encode without loss. Sub-tags are stable: a new command takes the next one.

use sim::codec::{DecodeError, Reader, Writer};

/// Longest model name (the rollout's version names are as long).
pub const MODEL_NAME_LEN_MAX: usize = 20;
/// Most records a slowed job may read per partition and tick.
pub const SLOW_RECORDS_MAX: u32 = 10_000;
/// Longest TTL the serving path accepts.
pub const TTL_SECONDS_MAX: u32 = 3_600;
/// Longest watermark delay.
pub const DELAY_MS_MAX: u32 = 60_000;
/// Largest skew factor.
pub const SKEW_PERCENT_MAX: u32 = 1_000;

/// The feature whose online computation a skew changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkewFeature {
    Clicks,
    Amount,
}

impl SkewFeature {
    pub const ALL: [SkewFeature; 2] = [SkewFeature::Clicks, SkewFeature::Amount];

    pub fn name(self) -> &'static str {
        match self {
            SkewFeature::Clicks => "clicks",
            SkewFeature::Amount => "amount",
        }
    }

    pub fn from_name(name: &str) -> Option<SkewFeature> {
        SkewFeature::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The feature's position in the view's (and the model's) feature list.
    pub fn index(self) -> usize {
        match self {
            SkewFeature::Clicks => 0,
            SkewFeature::Amount => 1,
        }
    }
}

/// How a training set joins features to the logged requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrainJoin {
    /// The values served at request time (feature logging): what the model will see online.
    PointInTime,
    /// The values of the window in which the label was observed: computed after the request,
    /// so they include the outcome's own signal (the purchase).
    Leaky,
}

impl TrainJoin {
    pub fn name(self) -> &'static str {
        match self {
            TrainJoin::PointInTime => "point-in-time",
            TrainJoin::Leaky => "leaky",
        }
    }
}

/// The release strategy of the pipeline's rollout spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    Canary,
    BlueGreen,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Canary => "canary",
            Strategy::BlueGreen => "bluegreen",
        }
    }
}

/// What a learner can ask of the pipeline world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PipelineCommand {
    /// The stream job crashes and stays down until restarted.
    CrashJob,
    /// The crashed job restarts from its last completed checkpoint.
    RestartJob,
    /// The job reads at most this many records per partition and tick (None: full speed).
    SlowJob { records_per_tick: Option<u32> },
    /// Whether the job's results reach the online store (off: the offline log only).
    SetPush { on: bool },
    /// Serving reads a value older than this as NULL.
    SetTtl { seconds: u32 },
    /// The job's watermark delay; redeploys the job from the earliest offsets.
    SetWatermarkDelay { ms: u32 },
    /// The online value of `feature` is multiplied by `factor_percent` / 100 (100: no skew).
    SetSkew {
        feature: SkewFeature,
        factor_percent: u32,
    },
    /// Fits a new model version on the logged requests.
    Train { name: String, join: TrainJoin },
    /// Releases a model version through the rollout.
    Deploy { name: String },
    /// The analysis's threshold on the candidate's prediction quality.
    SetThreshold { permille: u16 },
    /// Canary or blue-green.
    SetStrategy { strategy: Strategy },
}

/// What kind of thing happened, for the page's colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PipelineEventKind {
    Job,
    Push,
    Setting,
    Train,
    Deploy,
}

/// A narrated change of the pipeline world.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PipelineEvent {
    pub kind: PipelineEventKind,
    pub text: String,
}

impl PipelineEvent {
    pub fn new(kind: PipelineEventKind, text: impl Into<String>) -> PipelineEvent {
        PipelineEvent {
            kind,
            text: text.into(),
        }
    }
}

fn option_u32(w: &mut Writer, value: Option<u32>) {
    w.varint(value.map_or(0, |v| u64::from(v) + 1));
}

fn read_u32(r: &mut Reader<'_>, what: &'static str) -> Result<u32, DecodeError> {
    u32::try_from(r.varint()?).map_err(|_| DecodeError::Invalid(what))
}

/// The command's journal bytes: a sub-tag, then its fields.
pub fn encode(w: &mut Writer, command: &PipelineCommand) {
    match command {
        PipelineCommand::CrashJob => w.u8(0),
        PipelineCommand::RestartJob => w.u8(1),
        PipelineCommand::SlowJob { records_per_tick } => {
            w.u8(2);
            option_u32(w, *records_per_tick);
        }
        PipelineCommand::SetPush { on } => {
            w.u8(3);
            w.u8(u8::from(*on));
        }
        PipelineCommand::SetTtl { seconds } => {
            w.u8(4);
            w.varint(u64::from(*seconds));
        }
        PipelineCommand::SetWatermarkDelay { ms } => {
            w.u8(5);
            w.varint(u64::from(*ms));
        }
        PipelineCommand::SetSkew {
            feature,
            factor_percent,
        } => {
            w.u8(6);
            w.u8(feature.index() as u8);
            w.varint(u64::from(*factor_percent));
        }
        PipelineCommand::Train { name, join } => {
            w.u8(7);
            w.str(name);
            w.u8(match join {
                TrainJoin::PointInTime => 0,
                TrainJoin::Leaky => 1,
            });
        }
        PipelineCommand::Deploy { name } => {
            w.u8(8);
            w.str(name);
        }
        PipelineCommand::SetThreshold { permille } => {
            w.u8(9);
            w.varint(u64::from(*permille));
        }
        PipelineCommand::SetStrategy { strategy } => {
            w.u8(10);
            w.u8(match strategy {
                Strategy::Canary => 0,
                Strategy::BlueGreen => 1,
            });
        }
    }
}

/// Reads what [`encode`] wrote; an unknown sub-tag or value is an error.
pub fn decode(r: &mut Reader<'_>) -> Result<PipelineCommand, DecodeError> {
    Ok(match r.u8()? {
        0 => PipelineCommand::CrashJob,
        1 => PipelineCommand::RestartJob,
        2 => PipelineCommand::SlowJob {
            records_per_tick: match read_u32(r, "slow job records")? {
                0 => None,
                n => Some(n - 1),
            },
        },
        3 => PipelineCommand::SetPush {
            on: match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(DecodeError::Invalid("push flag")),
            },
        },
        4 => PipelineCommand::SetTtl {
            seconds: read_u32(r, "ttl")?,
        },
        5 => PipelineCommand::SetWatermarkDelay {
            ms: read_u32(r, "watermark delay")?,
        },
        6 => PipelineCommand::SetSkew {
            feature: *SkewFeature::ALL
                .get(usize::from(r.u8()?))
                .ok_or(DecodeError::Invalid("skew feature"))?,
            factor_percent: read_u32(r, "skew factor")?,
        },
        7 => PipelineCommand::Train {
            name: r.str(MODEL_NAME_LEN_MAX)?,
            join: match r.u8()? {
                0 => TrainJoin::PointInTime,
                1 => TrainJoin::Leaky,
                _ => return Err(DecodeError::Invalid("training join")),
            },
        },
        8 => PipelineCommand::Deploy {
            name: r.str(MODEL_NAME_LEN_MAX)?,
        },
        9 => PipelineCommand::SetThreshold {
            permille: u16::try_from(r.varint()?).map_err(|_| DecodeError::Invalid("threshold"))?,
        },
        10 => PipelineCommand::SetStrategy {
            strategy: match r.u8()? {
                0 => Strategy::Canary,
                1 => Strategy::BlueGreen,
                _ => return Err(DecodeError::Invalid("strategy")),
            },
        },
        _ => return Err(DecodeError::Invalid("pipeline command")),
    })
}
