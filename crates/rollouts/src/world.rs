//! The serving world: deployed versions answering a user population's requests through the
//! router, with the mesh counting everything and Prometheus scraping it, stepped by `tick(dt)`.
//!
//! A tick of `dt` ms is cut at every scrape instant and every scheduled behaviour change inside
//! it. In each piece, the requests that arrive (Poisson, [`crate::traffic`]) are routed
//! ([`crate::routing::Router`]), answered by the chosen version ([`crate::serving`]) and counted;
//! a mirrored copy is answered by the canary too, counted with `mirror="true"`, and its response
//! is recorded but never returned. At each scrape instant the counters are sampled into the
//! [`MetricStore`], which PromQL queries ([`crate::promql`]) and the analysis reads through the
//! [`MetricSource`] implementation here.
//!
//! Every random draw comes from a stream forked off the seed by purpose (arrivals, routing, each
//! version's serving), so the same seed and the same calls give the same metrics, and deploying
//! a version or changing the plan never reshuffles another stream.

use crate::analysis::{MetricSource, Provider, QueryResult};
use crate::metrics::{
    Audience, Labels, MeshCounters, MetricStore, DEFAULT_HORIZON, DEFAULT_SCRAPE_INTERVAL,
};
use crate::promql;
use crate::routing::{RouteReason, Router, TrafficPlan};
use crate::serving::{no_healthy_upstream, Behaviour, Response, ScheduledChange, ServedVersion};
use crate::traffic::{Traffic, TrafficConfig};
use crate::value::{DurationMs, PodTemplateHash, TimeMs, UserId, VersionName};
use sim::rng::{Rng, Seed};
use sim::state_hash::StateHasher;
use std::collections::{BTreeMap, VecDeque};

/// How a serving world is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct WorldConfig {
    pub seed: Seed,
    pub traffic: TrafficConfig,
    pub scrape_interval: DurationMs,
    pub horizon: DurationMs,
    /// How many of the latest responses are kept for the page's request log.
    pub recent_responses_kept: usize,
}

impl WorldConfig {
    pub fn new(seed: Seed) -> WorldConfig {
        WorldConfig {
            seed,
            traffic: TrafficConfig::default(),
            scrape_interval: DEFAULT_SCRAPE_INTERVAL,
            horizon: DEFAULT_HORIZON,
            recent_responses_kept: 200,
        }
    }
}

/// One answered request (or shadow copy), for the request log.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseRecord {
    pub at: TimeMs,
    pub user: UserId,
    pub version: VersionName,
    pub audience: Audience,
    pub reason: RouteReason,
    pub response: Response,
}

impl ResponseRecord {
    /// Whether the user got this response (a mirror's never is).
    pub fn returned_to_user(&self) -> bool {
        self.audience == Audience::User
    }
}

/// Requests counted since the world started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestTotals {
    pub user_requests: u64,
    pub mirrored_copies: u64,
}

/// The serving world.
#[derive(Clone, Debug, PartialEq)]
pub struct World {
    config: WorldConfig,
    now: TimeMs,
    root: Rng,
    routing_rng: Rng,
    versions: BTreeMap<VersionName, ServedVersion>,
    traffic: Traffic,
    router: Router,
    schedule: Vec<ScheduledChange>,
    counters: MeshCounters,
    store: MetricStore,
    next_scrape: TimeMs,
    recent: VecDeque<ResponseRecord>,
    totals: RequestTotals,
}

impl World {
    /// A world serving everything from `stable` (deploy it with [`World::deploy`]).
    pub fn new(config: WorldConfig, stable: VersionName) -> World {
        let root = Rng::new(config.seed);
        let traffic = Traffic::new(config.traffic, &root);
        let store = MetricStore::new(config.scrape_interval, config.horizon);
        let next_scrape = TimeMs(store.scrape_interval().0);
        World {
            now: TimeMs(0),
            routing_rng: root.fork("rollouts/routing"),
            root,
            versions: BTreeMap::new(),
            traffic,
            router: Router::all_to(stable),
            schedule: Vec::new(),
            counters: MeshCounters::default(),
            store,
            next_scrape,
            recent: VecDeque::new(),
            totals: RequestTotals::default(),
            config,
        }
    }

    pub fn now(&self) -> TimeMs {
        self.now
    }

    /// Deploys (or redeploys with a new behaviour) a version.
    pub fn deploy(&mut self, name: VersionName, behaviour: Behaviour) {
        match self.versions.get_mut(&name) {
            Some(version) => version.behaviour = behaviour,
            None => {
                let version = ServedVersion::new(name.clone(), behaviour, &self.root);
                self.versions.insert(name, version);
            }
        }
    }

    /// Scales a version to zero: requests routed to it get 503s from now on.
    pub fn remove(&mut self, name: &VersionName) {
        self.versions.remove(name);
    }

    pub fn versions(&self) -> impl Iterator<Item = &ServedVersion> {
        self.versions.values()
    }

    /// Routes by `plan` from now on; `Err` says which route's regex is unsupported.
    pub fn set_plan(&mut self, plan: TrafficPlan) -> Result<(), String> {
        self.router = Router::new(plan)?;
        Ok(())
    }

    pub fn plan(&self) -> &TrafficPlan {
        self.router.plan()
    }

    /// Schedules a behaviour change (changes at the same instant apply in the order scheduled;
    /// a change for a version not deployed at its instant does nothing).
    pub fn schedule(&mut self, change: ScheduledChange) {
        let index = self.schedule.partition_point(|c| c.at <= change.at);
        self.schedule.insert(index, change);
    }

    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    pub fn traffic_mut(&mut self) -> &mut Traffic {
        &mut self.traffic
    }

    /// Sets a gauge the lab computes (a drift score), scraped like every series.
    pub fn set_gauge(&mut self, labels: Labels, value: f64) {
        self.counters.set_gauge(labels, value);
    }

    pub fn store(&self) -> &MetricStore {
        &self.store
    }

    pub fn counters(&self) -> &MeshCounters {
        &self.counters
    }

    /// The latest responses, oldest first.
    pub fn recent(&self) -> impl Iterator<Item = &ResponseRecord> {
        self.recent.iter()
    }

    pub fn totals(&self) -> RequestTotals {
        self.totals
    }

    /// Requests from outside the user population (a smoke test through a blue-green preview
    /// service, a load tester during a Flagger analysis): `count` requests answered by `version`
    /// now and counted by the mesh like any other, as Istio counts whatever reaches the
    /// destination. They are nobody's user requests, so the request log and the totals leave
    /// them out. A version that is not deployed answers 503.
    pub fn serve_test_requests(&mut self, version: &VersionName, count: u64) {
        let now = self.now;
        for _ in 0..count {
            let response = self
                .versions
                .get_mut(version)
                .map_or_else(no_healthy_upstream, |v| v.serve(now));
            self.counters.observe(version, Audience::User, &response);
        }
    }

    /// Runs a PromQL query at `at` over what has been scraped so far.
    pub fn promql_query(
        &self,
        query: &str,
        at: TimeMs,
    ) -> Result<Vec<(Labels, f64)>, promql::PromqlError> {
        promql::query(&self.store, query, at)
    }

    /// A fingerprint of the world's state: the clock, every random stream's position, every
    /// version's behaviour, the plan, pending changes, the population's headers and the mesh's
    /// counters (which, with the scrape times, determine every stored sample).
    pub fn state_hash(&self) -> u64 {
        let mut hasher = StateHasher::new();
        hasher.u64(self.now.0);
        hasher.u64(self.next_scrape.0);
        for word in self
            .routing_rng
            .state_words()
            .into_iter()
            .chain(self.traffic.rng_words())
        {
            hasher.u64(word);
        }
        for version in self.versions.values() {
            hasher.str(&version.name.0);
            version.rng_words().iter().for_each(|w| hasher.u64(*w));
            let b = &version.behaviour;
            for number in [
                b.latency.median_ms,
                b.latency.p99_ms,
                b.error_rate_percent,
                b.quality_percent,
                b.quality_decay_percent_per_hour,
            ] {
                hasher.u64(number.to_bits());
            }
            hasher.u64(b.quality_since.0);
        }
        let plan = self.router.plan();
        hasher.str(&plan.stable.0);
        hasher.str(plan.canary.as_ref().map_or("", |c| c.0.as_str()));
        hasher.u64(u64::from(plan.canary_weight_percent));
        hasher.u64(plan.header_routes.len() as u64);
        hasher.u64(plan.mirror_routes.len() as u64);
        hasher.u64(plan.experiment_arms.len() as u64);
        hasher.u64(self.schedule.len() as u64);
        hasher.u64(self.traffic.config.requests_per_second.to_bits());
        for user in self.traffic.users() {
            for (name, value) in &user.headers {
                hasher.str(name);
                hasher.str(value);
            }
        }
        self.counters.hash_into(&mut hasher);
        hasher.u64(self.totals.user_requests);
        hasher.u64(self.totals.mirrored_copies);
        hasher.finish()
    }

    /// Advances lab time by `dt`.
    pub fn tick(&mut self, dt: DurationMs) {
        let end = self.now.plus(dt);
        while self.now < end {
            self.apply_due_changes();
            let mut piece_end = end.min(self.next_scrape);
            if let Some(change) = self.schedule.first() {
                if change.at > self.now {
                    piece_end = piece_end.min(change.at);
                }
            }
            self.serve_for(piece_end.since(self.now));
            self.now = piece_end;
            if self.now == self.next_scrape {
                self.counters.scrape(&mut self.store, self.now);
                self.next_scrape = self.now.plus(self.store.scrape_interval());
            }
        }
        self.apply_due_changes();
    }

    fn apply_due_changes(&mut self) {
        let due = self.schedule.partition_point(|c| c.at <= self.now);
        for change in self.schedule.drain(..due) {
            if let Some(version) = self.versions.get_mut(&change.version) {
                change.change.apply(&mut version.behaviour, self.now);
            }
        }
    }

    /// Serves every request arriving in the next `dt` (they are stamped with the current time).
    fn serve_for(&mut self, dt: DurationMs) {
        for user_id in self.traffic.arrivals(dt) {
            let Some(user) = self.traffic.user(user_id) else {
                continue;
            };
            let decision = self.router.route(user, &mut self.routing_rng);
            self.answer(
                user_id,
                &decision.serve,
                decision.arm.as_ref(),
                Audience::User,
                decision.reason.clone(),
            );
            self.totals.user_requests += 1;
            if let Some(mirror) = decision.mirror {
                self.answer(user_id, &mirror, None, Audience::Mirror, decision.reason);
                self.totals.mirrored_copies += 1;
            }
        }
    }

    /// Answers one request by `version` (by its experiment ReplicaSet `arm` when set), counts it
    /// and logs it.
    fn answer(
        &mut self,
        user: UserId,
        version: &VersionName,
        arm: Option<&PodTemplateHash>,
        audience: Audience,
        reason: RouteReason,
    ) {
        let now = self.now;
        let response = self
            .versions
            .get_mut(version)
            .map_or_else(no_healthy_upstream, |v| v.serve(now));
        match arm {
            Some(arm) => self.counters.observe_experiment(version, arm, &response),
            None => self.counters.observe(version, audience, &response),
        }
        if self.config.recent_responses_kept == 0 {
            return;
        }
        if self.recent.len() == self.config.recent_responses_kept {
            self.recent.pop_front();
        }
        self.recent.push_back(ResponseRecord {
            at: now,
            user,
            version: version.clone(),
            audience,
            reason,
            response,
        });
    }
}

impl MetricSource for World {
    fn query(&self, provider: &Provider, now: TimeMs) -> QueryResult {
        match provider {
            Provider::Prometheus { query } => match promql::query(&self.store, query, now) {
                Ok(vector) => {
                    QueryResult::Vector(vector.into_iter().map(|(_, value)| value).collect())
                }
                Err(e) => QueryResult::Error(e.to_string()),
            },
        }
    }
}
