//! The rollout engine in the lab (the `rollouts` preset): model versions serving simulated users
//! through a mesh, released by the controller the loaded spec names (Argo Rollouts or Flagger),
//! watched by alert rules and a drift monitor.
//!
//! One lab tick is ten seconds of rollout time. Each tick the controller advances to the current
//! instant (taking the analysis measurements that are due), its traffic plan is handed to the
//! mesh, the world serves the next ten seconds of requests (Prometheus scrapes every 5 s), the
//! alert rules are evaluated, and on the minute the per-version series, the traffic split and the
//! judge are refreshed; every five minutes the drift monitor compares the serving window with the
//! training window. Commands (a spec, a deploy, promote, abort...) act at the current instant and
//! the mesh follows the new plan at once. Everything the page reads is kept up to date here, so
//! reading it costs nothing per frame.

pub mod command;
pub mod controller;
pub mod glue;
pub mod monitoring;
pub mod observe;
pub mod specs;
pub mod strip;

use command::{
    Fault, NarrationKind, RolloutCommand, RolloutEvent, VersionBehaviour, COOKIE_LEN_MAX,
    REQUESTS_PER_SECOND_MAX, SHIFT_MILLI_MAX, SPEC_LEN_MAX, VERSION_LEN_MAX,
};
use controller::{Controller, Refused};
use monitoring::{DriftPoint, DriftView, DRIFT_EVERY_MS, DRIFT_HISTORY_MAX};
use observe::{JudgeView, SplitRow, VersionSeries};
use rollouts::alerts::{AlertManager, AlertTransition};
use rollouts::argo::RunRecord;
use rollouts::monitor::{DriftMonitor, DriftTarget};
use rollouts::routing::{ExperimentArmRoute, HeaderRoute, Router, TrafficPlan};
use rollouts::serving::{Behaviour, BehaviourChange, LatencyModel, ScheduledChange};
use rollouts::spec::{CanaryStep, RolloutStrategy};
use rollouts::traffic::TrafficConfig;
use rollouts::value::{DurationMs, TimeMs, UserId, VersionName};
use rollouts::world::{ResponseRecord, World, WorldConfig};
use sim::rng::{Rng, Seed};
use sim::state_hash::StateHasher;
use std::collections::{BTreeMap, VecDeque};
use strip::StepStrip;

pub use rollouts::spec::{parse_specs as parse_spec, SpecError, SpecSet};

/// Rollout time per lab tick.
pub const TICK_MS: u64 = 10_000;
/// Narration lines kept.
pub const TIMELINE_MAX: usize = 1_000;
/// The version serving when the lab starts.
pub const STABLE_VERSION: &str = "v1";
/// The user population.
pub const USERS: u32 = 2_000;
/// Percent of users sending `x-beta: true`.
pub const BETA_USERS_PERCENT: u8 = 5;
/// Requests per second when the lab starts.
pub const START_REQUESTS_PER_SECOND: u32 = 20;

const MINUTE_MS: u64 = 60_000;
/// Smoke-test requests per tick through a blue-green preview service (5 per second).
pub const SMOKE_TEST_REQUESTS_PER_TICK: u64 = 50;
/// Load-test requests per tick to a Flagger canary while a `rollout` webhook runs (10 per second,
/// as the load tester's `hey -q 10` of Flagger's docs).
pub const LOAD_TEST_REQUESTS_PER_TICK: u64 = 100;

/// A Flagger metric check as the lab saw it at one pass.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckView {
    pub t_ms: u64,
    pub metric: String,
    pub value: Option<f64>,
    pub ok: bool,
}

/// A threshold from the spec, to draw on the per-version charts.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// success_rate, p99_ms or quality.
    pub metric: &'static str,
    pub value: f64,
    pub label: String,
}

/// Counts the goal metrics read that no engine keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tallies {
    pub aborts: u64,
    pub promotions: u64,
    pub completed: u64,
    pub canary_requests: u64,
    pub alerts_fired: u64,
    pub alerts_resolved: u64,
    pub drift_checks: u64,
    /// Smoke- and load-test requests sent outside the user population.
    pub test_requests: u64,
}

/// The rollouts lab.
#[derive(Clone, Debug)]
pub struct RolloutLab {
    now: TimeMs,
    spec_text: String,
    specs: SpecSet,
    strategy: &'static str,
    controller: Controller,
    /// Controller events already narrated.
    narrated: usize,
    /// Measurements taken after this instant are not narrated yet.
    measured_until: Option<TimeMs>,
    world: World,
    alerts: AlertManager,
    transitions_narrated: usize,
    monitor: DriftMonitor,
    behaviours: BTreeMap<String, VersionBehaviour>,
    requests_per_second: u32,
    shift_milli: (i32, i32),
    tallies: Tallies,
    user_requests_monitored: u64,
    strip: StepStrip,
    split: Vec<SplitRow>,
    /// Requests answered per version at the last minute mark, and the test requests sent since
    /// (derived from the state, for the split view).
    answered_at_minute: BTreeMap<String, (u64, u64)>,
    tests_this_minute: BTreeMap<String, u64>,
    series: Vec<VersionSeries>,
    /// Every experiment ReplicaSet seen, by pod-template-hash: its series' name.
    experiment_names: BTreeMap<String, String>,
    /// The current update's experiment baseline (a copy of stable) and canary series, once an
    /// experiment ran both: the judge compares these instead of stable and the candidate.
    judge_pair: Option<(String, String)>,
    judge: Option<JudgeView>,
    drift: Option<DriftView>,
    drift_history: Vec<DriftPoint>,
    checks: Vec<CheckView>,
    thresholds: Vec<Threshold>,
    timeline: VecDeque<RolloutEvent>,
}

/// The engine's behaviour for the lab's integer one (already checked).
fn engine_behaviour(b: &VersionBehaviour, now: TimeMs) -> Result<Behaviour, Refused> {
    let latency = LatencyModel::new(f64::from(b.median_ms), f64::from(b.p99_ms))
        .map_err(|e| (e, "raise p99 to at least the median".to_string()))?;
    let mut behaviour = Behaviour::steady(
        latency,
        f64::from(b.error_rate_basis_points) / 100.0,
        f64::from(b.quality_permille) / 10.0,
    );
    behaviour.quality_decay_percent_per_hour = f64::from(b.quality_decay_permille_per_hour) / 10.0;
    behaviour.quality_since = now;
    Ok(behaviour)
}

fn engine_change(fault: Fault) -> BehaviourChange {
    match fault {
        Fault::P99Ms(ms) => BehaviourChange::P99Ms(f64::from(ms)),
        Fault::MedianMs(ms) => BehaviourChange::MedianMs(f64::from(ms)),
        Fault::ErrorRateBasisPoints(bp) => BehaviourChange::ErrorRatePercent(f64::from(bp) / 100.0),
        Fault::QualityPermille(q) => BehaviourChange::QualityPercent(f64::from(q) / 10.0),
        Fault::QualityDecayPermillePerHour(d) => {
            BehaviourChange::QualityDecayPercentPerHour(f64::from(d) / 10.0)
        }
    }
}

fn refuse<T>(message: impl Into<String>, hint: impl Into<String>) -> Result<T, Refused> {
    Err((message.into(), hint.into()))
}

/// A cookie the lab can set: a name and a value without spaces, `;` or `=`, for users that exist.
fn check_cookie(first_user: u32, last_user: u32, name: &str, value: &str) -> Result<(), Refused> {
    let fine = |s: &str| {
        !s.is_empty()
            && s.len() <= COOKIE_LEN_MAX
            && s.chars()
                .all(|c| c.is_ascii_graphic() && c != ';' && c != '=')
    };
    if !fine(name) || !fine(value) {
        return refuse(
            "a cookie is a name and a value without spaces, ';' or '='",
            "such as cookie u42 canary=always",
        );
    }
    if first_user > last_user || first_user == 0 || last_user > USERS {
        return refuse(
            format!(
                "there are no users {}",
                glue::users_text(first_user, last_user)
            ),
            format!("give users from u1 to u{USERS}, such as u1-u50"),
        );
    }
    Ok(())
}

/// A version name the lab accepts: 1 to 20 of `a-z 0-9 -`.
fn check_version_name(name: &str) -> Result<(), Refused> {
    let ok = !name.is_empty()
        && name.len() <= VERSION_LEN_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        refuse(
            format!("\"{name}\" is not a version name"),
            "use 1 to 20 lowercase letters, digits or dashes, such as v2",
        )
    }
}

/// Every header route a spec can set, so their regexes are checked before it is applied.
fn header_routes(specs: &SpecSet) -> Vec<HeaderRoute> {
    let mut routes = Vec::new();
    for rollout in &specs.rollouts {
        if let RolloutStrategy::Canary(canary) = &rollout.strategy {
            for step in &canary.steps {
                match step {
                    CanaryStep::SetHeaderRoute(route) => routes.push(route.clone()),
                    CanaryStep::SetMirrorRoute(route) => routes.push(HeaderRoute {
                        name: route.name.clone(),
                        matches: route.matches.clone(),
                    }),
                    _ => {}
                }
            }
        }
    }
    for canary in &specs.canaries {
        routes.extend(canary.analysis.ab_header_routes());
    }
    routes
}

/// The spec parsed and checked as the lab will run it.
fn load_spec(yaml: &str) -> Result<SpecSet, Refused> {
    if yaml.len() > SPEC_LEN_MAX {
        return refuse(
            "the spec is longer than the lab accepts",
            format!("keep it under {} KiB", SPEC_LEN_MAX / 1024),
        );
    }
    let specs = parse_spec(yaml).map_err(|errors| match errors.first() {
        Some(e) => (
            format!(
                "the spec does not parse: line {}: {}{}",
                e.line,
                e.message,
                if errors.len() > 1 {
                    format!(" (and {} more)", errors.len() - 1)
                } else {
                    String::new()
                }
            ),
            e.hint.clone(),
        ),
        None => (
            "the spec does not parse".to_string(),
            "start from one of the examples".to_string(),
        ),
    })?;
    let mut plan = TrafficPlan::all_to(VersionName(STABLE_VERSION.into()));
    plan.header_routes = header_routes(&specs);
    Router::new(plan).map_err(|e| {
        (
            format!("the spec's routes cannot be served: {e}"),
            "the lab's regexes support literals, ., *, +, ?, |, groups and classes such as [0-9]"
                .to_string(),
        )
    })?;
    Ok(specs)
}

/// Thresholds from the spec's conditions (`result[0] >= 0.95`) and Flagger's ranges.
fn thresholds(specs: &SpecSet) -> Vec<Threshold> {
    let mut found = Vec::new();
    for template in &specs.templates {
        for metric in &template.metrics {
            let query = &metric.query;
            let kind = if query.contains("histogram_quantile") {
                Some("p99_ms")
            } else if query.contains("predictions_total") {
                Some("quality")
            } else if query.contains("istio_requests_total") {
                Some("success_rate")
            } else {
                None
            };
            let errors_ratio = query.contains("response_code=~\"5");
            for condition in [&metric.success_condition, &metric.failure_condition]
                .into_iter()
                .flatten()
            {
                if let (Some(kind), Some(value)) = (kind, condition_number(condition)) {
                    let value = if kind == "success_rate" && errors_ratio {
                        1.0 - value
                    } else {
                        value
                    };
                    found.push(Threshold {
                        metric: kind,
                        value,
                        label: format!("{}: {condition}", metric.name),
                    });
                }
            }
        }
    }
    for canary in &specs.canaries {
        for metric in &canary.analysis.metrics {
            let kind = match metric.name.as_str() {
                "request-success-rate" => ("success_rate", 0.01),
                "request-duration" => ("p99_ms", 1.0),
                _ => continue,
            };
            for (bound, word) in [(metric.min, "min"), (metric.max, "max")] {
                if let Some(v) = bound {
                    found.push(Threshold {
                        metric: kind.0,
                        value: v * kind.1,
                        label: format!("{} {word} {v}", metric.name),
                    });
                }
            }
        }
    }
    found
}

/// The number a simple condition compares `result` (or `result[0]`) with.
fn condition_number(condition: &str) -> Option<f64> {
    let rest = condition.trim();
    let rest = rest
        .strip_prefix("result[0]")
        .or_else(|| rest.strip_prefix("result"))?
        .trim_start();
    let rest = ["<=", ">=", "<", ">", "=="]
        .iter()
        .find_map(|op| rest.strip_prefix(op))?;
    rest.trim().parse().ok()
}

/// The controller's events with each measurement put where it belongs in the story: before its
/// run's "finished" line, else after its "started" line, else first.
fn weave(
    mut controller: Vec<RolloutEvent>,
    measured: Vec<(String, RolloutEvent)>,
) -> Vec<RolloutEvent> {
    let mut first = Vec::new();
    for (run, event) in measured {
        let finished = format!("analysis run {run} finished");
        let started = format!("analysis run {run} started");
        if let Some(i) = controller
            .iter()
            .position(|e| e.text.starts_with(&finished))
        {
            controller.insert(i, event);
        } else if let Some(i) = controller
            .iter()
            .rposition(|e| e.text.starts_with(&started))
        {
            let after = controller[i + 1..]
                .iter()
                .take_while(|e| e.kind == NarrationKind::Measurement)
                .count();
            controller.insert(i + 1 + after, event);
        } else {
            first.push(event);
        }
    }
    first.extend(controller);
    first
}

impl RolloutLab {
    /// The preset at rollout time 0: `v1` serving everything, the default canary spec loaded.
    pub fn new(rng: Rng) -> RolloutLab {
        RolloutLab::with_stable(rng, STABLE_VERSION, VersionBehaviour::BASELINE)
            .expect("the preset's stable version is valid")
    }

    /// A lab whose stable version is `stable` behaving as `baseline` (the CLI names its own);
    /// `Err` with a hint for a bad name or behaviour.
    pub fn with_stable(
        rng: Rng,
        stable: &str,
        baseline: VersionBehaviour,
    ) -> Result<RolloutLab, Refused> {
        check_version_name(stable)?;
        baseline.check()?;
        let mut seed_rng = rng.fork("rollouts/world");
        let mut config = WorldConfig::new(Seed(seed_rng.next_u64()));
        config.traffic = TrafficConfig {
            requests_per_second: f64::from(START_REQUESTS_PER_SECOND),
            users: USERS,
            beta_users_percent: BETA_USERS_PERCENT,
        };
        let stable_name = VersionName(stable.into());
        let mut world = World::new(config, stable_name.clone());
        world.deploy(stable_name.clone(), engine_behaviour(&baseline, TimeMs(0))?);
        let specs = load_spec(specs::DEFAULT).expect("the default spec is valid");
        let controller = Controller::new(&specs, stable_name, TimeMs(0))?;
        let mut lab = RolloutLab {
            now: TimeMs(0),
            spec_text: specs::DEFAULT.to_string(),
            strategy: Controller::strategy(&specs),
            thresholds: thresholds(&specs),
            specs,
            controller,
            narrated: 0,
            measured_until: None,
            world,
            alerts: monitoring::manager(),
            transitions_narrated: 0,
            monitor: DriftMonitor::new(rng.fork("rollouts/monitor"), DurationMs(DRIFT_EVERY_MS)),
            behaviours: sim::sort::collect_map([(stable.to_string(), baseline)]),
            requests_per_second: START_REQUESTS_PER_SECOND,
            shift_milli: (0, 0),
            tallies: Tallies::default(),
            user_requests_monitored: 0,
            strip: StepStrip::default(),
            split: Vec::new(),
            answered_at_minute: BTreeMap::new(),
            tests_this_minute: BTreeMap::new(),
            series: Vec::new(),
            experiment_names: BTreeMap::new(),
            judge_pair: None,
            judge: None,
            drift: None,
            drift_history: Vec::new(),
            checks: Vec::new(),
            timeline: VecDeque::new(),
        };
        lab.refresh_strip();
        Ok(lab)
    }

    /// Keeps the controller (it took the new templates or thresholds already) and updates what
    /// the page reads from the spec.
    fn take_analysis_edit(&mut self, specs: SpecSet, yaml: &str) -> RolloutEvent {
        self.thresholds = thresholds(&specs);
        self.specs = specs;
        self.spec_text = yaml.to_string();
        self.narration(
            NarrationKind::Spec,
            format!(
                "spec {} applied mid-rollout: analysis runs started from now on use its thresholds",
                self.spec_name()
            ),
        )
    }

    /// Checks a command against the current state without changing anything (the command path
    /// and the page's buttons both ask this): every refusal a command can meet is decided here,
    /// reading the lab in place, so nothing is copied.
    pub fn validate(&self, command: &RolloutCommand) -> Result<(), Refused> {
        let now = self.now;
        match command {
            RolloutCommand::ApplySpec { yaml } => {
                let specs = load_spec(yaml)?;
                match self.spec_edit(&specs) {
                    Some(Ok(())) => Ok(()),
                    Some(Err(refusal)) => Err(refusal),
                    None => Controller::new(&specs, self.controller.stable(now), now).map(|_| ()),
                }
            }
            RolloutCommand::Deploy { version, behaviour } => {
                check_version_name(version)?;
                behaviour.check()?;
                let name = VersionName(version.clone());
                let candidate = self.controller.candidate(now);
                if candidate.as_ref() == Some(&name) {
                    return refuse(
                        format!("{version} is already being rolled out"),
                        "promote or abort it, or deploy another version",
                    );
                }
                if self.controller.stable(now) == name && candidate.is_none() {
                    return refuse(
                        format!("{version} is already the stable version"),
                        "deploy a new version such as v2",
                    );
                }
                engine_behaviour(behaviour, now).map(|_| ())
            }
            RolloutCommand::Promote { full } => self.controller.check_promote(*full),
            RolloutCommand::Abort => self.controller.check_abort(),
            RolloutCommand::Retry => self.controller.check_retry(),
            RolloutCommand::Undo => self.controller.check_undo(),
            RolloutCommand::Confirm => self.controller.check_confirm(),
            RolloutCommand::Inject { version, change } => self.check_inject(version, change),
            RolloutCommand::SetTraffic {
                requests_per_second,
            } => {
                if *requests_per_second > REQUESTS_PER_SECOND_MAX {
                    return refuse(
                        format!("{requests_per_second} requests per second is more than the lab simulates"),
                        format!("give 0 to {REQUESTS_PER_SECOND_MAX}"),
                    );
                }
                Ok(())
            }
            RolloutCommand::ShiftDrift { amount_milli, .. } => {
                if amount_milli.abs() > SHIFT_MILLI_MAX {
                    return refuse(
                        "a shift of more than 5 standard deviations is out of range",
                        "give -5 to 5, such as shift-drift feature 1.5",
                    );
                }
                Ok(())
            }
            RolloutCommand::SetCookie {
                first_user,
                last_user,
                name,
                value,
            } => check_cookie(*first_user, *last_user, name, value),
        }
    }

    /// For a spec applied while an update is under way (or aborted): Some(Ok) when it only edits
    /// the analysis and is taken as an edit, Some(Err) when it changes more mid-rollout, None
    /// when it replaces the controller (no update, or an aborted one with a changed strategy).
    fn spec_edit(&self, specs: &SpecSet) -> Option<Result<(), Refused>> {
        let now = self.now;
        let in_progress = matches!(self.controller.phase(now).phase, "Progressing" | "Paused");
        if !in_progress && self.controller.candidate(now).is_none() {
            return None;
        }
        match self.controller.check_analysis_edit(&self.specs, specs) {
            Ok(()) => Some(Ok(())),
            Err(refusal) if in_progress => Some(Err(refusal)),
            Err(_) => None,
        }
    }

    fn check_inject(&self, version: &str, change: &Fault) -> Result<(), Refused> {
        change.check()?;
        let Some(current) = self.behaviours.get(version) else {
            return refuse(
                format!("{version} is not deployed"),
                format!(
                    "inject into a deployed version: {}",
                    self.behaviours
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        };
        if let Fault::P99Ms(p99) = change {
            if *p99 < current.median_ms {
                return refuse(
                    format!(
                        "a p99 of {p99} ms is below {version}'s median of {} ms",
                        current.median_ms
                    ),
                    "the 99th percentile is at least the median",
                );
            }
        }
        Ok(())
    }

    /// Applies a command at the current instant; on refusal nothing changed ([`Self::validate`]
    /// decides every refusal before anything is touched, so no copy of the lab is needed).
    pub fn apply(&mut self, command: &RolloutCommand) -> Result<Vec<RolloutEvent>, Refused> {
        self.validate(command)?;
        self.apply_valid(command)
    }

    /// Applies a command [`Self::validate`] accepted.
    fn apply_valid(&mut self, command: &RolloutCommand) -> Result<Vec<RolloutEvent>, Refused> {
        let now = self.now;
        let mut events = Vec::new();
        match command {
            RolloutCommand::ApplySpec { yaml } => {
                let specs = load_spec(yaml)?;
                if self.spec_edit(&specs).is_some() {
                    self.controller.take_analysis_edit(&self.specs, &specs)?;
                    events.push(self.take_analysis_edit(specs, yaml));
                    return Ok(events);
                }
                let stable = self.controller.stable(now);
                self.controller = Controller::new(&specs, stable, now)?;
                self.narrated = 0;
                self.measured_until = Some(now);
                self.strategy = Controller::strategy(&specs);
                self.thresholds = thresholds(&specs);
                self.checks.clear();
                self.judge_pair = None;
                let name = specs
                    .rollouts
                    .first()
                    .map(|r| r.name.clone())
                    .or_else(|| specs.canaries.first().map(|c| c.name.clone()))
                    .unwrap_or_default();
                self.specs = specs;
                self.spec_text = yaml.clone();
                events.push(self.narration(
                    NarrationKind::Spec,
                    format!("spec {name} applied ({})", self.strategy),
                ));
            }
            RolloutCommand::Deploy { version, behaviour } => {
                let name = VersionName(version.clone());
                self.world
                    .deploy(name.clone(), engine_behaviour(behaviour, now)?);
                self.behaviours.insert(version.clone(), *behaviour);
                self.controller.deploy(name, now);
                self.judge_pair = None;
            }
            RolloutCommand::Promote { full } => {
                self.controller.promote(now, *full)?;
                self.tallies.promotions += 1;
            }
            RolloutCommand::Abort => self.controller.abort(now)?,
            RolloutCommand::Retry => self.controller.retry(now)?,
            RolloutCommand::Undo => self.controller.undo(now)?,
            RolloutCommand::Confirm => {
                self.controller.confirm()?;
                events.push(self.narration(
                    NarrationKind::Gate,
                    "manual gates opened for this revision".to_string(),
                ));
            }
            RolloutCommand::Inject { version, change } => {
                self.world.schedule(ScheduledChange {
                    at: now,
                    version: VersionName(version.clone()),
                    change: engine_change(*change),
                });
                events.push(self.narration(
                    NarrationKind::Fault,
                    format!("{version}: {}", glue::fault_text(change)),
                ));
            }
            RolloutCommand::SetTraffic {
                requests_per_second,
            } => {
                self.world
                    .traffic_mut()
                    .set_requests_per_second(f64::from(*requests_per_second));
                self.requests_per_second = *requests_per_second;
                events.push(self.narration(
                    NarrationKind::Traffic,
                    format!("traffic set to {requests_per_second} requests/s"),
                ));
            }
            RolloutCommand::ShiftDrift {
                target,
                amount_milli,
            } => {
                self.monitor
                    .set_shift(*target, f64::from(*amount_milli) / 1000.0);
                match target {
                    DriftTarget::Feature => self.shift_milli.0 = *amount_milli,
                    DriftTarget::Prediction => self.shift_milli.1 = *amount_milli,
                }
                events.push(self.narration(
                    NarrationKind::Drift,
                    format!(
                        "serving {} shifted by {} standard deviations",
                        target.as_str(),
                        f64::from(*amount_milli) / 1000.0
                    ),
                ));
            }
            RolloutCommand::SetCookie {
                first_user,
                last_user,
                name,
                value,
            } => {
                for user in *first_user..=*last_user {
                    self.world
                        .traffic_mut()
                        .set_cookie(UserId(u64::from(user)), name, value)
                        .map_err(|e| (e, format!("give users from u1 to u{USERS}")))?;
                }
                events.push(self.narration(
                    NarrationKind::Traffic,
                    format!(
                        "users {} send cookie {name}={value}",
                        glue::users_text(*first_user, *last_user)
                    ),
                ));
            }
        }
        events.extend(self.after_change());
        for event in &events {
            self.remember(event.clone());
        }
        Ok(events)
    }

    fn narration(&self, kind: NarrationKind, text: String) -> RolloutEvent {
        RolloutEvent {
            t_ms: self.now.0,
            kind,
            text,
        }
    }

    fn remember(&mut self, event: RolloutEvent) {
        if self.timeline.len() == TIMELINE_MAX {
            self.timeline.pop_front();
        }
        self.timeline.push_back(event);
    }

    /// After the controller moved: narrate its new events, count aborts and completions, hand
    /// the mesh the new plan, redraw the strip.
    fn after_change(&mut self) -> Vec<RolloutEvent> {
        let events = self.controller.narrate_from(self.narrated);
        self.narrated = self.controller.event_count();
        for event in &events {
            match event.kind {
                NarrationKind::Abort => self.tallies.aborts += 1,
                NarrationKind::Complete => self.tallies.completed += 1,
                _ => {}
            }
        }
        let mut events = events;
        let plan = self.controller.plan();
        self.note_experiment(&plan);
        if let Err(why) = self.world.set_plan(plan) {
            events.push(self.narration(
                NarrationKind::Step,
                format!("the mesh kept its routes: {why}"),
            ));
        }
        self.refresh_strip();
        events
    }

    /// Names the experiment ReplicaSets `plan` runs after their templates, and when one runs the
    /// stable version and another the candidate, makes them the pair the judge compares.
    fn note_experiment(&mut self, plan: &TrafficPlan) {
        let name = |arm: &ExperimentArmRoute| format!("{} ({})", arm.name, arm.version);
        for arm in &plan.experiment_arms {
            self.experiment_names
                .insert(arm.pod_template_hash.0.clone(), name(arm));
        }
        let running = |version: Option<&VersionName>| {
            plan.experiment_arms
                .iter()
                .find(|arm| Some(&arm.version) == version)
                .map(name)
        };
        if let (Some(baseline), Some(canary)) =
            (running(Some(&plan.stable)), running(plan.canary.as_ref()))
        {
            self.judge_pair = Some((baseline, canary));
        }
    }

    fn refresh_strip(&mut self) {
        self.strip = strip::strip(&self.specs, &self.controller, self.now);
    }

    /// Narrates the measurements taken since the last call, each with its run's name.
    fn narrate_measurements(&mut self) -> Vec<(String, RolloutEvent)> {
        let since = self.measured_until;
        let mut events = Vec::new();
        for record in self.controller_runs() {
            for metric in record.run.metrics() {
                for m in &metric.measurements {
                    if since.is_some_and(|s| m.started_at <= s) {
                        continue;
                    }
                    let reason = if m.message.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", m.message)
                    };
                    events.push((
                        record.run.name().to_string(),
                        RolloutEvent {
                            t_ms: m.started_at.0,
                            kind: NarrationKind::Measurement,
                            text: format!(
                                "{} {}: {} {}{reason}",
                                record.run.name(),
                                metric.spec.name,
                                m.phase.as_str(),
                                m.value
                            ),
                        },
                    ));
                }
            }
        }
        self.measured_until = Some(self.now);
        events
    }

    /// Copies the metric checks Flagger ran since it had run `seen` of them (the checks are the
    /// controller's own: only passes that analyse run any).
    fn record_checks(&mut self, seen: usize) {
        let Some(flagger) = self.controller.flagger() else {
            return;
        };
        let fresh = flagger.checks().get(seen..).unwrap_or(&[]);
        self.checks.extend(fresh.iter().map(|c| CheckView {
            t_ms: c.at.0,
            metric: c.metric.clone(),
            value: c.value,
            ok: c.ok,
        }));
        let excess = self.checks.len().saturating_sub(TIMELINE_MAX);
        self.checks.drain(..excess);
    }

    /// Ten seconds of rollout time.
    pub fn tick(&mut self) -> Vec<RolloutEvent> {
        let now = self.now;
        let checks_seen = self.controller.flagger().map(|f| f.checks().len());
        self.controller.advance(now, &self.world);
        if let Some(seen) = checks_seen {
            self.record_checks(seen);
        }
        let measured = self.narrate_measurements();
        let mut events = weave(self.after_change(), measured);
        let candidate = self.controller.candidate(now);
        let served = |world: &World, v: &Option<VersionName>| {
            v.as_ref().map_or(0, |v| world.counters().user_requests(v))
        };
        let before = served(&self.world, &candidate);
        let tests = self.test_traffic();
        self.serve_tick(&tests);
        self.now = self.world.now();
        // canary_requests are the users' only: the test requests sent to the candidate are not.
        let tested: u64 = tests
            .iter()
            .filter(|(v, _)| Some(v) == candidate.as_ref())
            .map(|(_, n)| n)
            .sum();
        self.tallies.test_requests += tests.iter().map(|(_, n)| n).sum::<u64>();
        for (version, count) in &tests {
            *self.tests_this_minute.entry(version.0.clone()).or_insert(0) += count;
        }
        self.tallies.canary_requests += served(&self.world, &candidate)
            .saturating_sub(before)
            .saturating_sub(tested);
        let users = self.world.totals().user_requests;
        self.monitor
            .observe(self.now, users - self.user_requests_monitored);
        self.user_requests_monitored = users;
        events.extend(self.evaluate_alerts());
        if self.now.0.is_multiple_of(DRIFT_EVERY_MS) {
            events.extend(self.check_drift());
        }
        if self.now.0.is_multiple_of(MINUTE_MS) {
            self.observe_minute();
        }
        self.refresh_strip();
        for event in &events {
            self.remember(event.clone());
        }
        events
    }

    /// Ten seconds of serving, cut at the scrape instants, with the test requests spread over the
    /// pieces (all at the tick's start, a 1m rate at the first measurement would read 0/0).
    fn serve_tick(&mut self, tests: &[(VersionName, u64)]) {
        let scrape_ms = self.world.store().scrape_interval().0.clamp(1, TICK_MS);
        let pieces = TICK_MS / scrape_ms;
        for piece in 0..pieces {
            for (version, count) in tests {
                let share = count / pieces + u64::from(piece < count % pieces);
                self.world.serve_test_requests(version, share);
            }
            let piece_ms = if piece + 1 == pieces {
                TICK_MS - scrape_ms * (pieces - 1)
            } else {
                scrape_ms
            };
            self.world.tick(DurationMs(piece_ms));
        }
    }

    /// The test traffic of this tick: a smoke test through a blue-green preview service (users
    /// never reach it), a load test to a Flagger canary while its `rollout` webhooks run.
    fn test_traffic(&self) -> Vec<(VersionName, u64)> {
        let mut traffic = Vec::new();
        if let Some(preview) = &self.world.plan().preview {
            traffic.push((preview.clone(), SMOKE_TEST_REQUESTS_PER_TICK));
        }
        if let Some(flagger) = self.controller.flagger() {
            if let Some(canary) = self.controller.candidate(self.now) {
                if !flagger.active_load_tests().is_empty() {
                    traffic.push((canary, LOAD_TEST_REQUESTS_PER_TICK));
                }
            }
        }
        traffic
    }

    fn evaluate_alerts(&mut self) -> Vec<RolloutEvent> {
        // Rule errors (a query the store cannot answer yet) leave the alerts as they were.
        let _ = self.alerts.evaluate_until(self.world.store(), self.now);
        let new: Vec<AlertTransition> = self.alerts.history()[self.transitions_narrated..].to_vec();
        self.transitions_narrated = self.alerts.history().len();
        new.iter()
            .map(|t| {
                if t.is_resolved() {
                    self.tallies.alerts_resolved += 1;
                } else if t.to == rollouts::alerts::AlertState::Firing {
                    self.tallies.alerts_fired += 1;
                }
                RolloutEvent {
                    t_ms: t.at.0,
                    kind: NarrationKind::Alert,
                    text: monitoring::narrate(t),
                }
            })
            .collect()
    }

    fn check_drift(&mut self) -> Vec<RolloutEvent> {
        let Ok(check) = self.monitor.check() else {
            return Vec::new();
        };
        let view = DriftView::new(self.now.0, check);
        self.world
            .set_gauge(monitoring::drift_gauge("feature"), view.feature.psi);
        self.world
            .set_gauge(monitoring::drift_gauge("prediction"), view.prediction.psi);
        self.tallies.drift_checks += 1;
        self.drift_history.push(view.point());
        if self.drift_history.len() > DRIFT_HISTORY_MAX {
            self.drift_history.remove(0);
        }
        let event = self.narration(NarrationKind::Drift, view.narrate());
        self.drift = Some(view);
        vec![event]
    }

    fn observe_minute(&mut self) {
        observe::sample_minute(
            &self.world,
            self.now,
            &self.experiment_names,
            &mut self.series,
        );
        let answered = observe::answered(&self.world);
        self.split = observe::split(&self.answered_at_minute, &answered, &self.tests_this_minute);
        self.answered_at_minute = answered;
        self.tests_this_minute.clear();
        let stable = self.controller.stable(self.now);
        if let Some(candidate) = self.controller.candidate(self.now) {
            let (baseline, canary, equal) = match &self.judge_pair {
                Some((baseline, canary)) => (baseline.as_str(), canary.as_str(), true),
                None => (stable.0.as_str(), candidate.0.as_str(), false),
            };
            if let Some(judged) = observe::judge(&self.series, baseline, canary, equal, self.now) {
                self.judge = Some(judged);
            }
        }
    }

    fn controller_runs(&self) -> &[RunRecord] {
        match &self.controller {
            Controller::Argo(c) => c.runs(),
            Controller::Flagger { .. } => &[],
        }
    }

    /// Sets a deployed version's prediction quality from now on, without narration: the pipeline
    /// preset measures each version's accuracy by shadow scoring and hands it to the world at
    /// every reconcile. An unknown version is left alone.
    pub(crate) fn set_measured_quality(&mut self, version: &str, quality_permille: u16) {
        let Some(behaviour) = self.behaviours.get_mut(version) else {
            return;
        };
        behaviour.quality_permille = quality_permille.min(1_000);
        self.world.schedule(ScheduledChange {
            at: self.now,
            version: VersionName(version.to_string()),
            change: BehaviourChange::QualityPercent(f64::from(quality_permille.min(1_000)) / 10.0),
        });
    }

    // ---- views ----

    pub fn now_ms(&self) -> u64 {
        self.now.0
    }

    pub fn spec_text(&self) -> &str {
        &self.spec_text
    }

    pub fn spec_name(&self) -> &str {
        self.specs
            .rollouts
            .first()
            .map(|r| r.name.as_str())
            .or_else(|| self.specs.canaries.first().map(|c| c.name.as_str()))
            .unwrap_or("")
    }

    pub fn specs(&self) -> &SpecSet {
        &self.specs
    }

    /// canary, blueGreen, flagger-canary, flagger-ab or flagger-bluegreen.
    pub fn strategy(&self) -> &'static str {
        self.strategy
    }

    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    pub fn steps(&self) -> &StepStrip {
        &self.strip
    }

    pub fn plan(&self) -> &TrafficPlan {
        self.world.plan()
    }

    pub fn split(&self) -> &[SplitRow] {
        &self.split
    }

    pub fn recent(&self) -> impl Iterator<Item = &ResponseRecord> {
        self.world.recent()
    }

    pub fn analysis_runs(&self) -> &[RunRecord] {
        self.controller_runs()
    }

    /// The Flagger controller, when the loaded spec is a Flagger Canary.
    pub fn flagger(&self) -> Option<&rollouts::flagger::FlaggerController> {
        self.controller.flagger()
    }

    pub fn flagger_checks(&self) -> &[CheckView] {
        &self.checks
    }

    pub fn series(&self) -> &[VersionSeries] {
        &self.series
    }

    pub fn thresholds(&self) -> &[Threshold] {
        &self.thresholds
    }

    pub fn alert_rules(&self) -> Vec<monitoring::AlertRow> {
        monitoring::rows(&self.alerts)
    }

    pub fn alert_history(&self) -> &[AlertTransition] {
        self.alerts.history()
    }

    pub fn alerts_firing(&self) -> usize {
        monitoring::firing(&self.alerts)
    }

    pub fn drift(&self) -> Option<&DriftView> {
        self.drift.as_ref()
    }

    pub fn drift_history(&self) -> &[DriftPoint] {
        &self.drift_history
    }

    pub fn judge(&self) -> Option<&JudgeView> {
        self.judge.as_ref()
    }

    pub fn timeline(&self) -> impl DoubleEndedIterator<Item = &RolloutEvent> + ExactSizeIterator {
        self.timeline.iter()
    }

    pub fn versions(&self) -> &BTreeMap<String, VersionBehaviour> {
        &self.behaviours
    }

    pub fn requests_per_second(&self) -> u32 {
        self.requests_per_second
    }

    /// (feature, prediction) shifts in thousandths of a standard deviation.
    pub fn drift_shift(&self) -> (i32, i32) {
        self.shift_milli
    }

    pub fn tallies(&self) -> &Tallies {
        &self.tallies
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// A fingerprint of the whole rollout state.
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(self.now.0);
        hasher.str(&self.spec_text);
        hasher.u64(self.world.state_hash());
        self.monitor.hash_into(hasher);
        hasher.u64(self.narrated as u64);
        hasher.u64(self.controller.event_count() as u64);
        let plan = self.world.plan();
        hasher.u64(u64::from(plan.canary_weight_percent));
        hasher.str(self.strip.phase);
        hasher.str(&self.strip.detail);
        hasher.u64(self.strip.current.map_or(u64::MAX, |c| c as u64));
        for record in self.controller_runs() {
            hasher.str(record.run.phase().as_str());
            for metric in record.run.metrics() {
                hasher.u64(metric.measurements.len() as u64);
            }
        }
        if let Some(gates) = self.controller.gates() {
            hasher.u64(u64::from(gates.confirmed));
            hasher.u64(u64::from(gates.rollback_requested));
        }
        hasher.u64(self.alerts.history().len() as u64);
        for (name, b) in &self.behaviours {
            hasher.str(name);
            std::hash::Hash::hash(b, hasher);
        }
        hasher.u64(u64::from(self.requests_per_second));
        std::hash::Hash::hash(&self.shift_milli, hasher);
        std::hash::Hash::hash(&self.tallies, hasher);
        hasher.u64(self.timeline.len() as u64);
        for event in &self.timeline {
            std::hash::Hash::hash(event, hasher);
        }
    }
}

/// Two labs are equal when everything the journal can observe is: the clock, the spec, the world,
/// the monitor, the alerts, the controller's plan, events and runs, and the narration.
impl PartialEq for RolloutLab {
    fn eq(&self, other: &Self) -> bool {
        self.now == other.now
            && self.spec_text == other.spec_text
            && self.world == other.world
            && self.monitor == other.monitor
            && same_alerts(&self.alerts, &other.alerts)
            && self.behaviours == other.behaviours
            && self.requests_per_second == other.requests_per_second
            && self.shift_milli == other.shift_milli
            && self.tallies == other.tallies
            && self.timeline == other.timeline
            && self.strip == other.strip
            && self.controller.event_count() == other.controller.event_count()
            && self.controller.gates() == other.controller.gates()
            && self.controller_runs() == other.controller_runs()
    }
}

impl Eq for RolloutLab {}

/// Alert managers compared with their values' bits: a resolved alert's value may be NaN, which
/// `==` never equals.
fn same_alerts(a: &AlertManager, b: &AlertManager) -> bool {
    let key = |t: &AlertTransition| {
        (
            t.at,
            t.rule.clone(),
            t.labels.clone(),
            t.from,
            t.to,
            t.value.to_bits(),
        )
    };
    a.history().len() == b.history().len()
        && a.history().iter().map(key).eq(b.history().iter().map(key))
        && monitoring::rows(a) == monitoring::rows(b)
}
