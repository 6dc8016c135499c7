//! What a learner can ask of the rollouts lab, what it narrates back, and their journal bytes.
//!
//! Numbers are integers in named units (basis points, permille, milliseconds), so commands
//! compare exactly and encode without loss; the lab turns them into the engine's floats.

use rollouts::monitor::DriftTarget;
use sim::codec::{DecodeError, Reader, Writer};

/// Longest spec a command may carry.
pub const SPEC_LEN_MAX: usize = 64 * 1024;
/// Longest version name.
pub const VERSION_LEN_MAX: usize = 20;
/// Highest request rate the lab simulates.
pub const REQUESTS_PER_SECOND_MAX: u32 = 2_000;
/// Largest drift shift, in thousandths of a standard deviation.
pub const SHIFT_MILLI_MAX: i32 = 5_000;
/// Longest cookie name or value.
pub const COOKIE_LEN_MAX: usize = 64;
/// Slowest latency a version may be given.
pub const LATENCY_MS_MAX: u32 = 600_000;
/// Fastest quality decay a version may be given (100 percentage points per hour).
pub const DECAY_PERMILLE_PER_HOUR_MAX: u16 = 1_000;

/// How a deployed version behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VersionBehaviour {
    pub median_ms: u32,
    pub p99_ms: u32,
    /// Hundredths of a percent of responses that fail with a 500 (50 = 0.5%).
    pub error_rate_basis_points: u32,
    /// Thousandths of predictions that are right (900 = 90%).
    pub quality_permille: u16,
    /// Quality lost per hour of lab time, in thousandths.
    pub quality_decay_permille_per_hour: u16,
}

impl VersionBehaviour {
    /// How `v1` serves when the lab starts.
    pub const BASELINE: VersionBehaviour = VersionBehaviour {
        median_ms: 80,
        p99_ms: 300,
        error_rate_basis_points: 50,
        quality_permille: 900,
        quality_decay_permille_per_hour: 0,
    };

    /// `Err((message, hint))` when the numbers cannot describe a server.
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.median_ms == 0 || self.median_ms > LATENCY_MS_MAX {
            return Err((
                format!("a median latency of {} ms is not possible", self.median_ms),
                format!("give 1 to {LATENCY_MS_MAX} ms"),
            ));
        }
        if self.p99_ms < self.median_ms || self.p99_ms > LATENCY_MS_MAX {
            return Err((
                format!(
                    "a p99 of {} ms with a median of {} ms is not possible",
                    self.p99_ms, self.median_ms
                ),
                "the 99th percentile is at least the median: raise p99".into(),
            ));
        }
        if self.error_rate_basis_points > 10_000 {
            return Err((
                "an error rate above 100% is not possible".into(),
                "give a percentage such as error:2%".into(),
            ));
        }
        if self.quality_permille > 1_000 {
            return Err((
                "a quality above 100% is not possible".into(),
                "give a percentage such as quality:85%".into(),
            ));
        }
        if self.quality_decay_permille_per_hour > DECAY_PERMILLE_PER_HOUR_MAX {
            return Err((
                "a decay above 100 points per hour is not possible".into(),
                "give a rate such as decay:5%/h".into(),
            ));
        }
        Ok(())
    }
}

/// A behaviour change injected into a running version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    P99Ms(u32),
    MedianMs(u32),
    ErrorRateBasisPoints(u32),
    QualityPermille(u16),
    QualityDecayPermillePerHour(u16),
}

impl Fault {
    /// `Err((message, hint))` when the value is out of range.
    pub fn check(&self) -> Result<(), (String, String)> {
        let out = |what: &str, hint: &str| Err((format!("{what} is out of range"), hint.into()));
        match *self {
            Fault::P99Ms(ms) | Fault::MedianMs(ms) if ms == 0 || ms > LATENCY_MS_MAX => out(
                "the latency",
                "give 1 to 600000 ms, such as inject v2 p99:1500",
            ),
            Fault::ErrorRateBasisPoints(bp) if bp > 10_000 => out(
                "the error rate",
                "give 0% to 100%, such as inject v2 error:10%",
            ),
            Fault::QualityPermille(q) if q > 1_000 => out(
                "the quality",
                "give 0% to 100%, such as inject v2 quality:70%",
            ),
            Fault::QualityDecayPermillePerHour(d) if d > DECAY_PERMILLE_PER_HOUR_MAX => out(
                "the decay",
                "give 0 to 100 points per hour, such as inject v2 decay:10%/h",
            ),
            _ => Ok(()),
        }
    }
}

/// A command of the rollouts lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RolloutCommand {
    /// Load a Rollout or a Flagger Canary (and its templates) from YAML. During a rollout only an
    /// edit of the analysis is taken (Argo's AnalysisTemplates, Flagger's thresholdRange): the
    /// controller keeps its place and runs started afterwards read the new templates.
    ApplySpec {
        yaml: String,
    },
    /// A new revision of the workload: `version` with `behaviour`.
    Deploy {
        version: String,
        behaviour: VersionBehaviour,
    },
    /// `kubectl argo rollouts promote [--full]`.
    Promote {
        full: bool,
    },
    Abort,
    Retry,
    Undo,
    /// Open Flagger's manual gates for the current revision.
    Confirm,
    /// Change a running version's behaviour from now on.
    Inject {
        version: String,
        change: Fault,
    },
    SetTraffic {
        requests_per_second: u32,
    },
    /// Shift what the monitor sees, in thousandths of a standard deviation (set, not added).
    ShiftDrift {
        target: DriftTarget,
        amount_milli: i32,
    },
    /// Users `u<first_user>` to `u<last_user>` send `cookie: name=value` from now on.
    SetCookie {
        first_user: u32,
        last_user: u32,
        name: String,
        value: String,
    },
}

/// What a narration line is about (the page styles by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NarrationKind {
    Spec,
    Deploy,
    Step,
    Weight,
    Pause,
    Analysis,
    Measurement,
    Abort,
    Promote,
    Complete,
    Gate,
    Alert,
    Drift,
    Traffic,
    Fault,
}

impl NarrationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NarrationKind::Spec => "spec",
            NarrationKind::Deploy => "deploy",
            NarrationKind::Step => "step",
            NarrationKind::Weight => "weight",
            NarrationKind::Pause => "pause",
            NarrationKind::Analysis => "analysis",
            NarrationKind::Measurement => "measurement",
            NarrationKind::Abort => "abort",
            NarrationKind::Promote => "promote",
            NarrationKind::Complete => "complete",
            NarrationKind::Gate => "gate",
            NarrationKind::Alert => "alert",
            NarrationKind::Drift => "drift",
            NarrationKind::Traffic => "traffic",
            NarrationKind::Fault => "fault",
        }
    }
}

/// One line of the rollout's story, at a moment of rollout time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RolloutEvent {
    pub t_ms: u64,
    pub kind: NarrationKind,
    pub text: String,
}

const TAG_APPLY_SPEC: u8 = 0;
const TAG_DEPLOY: u8 = 1;
const TAG_PROMOTE: u8 = 2;
const TAG_ABORT: u8 = 3;
const TAG_RETRY: u8 = 4;
const TAG_UNDO: u8 = 5;
const TAG_CONFIRM: u8 = 6;
const TAG_INJECT: u8 = 7;
const TAG_SET_TRAFFIC: u8 = 8;
const TAG_SHIFT_DRIFT: u8 = 9;
const TAG_SET_COOKIE: u8 = 10;

fn encode_behaviour(w: &mut Writer, b: &VersionBehaviour) {
    w.varint(u64::from(b.median_ms));
    w.varint(u64::from(b.p99_ms));
    w.varint(u64::from(b.error_rate_basis_points));
    w.varint(u64::from(b.quality_permille));
    w.varint(u64::from(b.quality_decay_permille_per_hour));
}

fn decode_behaviour(r: &mut Reader<'_>) -> Result<VersionBehaviour, DecodeError> {
    let u32_at_most = |r: &mut Reader<'_>, what| -> Result<u32, DecodeError> {
        Ok(r.varint_at_most(u64::from(u32::MAX), what)? as u32)
    };
    let u16_at_most = |r: &mut Reader<'_>, what| -> Result<u16, DecodeError> {
        Ok(r.varint_at_most(u64::from(u16::MAX), what)? as u16)
    };
    Ok(VersionBehaviour {
        median_ms: u32_at_most(r, "median")?,
        p99_ms: u32_at_most(r, "p99")?,
        error_rate_basis_points: u32_at_most(r, "error rate")?,
        quality_permille: u16_at_most(r, "quality")?,
        quality_decay_permille_per_hour: u16_at_most(r, "decay")?,
    })
}

fn encode_fault(w: &mut Writer, fault: &Fault) {
    let (tag, value) = match *fault {
        Fault::P99Ms(v) => (0, u64::from(v)),
        Fault::MedianMs(v) => (1, u64::from(v)),
        Fault::ErrorRateBasisPoints(v) => (2, u64::from(v)),
        Fault::QualityPermille(v) => (3, u64::from(v)),
        Fault::QualityDecayPermillePerHour(v) => (4, u64::from(v)),
    };
    w.u8(tag);
    w.varint(value);
}

fn decode_fault(r: &mut Reader<'_>) -> Result<Fault, DecodeError> {
    let tag = r.u8()?;
    let wide = |r: &mut Reader<'_>| -> Result<u32, DecodeError> {
        Ok(r.varint_at_most(u64::from(u32::MAX), "fault value")? as u32)
    };
    let narrow = |r: &mut Reader<'_>| -> Result<u16, DecodeError> {
        Ok(r.varint_at_most(u64::from(u16::MAX), "fault value")? as u16)
    };
    Ok(match tag {
        0 => Fault::P99Ms(wide(r)?),
        1 => Fault::MedianMs(wide(r)?),
        2 => Fault::ErrorRateBasisPoints(wide(r)?),
        3 => Fault::QualityPermille(narrow(r)?),
        4 => Fault::QualityDecayPermillePerHour(narrow(r)?),
        _ => return Err(DecodeError::Invalid("rollout fault")),
    })
}

/// The journal bytes of a rollout command (after the lab's tag 22).
pub fn encode(w: &mut Writer, command: &RolloutCommand) {
    match command {
        RolloutCommand::ApplySpec { yaml } => {
            w.u8(TAG_APPLY_SPEC);
            w.str(yaml);
        }
        RolloutCommand::Deploy { version, behaviour } => {
            w.u8(TAG_DEPLOY);
            w.str(version);
            encode_behaviour(w, behaviour);
        }
        RolloutCommand::Promote { full } => {
            w.u8(TAG_PROMOTE);
            w.u8(u8::from(*full));
        }
        RolloutCommand::Abort => w.u8(TAG_ABORT),
        RolloutCommand::Retry => w.u8(TAG_RETRY),
        RolloutCommand::Undo => w.u8(TAG_UNDO),
        RolloutCommand::Confirm => w.u8(TAG_CONFIRM),
        RolloutCommand::Inject { version, change } => {
            w.u8(TAG_INJECT);
            w.str(version);
            encode_fault(w, change);
        }
        RolloutCommand::SetTraffic {
            requests_per_second,
        } => {
            w.u8(TAG_SET_TRAFFIC);
            w.varint(u64::from(*requests_per_second));
        }
        RolloutCommand::ShiftDrift {
            target,
            amount_milli,
        } => {
            w.u8(TAG_SHIFT_DRIFT);
            w.u8(match target {
                DriftTarget::Feature => 0,
                DriftTarget::Prediction => 1,
            });
            w.signed(i64::from(*amount_milli));
        }
        RolloutCommand::SetCookie {
            first_user,
            last_user,
            name,
            value,
        } => {
            w.u8(TAG_SET_COOKIE);
            w.varint(u64::from(*first_user));
            w.varint(u64::from(*last_user));
            w.str(name);
            w.str(value);
        }
    }
}

/// Reads what [`encode`] wrote.
pub fn decode(r: &mut Reader<'_>) -> Result<RolloutCommand, DecodeError> {
    Ok(match r.u8()? {
        TAG_APPLY_SPEC => RolloutCommand::ApplySpec {
            yaml: r.str(SPEC_LEN_MAX)?,
        },
        TAG_DEPLOY => RolloutCommand::Deploy {
            version: r.str(VERSION_LEN_MAX)?,
            behaviour: decode_behaviour(r)?,
        },
        TAG_PROMOTE => RolloutCommand::Promote {
            full: match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(DecodeError::Invalid("promote flag")),
            },
        },
        TAG_ABORT => RolloutCommand::Abort,
        TAG_RETRY => RolloutCommand::Retry,
        TAG_UNDO => RolloutCommand::Undo,
        TAG_CONFIRM => RolloutCommand::Confirm,
        TAG_INJECT => RolloutCommand::Inject {
            version: r.str(VERSION_LEN_MAX)?,
            change: decode_fault(r)?,
        },
        TAG_SET_TRAFFIC => RolloutCommand::SetTraffic {
            requests_per_second: r.varint_at_most(u64::from(u32::MAX), "requests per second")?
                as u32,
        },
        TAG_SHIFT_DRIFT => RolloutCommand::ShiftDrift {
            target: match r.u8()? {
                0 => DriftTarget::Feature,
                1 => DriftTarget::Prediction,
                _ => return Err(DecodeError::Invalid("drift target")),
            },
            amount_milli: i32::try_from(r.signed()?)
                .map_err(|_| DecodeError::Invalid("drift amount"))?,
        },
        TAG_SET_COOKIE => RolloutCommand::SetCookie {
            first_user: r.varint_at_most(u64::from(u32::MAX), "user")? as u32,
            last_user: r.varint_at_most(u64::from(u32::MAX), "user")? as u32,
            name: r.str(COOKIE_LEN_MAX)?,
            value: r.str(COOKIE_LEN_MAX)?,
        },
        _ => return Err(DecodeError::Invalid("rollout command")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_codec::codec_checks::assert_round_trips;

    #[test]
    fn every_command_round_trips() {
        let commands = [
            RolloutCommand::ApplySpec {
                yaml: "kind: Rollout".into(),
            },
            RolloutCommand::Deploy {
                version: "v2".into(),
                behaviour: VersionBehaviour {
                    error_rate_basis_points: 1_000,
                    ..VersionBehaviour::BASELINE
                },
            },
            RolloutCommand::Promote { full: true },
            RolloutCommand::Abort,
            RolloutCommand::Retry,
            RolloutCommand::Undo,
            RolloutCommand::Confirm,
            RolloutCommand::Inject {
                version: "v2".into(),
                change: Fault::QualityDecayPermillePerHour(100),
            },
            RolloutCommand::SetTraffic {
                requests_per_second: 50,
            },
            RolloutCommand::ShiftDrift {
                target: DriftTarget::Prediction,
                amount_milli: -1_500,
            },
            RolloutCommand::SetCookie {
                first_user: 40,
                last_user: 42,
                name: "canary".into(),
                value: "always".into(),
            },
        ];
        assert_round_trips(&commands, encode, decode);
    }

    #[test]
    fn behaviours_out_of_range_are_refused_with_a_hint() {
        let bad = VersionBehaviour {
            p99_ms: 10,
            ..VersionBehaviour::BASELINE
        };
        let (message, hint) = bad.check().unwrap_err();
        assert!(message.contains("p99") && hint.contains("raise"));
        assert!(VersionBehaviour::BASELINE.check().is_ok());
        assert!(Fault::ErrorRateBasisPoints(10_001).check().is_err());
        assert!(Fault::P99Ms(1_500).check().is_ok());
    }
}
