//! The real-time samples and the training they feed. Every scored request is logged with the
//! feature values served (feature logging) and, later, its label: a buying user's label is
//! observed when the session ends in a purchase, a browsing user's after [`LABEL_WAIT_US`]
//! without one.
//!
//! Two ways to join features to those samples:
//! - point-in-time: the values served at request time, what the model will read online;
//! - leaky: the values of the window in which the label was observed, looked up in the offline
//!   log (the naive join "as of the label" a batch job might write). They were computed after
//!   the request and include the outcome's own signal (the purchase's amount), so the model
//!   looks better offline and reads values online that it never saw in training.
//!
//! A version is fitted on the earlier 70% of the joined rows and scored (accuracy, AUC) on the
//! later 30% joined the same way: the offline evaluation a team would run before deploying.

use super::command::TrainJoin;
use super::model::{FeatureRow, OfflineScore, WINDOW_US};
use super::users::{UserIndex, USERS};
use crate::stream_lab::PUSH_VIEW;
use features::store::FeatureStore;
use features::train::{auc, numeric, LogisticModel, TrainOptions};
use features::value::FeatureValue;
use sim::state_hash::StateHasher;
use std::collections::{BTreeMap, VecDeque};

/// Samples kept (about eight minutes of requests).
pub const SAMPLES_KEPT: usize = 20_000;
/// How long a request waits for a purchase before its label is "not buying".
pub const LABEL_WAIT_US: i64 = 10_000_000;
/// Most rows a training set takes (the latest).
pub const TRAIN_ROWS_MAX: usize = 6_000;
/// Fewest rows a training set needs.
pub const TRAIN_ROWS_MIN: usize = 300;

/// One logged request.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub seq: u64,
    pub at_us: i64,
    pub user: UserIndex,
    pub served: FeatureRow,
    pub buying: bool,
    /// When the label was observed (None: a buying session still open).
    pub label_at_us: Option<i64>,
}

/// The logged requests, oldest first, bounded.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleLog {
    samples: VecDeque<Sample>,
    next_seq: u64,
    /// Per user, the samples waiting for their session's purchase.
    pending: Vec<Vec<u64>>,
}

impl Default for SampleLog {
    fn default() -> SampleLog {
        SampleLog {
            samples: VecDeque::new(),
            next_seq: 0,
            pending: vec![Vec::new(); USERS],
        }
    }
}

type Refusal = (String, String);

impl SampleLog {
    /// Logs a scored request.
    pub fn log(&mut self, at_us: i64, user: UserIndex, served: FeatureRow, buying: bool) {
        if self.samples.len() == SAMPLES_KEPT {
            self.samples.pop_front();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if buying {
            if let Some(pending) = self.pending.get_mut(usize::from(user.0)) {
                pending.push(seq);
            }
        }
        self.samples.push_back(Sample {
            seq,
            at_us,
            user,
            served,
            buying,
            label_at_us: (!buying).then_some(at_us + LABEL_WAIT_US),
        });
    }

    /// A user's buying session ended with a purchase at `at_us`: its requests get their label.
    pub fn purchase(&mut self, user: UserIndex, at_us: i64) {
        let Some(pending) = self.pending.get_mut(usize::from(user.0)) else {
            return;
        };
        let first = self.samples.front().map_or(0, |s| s.seq);
        for seq in pending.drain(..) {
            if let Some(sample) = seq
                .checked_sub(first)
                .and_then(|i| self.samples.get_mut(i as usize))
            {
                sample.label_at_us = Some(at_us);
            }
        }
    }

    /// Requests logged so far (including those dropped from the log).
    pub fn logged(&self) -> u64 {
        self.next_seq
    }

    pub fn samples(&self) -> &VecDeque<Sample> {
        &self.samples
    }

    /// The samples a training set can use at `now_us`: labelled, and the window of the label
    /// closed (`settle_us` after its end), the latest [`TRAIN_ROWS_MAX`].
    fn trainable(&self, now_us: i64, settle_us: i64) -> Vec<&Sample> {
        let mut rows: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| {
                s.label_at_us
                    .is_some_and(|l| window_end(l) + settle_us <= now_us)
            })
            .collect();
        let excess = rows.len().saturating_sub(TRAIN_ROWS_MAX);
        rows.drain(..excess);
        rows
    }

    /// Whether a training set can be built now: enough labelled rows, and both labels in the
    /// rows fitted and in the rows scored (cheap: nothing is fitted).
    pub fn check(&self, now_us: i64, settle_us: i64) -> Result<(), Refusal> {
        check_rows(&self.trainable(now_us, settle_us))
    }

    /// Fits a version on the log joined by `join`, and scores it offline.
    pub fn train(
        &self,
        store: &FeatureStore,
        join: TrainJoin,
        now_us: i64,
        settle_us: i64,
    ) -> Result<(LogisticModel, OfflineScore), Refusal> {
        let samples = self.trainable(now_us, settle_us);
        check_rows(&samples)?;
        let offline = match join {
            TrainJoin::PointInTime => BTreeMap::new(),
            TrainJoin::Leaky => offline_windows(store),
        };
        let rows: Vec<Vec<Option<f64>>> = samples
            .iter()
            .map(|s| match join {
                TrainJoin::PointInTime => s.served.to_vec(),
                TrainJoin::Leaky => s
                    .label_at_us
                    .and_then(|l| offline.get(&(s.user, window_end(l))))
                    .map_or(vec![None, None], |r| r.to_vec()),
            })
            .collect();
        let labels: Vec<bool> = samples.iter().map(|s| s.buying).collect();
        let split = rows.len() * 7 / 10;
        let model = LogisticModel::fit(&rows[..split], &labels[..split], TrainOptions::default())
            .map_err(|e| (e.message, e.hint))?;
        let scores = model
            .predict_all(&rows[split..])
            .map_err(|e| (e.message, e.hint))?;
        let test = &labels[split..];
        let area = auc(&scores, test).map_err(|e| (e.message, e.hint))?;
        let right = scores
            .iter()
            .zip(test)
            .filter(|(p, l)| (**p >= 0.5) == **l)
            .count();
        let permille = |x: f64| (x * 1000.0).round().clamp(0.0, 1000.0) as u16;
        Ok((
            model,
            OfflineScore {
                accuracy_permille: permille(right as f64 / test.len() as f64),
                auc_permille: permille(area),
                train_rows: split as u32,
                test_rows: test.len() as u32,
            },
        ))
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(self.next_seq);
        hasher.u64(self.samples.len() as u64);
        for s in &self.samples {
            hasher.u64(s.at_us as u64);
            hasher.u64(u64::from(s.user.0));
            for v in s.served {
                hasher.u64(v.map_or(u64::MAX, f64::to_bits));
            }
            hasher.u64(s.label_at_us.map_or(u64::MAX, |l| l as u64));
        }
    }
}

/// Enough rows, and both labels on each side of the 70/30 split.
fn check_rows(samples: &[&Sample]) -> Result<(), Refusal> {
    if samples.len() < TRAIN_ROWS_MIN {
        return Err((
            format!(
                "only {} requests have a label yet; training needs {TRAIN_ROWS_MIN}",
                samples.len()
            ),
            "let the lab run a minute longer, then train again".into(),
        ));
    }
    let (fitted, scored) = samples.split_at(samples.len() * 7 / 10);
    let both = |rows: &[&Sample]| rows.iter().any(|s| s.buying) && rows.iter().any(|s| !s.buying);
    if both(fitted) && both(scored) {
        Ok(())
    } else {
        Err((
            "the logged requests do not have both labels (buying and browsing) yet".into(),
            "let the lab run longer, then train again".into(),
        ))
    }
}

/// The end of the ten-second window holding `at_us`.
pub fn window_end(at_us: i64) -> i64 {
    at_us.div_euclid(WINDOW_US) * WINDOW_US + WINDOW_US
}

/// The offline log of the pushed view by (user, window end): the latest row of each.
fn offline_windows(store: &FeatureStore) -> BTreeMap<(UserIndex, i64), FeatureRow> {
    let mut index = BTreeMap::new();
    let Some(view) = store.sources().get(PUSH_VIEW) else {
        return index;
    };
    for row in view.rows.iter() {
        let (Some(FeatureValue::Str(user)), Some(end)) = (row.keys.0.first(), row.event_ts) else {
            continue;
        };
        let Some(user) = user_index(user.as_ref()) else {
            continue;
        };
        let value = |i: usize| row.values.get(i).and_then(|v| numeric(v).ok().flatten());
        index.insert((user, end.0), [value(0), value(1)]);
    }
    index
}

/// `u07` as user 6.
pub fn user_index(name: &str) -> Option<UserIndex> {
    let n: usize = name.strip_prefix('u')?.parse().ok()?;
    (1..=USERS).contains(&n).then(|| UserIndex((n - 1) as u8))
}
