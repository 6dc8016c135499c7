//! What the page's charts and the judge read, sampled once a minute of rollout time: per
//! ReplicaSet (a version, or an experiment's copy of one, told apart by the pods'
//! `rollouts_pod_template_hash`), the success rate, the p99 latency and the prediction quality
//! over the last minute, asked of the mesh's metrics with PromQL as a dashboard would (user-facing
//! requests only: shadow copies carry `mirror="true"`); the traffic split of the last minute; and
//! Kayenta's judgement of a canary against its baseline over those per-minute samples.

use rollouts::judge::{
    classify, mann_whitney_u, score, Classifier, MetricVerdict, ScoreOutcome, ScoreThresholds,
};
use rollouts::metrics::{Audience, Labels, POD_TEMPLATE_HASH};
use rollouts::value::{PodTemplateHash, TimeMs, VersionName};
use rollouts::world::World;
use std::collections::BTreeMap;

/// Per-minute points kept per version (an hour).
pub const SERIES_POINTS_MAX: usize = 60;
/// Samples each side needs before the judge speaks.
pub const JUDGE_SAMPLES_MIN: usize = 3;

const REQUESTS: &str = "sum by (version, rollouts_pod_template_hash) (increase(istio_requests_total{mirror!=\"true\"}[1m]))";
const SUCCESS_RATE: &str = "sum by (version, rollouts_pod_template_hash) (rate(istio_requests_total{mirror!=\"true\",response_code!~\"5.*\"}[1m])) / sum by (version, rollouts_pod_template_hash) (rate(istio_requests_total{mirror!=\"true\"}[1m]))";
const P99_MS: &str = "histogram_quantile(0.99, sum by (version, rollouts_pod_template_hash, le) (rate(istio_request_duration_milliseconds_bucket{mirror!=\"true\"}[1m])))";
const QUALITY: &str = "sum by (version, rollouts_pod_template_hash) (rate(predictions_total{mirror!=\"true\",correct=\"true\"}[1m])) / sum by (version, rollouts_pod_template_hash) (rate(predictions_total{mirror!=\"true\"}[1m]))";

/// One minute of one version.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeriesPoint {
    pub t_ms: u64,
    /// Fraction of requests that did not fail (0 to 1); None without requests.
    pub success_rate: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Fraction of right predictions (0 to 1).
    pub quality: Option<f64>,
    pub requests: u64,
}

/// A ReplicaSet's points, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionSeries {
    /// The version's name for its rollout ReplicaSet; an experiment's copy is named after its
    /// template ("baseline (v1)").
    pub version: String,
    pub points: Vec<SeriesPoint>,
}

/// Requests per version over the last minute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitRow {
    pub version: String,
    /// Users' requests the version answered.
    pub user_requests: u64,
    /// Shadow copies it answered (never returned).
    pub mirrored: u64,
    /// Smoke- or load-test requests it answered (nobody's user requests).
    pub test_requests: u64,
}

/// Every version's requests answered so far: (user-facing including tests, mirrored).
pub fn answered(world: &World) -> BTreeMap<String, (u64, u64)> {
    let total = |c: Option<&rollouts::metrics::VersionCounters>| {
        c.map_or(0, |c| c.requests_by_code.values().sum::<u64>())
    };
    sim::sort::collect_map(
        world
            .versions()
            .map(|v| v.name.clone())
            .chain(world.plan().canary.iter().cloned())
            .map(|v| {
                let counters = world.counters();
                (
                    v.0.clone(),
                    (
                        total(counters.counters(&v, Audience::User)),
                        total(counters.counters(&v, Audience::Mirror)),
                    ),
                )
            }),
    )
}

/// One metric of the judgement.
#[derive(Clone, Debug, PartialEq)]
pub struct JudgeRow {
    pub metric: &'static str,
    pub baseline_mean: f64,
    pub canary_mean: f64,
    /// The canary's Mann-Whitney U and its two-sided p-value.
    pub u: f64,
    pub p_value: f64,
    /// Pass, High or Low.
    pub verdict: &'static str,
    pub critical: bool,
}

/// Kayenta's judgement of a canary against its baseline: the candidate against the stable
/// version, or an experiment's canary ReplicaSet against its equal-size baseline ReplicaSet.
#[derive(Clone, Debug, PartialEq)]
pub struct JudgeView {
    pub t_ms: u64,
    pub baseline: String,
    pub canary: String,
    /// The two sides are an experiment's baseline and canary ReplicaSets, started together.
    pub equal_baseline: bool,
    pub rows: Vec<JudgeRow>,
    pub score_percent: f64,
    /// Pass, Marginal or Fail.
    pub outcome: &'static str,
    /// Per-minute samples of each side.
    pub samples: usize,
}

/// The series name of the ReplicaSet a result's labels come from: the version for its rollout
/// ReplicaSet, the name `experiments` gives an experiment's hash.
fn replica_set_name(labels: &Labels, experiments: &BTreeMap<String, String>) -> String {
    let version = labels.get("version");
    let hash = labels.get(POD_TEMPLATE_HASH);
    if hash == PodTemplateHash::of_version(&VersionName(version.to_string())).0 {
        return version.to_string();
    }
    experiments
        .get(hash)
        .cloned()
        .unwrap_or_else(|| format!("{version} ({hash})"))
}

/// `query`'s value per ReplicaSet (those without a finite value are left out).
fn per_replica_set(
    world: &World,
    query: &str,
    at: TimeMs,
    experiments: &BTreeMap<String, String>,
) -> BTreeMap<String, f64> {
    world
        .promql_query(query, at)
        .map(|vector| {
            sim::sort::collect_map(
                vector
                    .into_iter()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(labels, v)| (replica_set_name(&labels, experiments), v)),
            )
        })
        .unwrap_or_default()
}

/// Adds one point per ReplicaSet that served in the last minute (or has a series already);
/// `experiments` names the experiment ReplicaSets by pod-template-hash.
pub fn sample_minute(
    world: &World,
    at: TimeMs,
    experiments: &BTreeMap<String, String>,
    series: &mut Vec<VersionSeries>,
) {
    let requests = per_replica_set(world, REQUESTS, at, experiments);
    let success = per_replica_set(world, SUCCESS_RATE, at, experiments);
    let p99 = per_replica_set(world, P99_MS, at, experiments);
    let quality = per_replica_set(world, QUALITY, at, experiments);
    for (version, count) in &requests {
        if *count > 0.0 && !series.iter().any(|s| &s.version == version) {
            series.push(VersionSeries {
                version: version.clone(),
                points: Vec::new(),
            });
        }
    }
    for s in series.iter_mut() {
        let served = requests.get(&s.version).copied().unwrap_or(0.0);
        let has = served > 0.0;
        s.points.push(SeriesPoint {
            t_ms: at.0,
            success_rate: success.get(&s.version).copied().filter(|_| has),
            p99_ms: p99.get(&s.version).copied().filter(|_| has),
            quality: quality.get(&s.version).copied().filter(|_| has),
            requests: served.round().max(0.0) as u64,
        });
        if s.points.len() > SERIES_POINTS_MAX {
            s.points.remove(0);
        }
    }
}

/// Requests per version between two counts of [`answered`], with the test requests sent in
/// between taken out of the user-facing ones (versions that answered nothing are left out).
pub fn split(
    before: &BTreeMap<String, (u64, u64)>,
    now: &BTreeMap<String, (u64, u64)>,
    tests: &BTreeMap<String, u64>,
) -> Vec<SplitRow> {
    now.iter()
        .filter_map(|(version, (answered, mirrored))| {
            let (answered_before, mirrored_before) = before.get(version).copied().unwrap_or((0, 0));
            let answered = answered.saturating_sub(answered_before);
            let mirrored = mirrored.saturating_sub(mirrored_before);
            let test_requests = tests.get(version).copied().unwrap_or(0).min(answered);
            (answered + mirrored > 0).then(|| SplitRow {
                version: version.clone(),
                user_requests: answered - test_requests,
                mirrored,
                test_requests,
            })
        })
        .collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The judgement over the minutes both series served, or None with too few of them.
pub fn judge(
    series: &[VersionSeries],
    baseline: &str,
    canary: &str,
    equal_baseline: bool,
    at: TimeMs,
) -> Option<JudgeView> {
    let of = |name: &str| series.iter().find(|s| s.version == name);
    let (base, cand) = (of(baseline)?, of(canary)?);
    let paired: Vec<(&SeriesPoint, &SeriesPoint)> = base
        .points
        .iter()
        .filter_map(|b| {
            cand.points
                .iter()
                .find(|c| c.t_ms == b.t_ms && c.requests > 0 && b.requests > 0)
                .map(|c| (b, c))
        })
        .collect();
    type Pick = fn(&SeriesPoint) -> Option<f64>;
    let metrics: [(&'static str, Pick, bool); 3] = [
        ("success_rate", |p| p.success_rate, true),
        ("p99_ms", |p| p.p99_ms, false),
        ("quality", |p| p.quality, false),
    ];
    let mut rows = Vec::new();
    let mut verdicts = Vec::new();
    let mut samples = 0;
    for (name, pick, critical) in metrics {
        let (b, c): (Vec<f64>, Vec<f64>) = paired
            .iter()
            .filter_map(|(b, c)| Some((pick(b)?, pick(c)?)))
            .unzip();
        if b.len() < JUDGE_SAMPLES_MIN {
            continue;
        }
        samples = samples.max(b.len());
        let (Ok(test), Ok(class)) = (
            mann_whitney_u(&c, &b),
            classify(&b, &c, Classifier::default()),
        ) else {
            continue;
        };
        verdicts.push(MetricVerdict {
            name: name.to_string(),
            weight: 1.0,
            verdict: class.verdict,
            critical,
        });
        rows.push(JudgeRow {
            metric: name,
            baseline_mean: mean(&b),
            canary_mean: mean(&c),
            u: test.u,
            p_value: test.p_value,
            verdict: class.verdict.label(),
            critical,
        });
    }
    if rows.is_empty() {
        return None;
    }
    let judged = score(&verdicts, ScoreThresholds::default());
    Some(JudgeView {
        t_ms: at.0,
        baseline: baseline.to_string(),
        canary: canary.to_string(),
        equal_baseline,
        rows,
        score_percent: judged.score_percent,
        outcome: match judged.outcome {
            ScoreOutcome::Successful => "Pass",
            ScoreOutcome::Inconclusive => "Marginal",
            ScoreOutcome::Failed => "Fail",
        },
        samples,
    })
}
