//! What Prometheus would have scraped from the mesh: counters and latency histograms per version,
//! one sample per series per scrape, kept for a bounded horizon.
//!
//! The families are Istio's standard metrics, so the queries in Argo Rollouts' and Flagger's docs
//! work nearly verbatim (only the workload labels differ: the lab labels a series by `version`):
//!
//! - `istio_requests_total{reporter="destination", version, response_code}`: a counter of
//!   requests answered;
//! - `istio_request_duration_milliseconds_bucket{reporter="destination", version, le}` with its
//!   `_sum` and `_count`: a cumulative histogram of latency in milliseconds over Envoy's default
//!   buckets, which Istio uses ([`LATENCY_BUCKETS_MS`]);
//! - `predictions_total{version, correct="true"|"false"}`: the model's answers, judged right or not.
//!
//! A mirrored (shadow) copy is recorded in the same families with the extra label
//! `mirror="true"`; user-facing series carry no `mirror` label, so `mirror!="true"` selects what
//! users saw and `mirror="true"` what the shadow did.
//!
//! Every series also carries the pods' `rollouts_pod_template_hash` ([`POD_TEMPLATE_HASH`]), as
//! Prometheus's Kubernetes discovery copies a pod label (its `-` turned into `_`): the rollout's
//! ReplicaSet of a version has one hash, and an experiment's ReplicaSet its own, so a baseline
//! running the stable version is measured apart from the stable ReplicaSet.
//!
//! As an exporter does, the mesh keeps live counters ([`MeshCounters`], updated per request) and
//! the store takes a sample of each series every scrape interval ([`DEFAULT_SCRAPE_INTERVAL`],
//! 5 s of lab time). A series exists from the scrape after its first request, so a version that
//! has not been asked anything yet has no data, as in Prometheus. Samples older than the horizon
//! ([`DEFAULT_HORIZON`], an hour plus Prometheus's 5-minute lookback) are dropped from a ring
//! buffer per series, so hours of lab time cost the same memory as one.

use crate::serving::Response;
use crate::value::{DurationMs, PodTemplateHash, TimeMs, VersionName};
use sim::state_hash::StateHasher;
use std::collections::{BTreeMap, VecDeque};

pub const REQUESTS_TOTAL: &str = "istio_requests_total";
pub const DURATION_BUCKET: &str = "istio_request_duration_milliseconds_bucket";
pub const DURATION_SUM: &str = "istio_request_duration_milliseconds_sum";
pub const DURATION_COUNT: &str = "istio_request_duration_milliseconds_count";
pub const PREDICTIONS_TOTAL: &str = "predictions_total";
/// The label of the pod-template-hash of the ReplicaSet that answered.
pub const POD_TEMPLATE_HASH: &str = "rollouts_pod_template_hash";

/// Envoy's default histogram bucket bounds in milliseconds (Istio's request duration uses them),
/// before the implicit `+Inf`.
pub const LATENCY_BUCKETS_MS: [f64; 19] = [
    0.5,
    1.0,
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
    250.0,
    500.0,
    1_000.0,
    2_500.0,
    5_000.0,
    10_000.0,
    30_000.0,
    60_000.0,
    300_000.0,
    600_000.0,
    1_800_000.0,
    3_600_000.0,
];

pub const DEFAULT_SCRAPE_INTERVAL: DurationMs = DurationMs(5_000);
pub const DEFAULT_HORIZON: DurationMs = DurationMs(65 * 60 * 1000);

/// A series' labels, sorted by name, the metric name under `__name__`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    /// Labels from pairs in any order (a later duplicate name wins).
    pub fn new<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Labels {
        let mut labels = Labels::default();
        for (name, value) in pairs {
            labels.set(&name.into(), value.into());
        }
        labels
    }

    /// The value of `name`, "" when absent (Prometheus treats a missing label as empty).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn set(&mut self, name: &str, value: String) {
        match self.0.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(index) => self.0[index].1 = value,
            Err(index) => self.0.insert(index, (name.to_string(), value)),
        }
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// These labels without the named ones.
    pub fn without(&self, names: &[String]) -> Labels {
        Labels(
            self.0
                .iter()
                .filter(|(n, _)| !names.iter().any(|x| x == n))
                .cloned()
                .collect(),
        )
    }

    /// Only the named labels.
    pub fn keep(&self, names: &[String]) -> Labels {
        Labels(
            self.0
                .iter()
                .filter(|(n, _)| names.iter().any(|x| x == n))
                .cloned()
                .collect(),
        )
    }

    /// These labels without the metric name.
    pub fn without_name(&self) -> Labels {
        Labels(
            self.0
                .iter()
                .filter(|(n, _)| n != "__name__")
                .cloned()
                .collect(),
        )
    }

    /// `{a="1", b="2"}` as Prometheus prints a label set (the name in front when there is one).
    pub fn render(&self) -> String {
        let inner: Vec<String> = self
            .0
            .iter()
            .filter(|(n, _)| n != "__name__")
            .map(|(n, v)| format!("{n}=\"{v}\""))
            .collect();
        format!("{}{{{}}}", self.get("__name__"), inner.join(", "))
    }
}

/// One scraped value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub at: TimeMs,
    pub value: f64,
}

/// A series and its samples, oldest first, within the horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: Labels,
    samples: VecDeque<Sample>,
}

impl Series {
    /// The samples with `start < at <= end`, oldest first (Prometheus 3's left-open ranges).
    pub fn samples_in(&self, start: TimeMs, end: TimeMs) -> impl Iterator<Item = Sample> + '_ {
        let first = self.samples.partition_point(|s| s.at <= start);
        self.samples
            .range(first..)
            .take_while(move |s| s.at <= end)
            .copied()
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// Every series' samples.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricStore {
    scrape_interval: DurationMs,
    horizon: DurationMs,
    series: Vec<Series>,
    index: BTreeMap<Labels, usize>,
}

impl Default for MetricStore {
    fn default() -> MetricStore {
        MetricStore::new(DEFAULT_SCRAPE_INTERVAL, DEFAULT_HORIZON)
    }
}

impl MetricStore {
    pub fn new(scrape_interval: DurationMs, horizon: DurationMs) -> MetricStore {
        MetricStore {
            scrape_interval: DurationMs(scrape_interval.0.max(1)),
            horizon,
            series: Vec::new(),
            index: BTreeMap::new(),
        }
    }

    pub fn scrape_interval(&self) -> DurationMs {
        self.scrape_interval
    }

    pub fn horizon(&self) -> DurationMs {
        self.horizon
    }

    /// Every series, in the order they first appeared.
    pub fn series(&self) -> &[Series] {
        &self.series
    }

    /// Appends a sample to the series `labels` (created if new), dropping samples that fell out of
    /// the horizon. Samples must come in time order per series; an older one is ignored.
    pub fn record(&mut self, labels: &Labels, at: TimeMs, value: f64) {
        let index = match self.index.get(labels) {
            Some(&index) => index,
            None => {
                self.series.push(Series {
                    labels: labels.clone(),
                    samples: VecDeque::new(),
                });
                self.index.insert(labels.clone(), self.series.len() - 1);
                self.series.len() - 1
            }
        };
        let series = &mut self.series[index];
        if series.samples.back().is_some_and(|last| last.at >= at) {
            return;
        }
        series.samples.push_back(Sample { at, value });
        // Keep (at - horizon, at]; nothing is old enough to drop before one horizon has passed.
        if let Some(oldest_dropped) = at.0.checked_sub(self.horizon.0) {
            while series
                .samples
                .front()
                .is_some_and(|s| s.at.0 <= oldest_dropped)
            {
                series.samples.pop_front();
            }
        }
    }

    /// Total samples held (for the memory bound's tests).
    pub fn sample_count(&self) -> usize {
        self.series.iter().map(Series::len).sum()
    }
}

/// The live counters of one version as seen by one reporter (user-facing or mirror).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VersionCounters {
    /// Requests by status code ("200", "500", "503").
    pub requests_by_code: BTreeMap<&'static str, u64>,
    /// Observations per bucket (not cumulative), the last one `+Inf`.
    pub bucket_observations: [u64; LATENCY_BUCKETS_MS.len() + 1],
    pub latency_sum_ms: f64,
    pub latency_count: u64,
    pub predictions_correct: u64,
    pub predictions_wrong: u64,
}

impl VersionCounters {
    /// Feeds every counter into a state fingerprint.
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        for (code, count) in &self.requests_by_code {
            hasher.str(code);
            hasher.u64(*count);
        }
        for count in self.bucket_observations {
            hasher.u64(count);
        }
        hasher.u64(self.latency_sum_ms.to_bits());
        hasher.u64(self.latency_count);
        hasher.u64(self.predictions_correct);
        hasher.u64(self.predictions_wrong);
    }

    fn observe(&mut self, response: &Response) {
        *self
            .requests_by_code
            .entry(response.status.code())
            .or_insert(0) += 1;
        let bucket = LATENCY_BUCKETS_MS.partition_point(|&le| le < response.latency_ms);
        self.bucket_observations[bucket] += 1;
        self.latency_sum_ms += response.latency_ms;
        self.latency_count += 1;
        match response.prediction_correct {
            Some(true) => self.predictions_correct += 1,
            Some(false) => self.predictions_wrong += 1,
            None => {}
        }
    }

    /// Writes every series of this version into the store at `at`.
    fn scrape(&self, base: &Labels, store: &mut MetricStore, at: TimeMs) {
        let with = |name: &str, extra: &[(&str, String)]| {
            let mut labels = base.clone();
            labels.set("__name__", name.to_string());
            for (n, v) in extra {
                labels.set(n, v.clone());
            }
            labels
        };
        for (code, count) in &self.requests_by_code {
            let labels = with(
                REQUESTS_TOTAL,
                &[
                    ("reporter", "destination".into()),
                    ("response_code", code.to_string()),
                ],
            );
            store.record(&labels, at, *count as f64);
        }
        let mut cumulative = 0u64;
        for (index, count) in self.bucket_observations.iter().enumerate() {
            cumulative += count;
            let le = LATENCY_BUCKETS_MS
                .get(index)
                .map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let labels = with(
                DURATION_BUCKET,
                &[("reporter", "destination".into()), ("le", le)],
            );
            store.record(&labels, at, cumulative as f64);
        }
        let sum = with(DURATION_SUM, &[("reporter", "destination".into())]);
        store.record(&sum, at, self.latency_sum_ms);
        let count = with(DURATION_COUNT, &[("reporter", "destination".into())]);
        store.record(&count, at, self.latency_count as f64);
        for (correct, value) in [
            ("true", self.predictions_correct),
            ("false", self.predictions_wrong),
        ] {
            if self.predictions_correct + self.predictions_wrong > 0 {
                let labels = with(PREDICTIONS_TOTAL, &[("correct", correct.to_string())]);
                store.record(&labels, at, value as f64);
            }
        }
    }
}

/// Whether a response went back to the user or was a shadow copy's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    User,
    Mirror,
}

/// One version's counters, user-facing and shadow apart (`None` until the first request).
#[derive(Clone, Debug, Default, PartialEq)]
struct AudienceCounters {
    user: Option<VersionCounters>,
    mirror: Option<VersionCounters>,
}

impl AudienceCounters {
    fn slot(&mut self, audience: Audience) -> &mut Option<VersionCounters> {
        match audience {
            Audience::User => &mut self.user,
            Audience::Mirror => &mut self.mirror,
        }
    }
}

/// The mesh's live counters for every version (its rollout ReplicaSet) and every experiment
/// ReplicaSet, and gauges the lab sets (a drift score), which every scrape copies into the store.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshCounters {
    versions: BTreeMap<VersionName, AudienceCounters>,
    experiments: BTreeMap<(VersionName, PodTemplateHash), AudienceCounters>,
    gauges: BTreeMap<Labels, f64>,
}

impl MeshCounters {
    /// Counts one response of `version` by its rollout ReplicaSet.
    pub fn observe(&mut self, version: &VersionName, audience: Audience, response: &Response) {
        if !self.versions.contains_key(version) {
            self.versions
                .insert(version.clone(), AudienceCounters::default());
        }
        if let Some(counters) = self.versions.get_mut(version) {
            counters
                .slot(audience)
                .get_or_insert_with(VersionCounters::default)
                .observe(response);
        }
    }

    /// Counts one user response of `version` by the experiment ReplicaSet whose pods carry `arm`.
    pub fn observe_experiment(
        &mut self,
        version: &VersionName,
        arm: &PodTemplateHash,
        response: &Response,
    ) {
        self.experiments
            .entry((version.clone(), arm.clone()))
            .or_default()
            .slot(Audience::User)
            .get_or_insert_with(VersionCounters::default)
            .observe(response);
    }

    /// Sets a gauge (its labels include `__name__`), scraped from the next scrape on.
    pub fn set_gauge(&mut self, labels: Labels, value: f64) {
        self.gauges.insert(labels, value);
    }

    /// The live counters of a version, if it has answered anything.
    pub fn counters(&self, version: &VersionName, audience: Audience) -> Option<&VersionCounters> {
        let counters = self.versions.get(version)?;
        match audience {
            Audience::User => counters.user.as_ref(),
            Audience::Mirror => counters.mirror.as_ref(),
        }
    }

    /// The user requests `version` answered, by its rollout ReplicaSet and by experiments'.
    pub fn user_requests(&self, version: &VersionName) -> u64 {
        let total = |c: &AudienceCounters| {
            c.user
                .as_ref()
                .map_or(0, |c| c.requests_by_code.values().sum::<u64>())
        };
        let experiments: u64 = self
            .experiments
            .iter()
            .filter(|((v, _), _)| v == version)
            .map(|(_, c)| total(c))
            .sum();
        self.versions.get(version).map_or(0, total) + experiments
    }

    /// Feeds every live counter and gauge into a state fingerprint (the scraped samples follow
    /// from these and the scrape times, so they are not hashed one by one).
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        for (version, counters) in &self.versions {
            hasher.str(&version.0);
            for slot in [&counters.user, &counters.mirror] {
                hasher.u64(u64::from(slot.is_some()));
                if let Some(counters) = slot {
                    counters.hash_into(hasher);
                }
            }
        }
        // Experiment ReplicaSets after the versions: a world that never ran one hashes as before.
        for ((version, arm), counters) in &self.experiments {
            hasher.str(&version.0);
            hasher.str(&arm.0);
            if let Some(user) = &counters.user {
                user.hash_into(hasher);
            }
        }
        for (labels, value) in &self.gauges {
            for (name, label_value) in labels.pairs() {
                hasher.str(name);
                hasher.str(label_value);
            }
            hasher.u64(value.to_bits());
        }
    }

    /// One scrape: every series' current value into the store at `at`.
    pub fn scrape(&self, store: &mut MetricStore, at: TimeMs) {
        for (version, counters) in &self.versions {
            let base = Labels::new([
                ("version", version.0.clone()),
                (POD_TEMPLATE_HASH, PodTemplateHash::of_version(version).0),
            ]);
            if let Some(user) = &counters.user {
                user.scrape(&base, store, at);
            }
            if let Some(mirror) = &counters.mirror {
                let mut shadow = base.clone();
                shadow.set("mirror", "true".to_string());
                mirror.scrape(&shadow, store, at);
            }
        }
        for ((version, arm), counters) in &self.experiments {
            let base = Labels::new([
                ("version", version.0.clone()),
                (POD_TEMPLATE_HASH, arm.0.clone()),
            ]);
            if let Some(user) = &counters.user {
                user.scrape(&base, store, at);
            }
        }
        for (labels, value) in &self.gauges {
            store.record(labels, at, *value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_left_open_and_the_horizon_bounds_memory() {
        let mut store = MetricStore::new(DurationMs(5_000), DurationMs(60_000));
        let labels = Labels::new([("__name__", "x")]);
        for n in 1..=100u64 {
            store.record(&labels, TimeMs(n * 5_000), n as f64);
        }
        assert_eq!(store.sample_count(), 12);
        let got: Vec<f64> = store.series()[0]
            .samples_in(TimeMs(480_000), TimeMs(490_000))
            .map(|s| s.value)
            .collect();
        assert_eq!(got, vec![97.0, 98.0]);
    }

    #[test]
    fn labels_sort_and_render() {
        let labels = Labels::new([("version", "v2"), ("__name__", "m"), ("le", "+Inf")]);
        assert_eq!(labels.render(), "m{le=\"+Inf\", version=\"v2\"}");
        assert_eq!(labels.get("missing"), "");
        assert_eq!(LATENCY_BUCKETS_MS[0].to_string(), "0.5");
        assert_eq!(LATENCY_BUCKETS_MS[18].to_string(), "3600000");
    }
}
