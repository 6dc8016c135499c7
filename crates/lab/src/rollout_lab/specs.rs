//! The specs a learner can load by name: the lab's starting canary and the engine's examples
//! (one per feature of Argo Rollouts and Flagger the lab models).

/// A bundled spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    pub name: &'static str,
    pub title: &'static str,
    pub yaml: &'static str,
}

/// The spec the rollouts preset starts with.
pub const DEFAULT: &str = include_str!("specs/default-canary.yaml");

/// Every bundled spec, the starting one first.
pub const EXAMPLES: &[Example] = &[
    Example {
        name: "default-canary",
        title: "Argo canary: 20%, pause 5m, success-rate analysis, 50%, pause, 100%",
        yaml: DEFAULT,
    },
    Example {
        name: "canary-steps-inline-analysis",
        title: "Argo canary with an inline analysis step",
        yaml: include_str!("../../../rollouts/specs/canary-steps-inline-analysis.yaml"),
    },
    Example {
        name: "canary-background-header-mirror",
        title: "Argo canary: background analysis, header route, mirror route",
        yaml: include_str!("../../../rollouts/specs/canary-background-header-mirror.yaml"),
    },
    Example {
        name: "canary-experiment",
        title: "Argo canary with an experiment step",
        yaml: include_str!("../../../rollouts/specs/canary-experiment.yaml"),
    },
    Example {
        name: "bluegreen-pre-post",
        title: "Argo blue-green with pre- and post-promotion analysis",
        yaml: include_str!("../../../rollouts/specs/bluegreen-pre-post.yaml"),
    },
    Example {
        name: "bluegreen-manual",
        title: "Argo blue-green without analysis: preview, promote, switch",
        yaml: include_str!("specs/bluegreen-manual.yaml"),
    },
    Example {
        name: "canary-one-percent",
        title: "Argo canary at 1% with a p99 analysis",
        yaml: include_str!("specs/canary-one-percent.yaml"),
    },
    Example {
        name: "canary-baseline-experiment",
        title: "Argo experiment: an equal-size baseline and canary side by side",
        yaml: include_str!("specs/canary-baseline-experiment.yaml"),
    },
    Example {
        name: "canary-inconclusive",
        title: "Argo canary whose analysis can be Inconclusive",
        yaml: include_str!("specs/canary-inconclusive.yaml"),
    },
    Example {
        name: "flagger-canary",
        title: "Flagger progressive canary with a load test and a promotion gate",
        yaml: include_str!("../../../rollouts/specs/flagger-canary.yaml"),
    },
    Example {
        name: "flagger-ab",
        title: "Flagger A/B test by header and cookie",
        yaml: include_str!("../../../rollouts/specs/flagger-ab.yaml"),
    },
    Example {
        name: "flagger-mirror",
        title: "Flagger blue/green with traffic mirroring",
        yaml: include_str!("specs/flagger-mirror.yaml"),
    },
];

/// The bundled spec called `name`.
pub fn example(name: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.name == name)
}

/// The names, for hints.
pub fn names() -> String {
    EXAMPLES
        .iter()
        .map(|e| e.name)
        .collect::<Vec<_>>()
        .join(", ")
}
