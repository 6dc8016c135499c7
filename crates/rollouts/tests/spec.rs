//! Reading specs: every example file the lab and lessons load parses to what it says, and each
//! kind of mistake is reported at the line where it is written.

use rollouts::spec::{
    parse_specs, CanaryStep, PodHashes, RolloutStrategy, SpecError, SpecSet, WebhookKind,
};
use rollouts::value::{DurationMs, PodTemplateHash, VersionName};

const EXAMPLES: [(&str, &str); 6] = [
    (
        "canary-steps-inline-analysis",
        include_str!("../specs/canary-steps-inline-analysis.yaml"),
    ),
    (
        "canary-background-header-mirror",
        include_str!("../specs/canary-background-header-mirror.yaml"),
    ),
    (
        "canary-experiment",
        include_str!("../specs/canary-experiment.yaml"),
    ),
    (
        "bluegreen-pre-post",
        include_str!("../specs/bluegreen-pre-post.yaml"),
    ),
    (
        "flagger-canary",
        include_str!("../specs/flagger-canary.yaml"),
    ),
    ("flagger-ab", include_str!("../specs/flagger-ab.yaml")),
];

fn parse_ok(name: &str, text: &str) -> SpecSet {
    match parse_specs(text) {
        Ok(set) => set,
        Err(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("line {}: {} ({})", e.line, e.message, e.hint))
                .collect();
            panic!("{name} does not parse:\n{}", lines.join("\n"));
        }
    }
}

#[test]
fn every_example_parses() {
    for (name, text) in EXAMPLES {
        let set = parse_ok(name, text);
        assert!(
            !set.rollouts.is_empty() || !set.canaries.is_empty(),
            "{name} declares nothing to roll out"
        );
    }
}

#[test]
fn the_inline_analysis_example_reads_as_written() {
    let set = parse_ok("inline", EXAMPLES[0].1);
    let rollout = &set.rollouts[0];
    assert_eq!(rollout.replicas, 10);
    let RolloutStrategy::Canary(canary) = &rollout.strategy else {
        panic!("not a canary")
    };
    assert!(canary.traffic_routing);
    assert_eq!(canary.steps.len(), 6);
    assert_eq!(canary.steps[0], CanaryStep::SetWeight(20));
    assert_eq!(canary.steps[1], CanaryStep::Pause(Some(DurationMs(60_000))));
    assert!(matches!(&canary.steps[2], CanaryStep::Analysis(a) if a.templates == ["success-rate"]));
    assert_eq!(
        canary.abort_scale_down_delay,
        DurationMs(30_000),
        "Argo's default abortScaleDownDelaySeconds"
    );
    assert_eq!(
        canary.max_surge_replicas, 3,
        "Argo's default maxSurge 25% of 10 pods, rounded up"
    );
    let template = &set.templates[0];
    assert_eq!(template.metrics[0].count.as_deref(), Some("3"));
}

#[test]
fn templated_args_are_substituted_with_defaults() {
    let set = parse_ok("background", EXAMPLES[1].1);
    let RolloutStrategy::Canary(canary) = &set.rollouts[0].strategy else {
        panic!("not a canary")
    };
    let background = canary.background.as_ref().expect("background analysis");
    assert_eq!(background.starting_step, 2);
    let latest = PodTemplateHash::of_version(&VersionName("v2".into()));
    let hashes = PodHashes {
        stable: PodTemplateHash::of_version(&VersionName("v1".into())),
        latest: latest.clone(),
        templates: Vec::new(),
    };
    assert!(
        rollouts::spec::run_spec(&set, &background.analysis, "run").is_err(),
        "a podTemplateHashValue has no value until a rollout resolves it"
    );
    let resolved = background.analysis.resolved(&hashes).expect("resolves");
    let run = rollouts::spec::run_spec(&set, &resolved, "run").expect("run spec");
    let metric = &run.metrics[0];
    assert_eq!(
        metric.success_condition.as_deref(),
        Some("len(result) == 0 || result[0] <= 300")
    );
    let rollouts::analysis::Provider::Prometheus { query } = &metric.provider;
    let selector = format!("rollouts_pod_template_hash=\"{latest}\"");
    assert!(query.contains(&selector), "{query}");
    assert_eq!(metric.consecutive_error_limit, 4, "Argo's default");
    assert_eq!(metric.failure_limit, 2);
}

#[test]
fn blue_green_defaults_are_argos() {
    let set = parse_ok("bluegreen", EXAMPLES[3].1);
    let RolloutStrategy::BlueGreen(bg) = &set.rollouts[0].strategy else {
        panic!("not blue-green")
    };
    assert!(!bg.auto_promotion_enabled);
    assert_eq!(bg.scale_down_delay, DurationMs(60_000));
    assert_eq!(bg.abort_scale_down_delay, DurationMs(30_000));
    let minimal = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec:\n  strategy:\n    blueGreen:\n      activeService: a\n";
    let set = parse_ok("minimal", minimal);
    assert_eq!(set.rollouts[0].replicas, 1);
    let RolloutStrategy::BlueGreen(bg) = &set.rollouts[0].strategy else {
        panic!("not blue-green")
    };
    assert!(bg.auto_promotion_enabled);
    assert_eq!(bg.scale_down_delay, DurationMs(30_000));
}

#[test]
fn flagger_examples_read_as_written() {
    let set = parse_ok("flagger", EXAMPLES[4].1);
    let canary = &set.canaries[0];
    assert_eq!(canary.analysis.threshold, 5);
    assert_eq!(canary.analysis.max_weight, 50);
    assert_eq!(canary.analysis.step_weight, 10);
    assert_eq!(canary.analysis.metrics.len(), 2);
    assert!(canary.analysis.metrics[0].query.contains("[1m]"));
    assert_eq!(
        canary.analysis.webhooks[1].kind,
        WebhookKind::ConfirmPromotion
    );
    let ab = parse_ok("ab", EXAMPLES[5].1);
    let analysis = &ab.canaries[0].analysis;
    assert_eq!(analysis.iterations, Some(10));
    assert_eq!(analysis.matches.len(), 2);
    assert_eq!(
        analysis.metrics[1].query.matches("[1m]").count(),
        1,
        "{{ interval }} is the default 1m"
    );
}

/// The errors of `text`, which must not parse.
fn errors(text: &str) -> Vec<SpecError> {
    match parse_specs(text) {
        Ok(_) => panic!("parsed but should not:\n{text}"),
        Err(errors) => errors,
    }
}

/// Asserts one error at `line` whose message contains `needle`.
fn assert_error_at(text: &str, line: usize, needle: &str) {
    let found = errors(text);
    assert!(
        found
            .iter()
            .any(|e| e.line == line && e.message.contains(needle) && !e.hint.is_empty()),
        "expected an error at line {line} containing `{needle}`, got: {found:?}"
    );
}

const HEAD: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec:\n  replicas: 3\n  strategy:\n    canary:\n";

fn with_steps(steps: &str) -> String {
    format!("{HEAD}      steps:\n{steps}")
}

#[test]
fn an_unknown_field_names_its_line_and_the_supported_fields() {
    let text = with_steps("      - setWeight: 20\n      - setWieght: 30\n");
    let found = errors(&text);
    let error = found
        .iter()
        .find(|e| e.line == 11)
        .expect("error on line 11");
    assert!(
        error
            .message
            .contains("`setWieght` is not supported by the lab"),
        "{error:?}"
    );
    assert!(
        error.hint.contains("setWeight") && error.hint.contains("pause"),
        "{error:?}"
    );
}

#[test]
fn an_unsupported_provider_is_refused_on_its_line() {
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n  metrics:\n  - name: m\n    provider:\n      datadog:\n        query: x\n";
    assert_error_at(text, 9, "`datadog` is not supported");
}

#[test]
fn a_type_error_names_its_line() {
    let text = format!("{HEAD}      steps:\n      - setWeight: twenty\n");
    assert_error_at(&text, 10, "invalid type");
}

#[test]
fn a_weight_outside_0_to_100_names_its_line() {
    assert_error_at(
        &with_steps("      - setWeight: 20\n      - pause: {}\n      - setWeight: 120\n"),
        12,
        "outside 0..100",
    );
}

#[test]
fn a_pause_duration_that_is_not_a_go_duration_names_its_line() {
    assert_error_at(
        &with_steps("      - setWeight: 20\n      - pause:\n          duration: 10 minutes\n"),
        11,
        "duration",
    );
    assert_error_at(
        &with_steps("      - pause: {duration: 5d}\n"),
        10,
        "not a duration unit",
    );
}

#[test]
fn an_analysis_naming_a_missing_template_names_its_line() {
    let text = with_steps("      - setWeight: 20\n      - analysis:\n          templates:\n          - templateName: sucess-rate\n---\napiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: success-rate\nspec:\n  metrics:\n  - name: m\n    provider:\n      prometheus:\n        query: up\n");
    let found = errors(&text);
    let error = found
        .iter()
        .find(|e| e.line == 11)
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(
        error.message.contains("`sucess-rate` is not in the file"),
        "{error:?}"
    );
    assert!(
        error.hint.contains("success-rate"),
        "did you mean: {error:?}"
    );
}

#[test]
fn a_missing_argument_without_default_names_its_line() {
    let text = with_steps("      - analysis:\n          templates:\n          - templateName: t\n---\napiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n  args:\n  - name: version\n  metrics:\n  - name: m\n    provider:\n      prometheus:\n        query: up{version=\"{{args.version}}\"}\n");
    assert_error_at(&text, 10, "needs arg `version`");
}

#[test]
fn a_condition_that_does_not_parse_names_its_line() {
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n  metrics:\n  - name: m\n    interval: 1m\n    successCondition: result[0] >= \n    provider:\n      prometheus:\n        query: up\n";
    assert_error_at(text, 9, "does not parse");
}

#[test]
fn a_metric_interval_that_is_not_a_duration_names_its_line() {
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n  metrics:\n  - name: m\n    interval: often\n    provider:\n      prometheus:\n        query: up\n";
    assert_error_at(text, 8, "duration");
}

const FLAGGER_HEAD: &str = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: c\nspec:\n  targetRef:\n    name: app\n  analysis:\n    interval: 1m\n";

#[test]
fn step_weight_and_step_weights_together_name_their_line() {
    let text = format!("{FLAGGER_HEAD}    stepWeight: 10\n    stepWeights: [1, 10, 50]\n");
    assert_error_at(&text, 11, "both set");
}

#[test]
fn a_max_weight_over_100_names_its_line() {
    let text = format!("{FLAGGER_HEAD}    stepWeight: 10\n    maxWeight: 150\n");
    assert_error_at(&text, 11, "outside 0..100");
}

#[test]
fn an_unknown_flagger_metric_names_its_line() {
    let text = format!("{FLAGGER_HEAD}    stepWeight: 10\n    metrics:\n    - name: request-sucess-rate\n      thresholdRange:\n        min: 99\n");
    assert_error_at(&text, 12, "not a Flagger built-in");
}

#[test]
fn an_unknown_webhook_type_names_its_line() {
    let text = format!(
        "{FLAGGER_HEAD}    stepWeight: 10\n    webhooks:\n    - name: gate\n      type: confirm\n"
    );
    assert_error_at(&text, 13, "webhook type");
}

#[test]
fn an_unknown_kind_and_a_wrong_api_version_name_their_lines() {
    assert_error_at(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n",
        2,
        "not one the lab reads",
    );
    assert_error_at(
        "apiVersion: argoproj.io/v1\nkind: Rollout\n",
        1,
        "apiVersion",
    );
}

#[test]
fn errors_in_a_later_document_count_lines_from_the_top_of_the_file() {
    let text = format!(
        "{}---\n{}      - setWeight: -5\n",
        EXAMPLES[3].1,
        with_steps("")
    );
    let first_doc_lines = EXAMPLES[3].1.lines().count();
    assert_error_at(&text, first_doc_lines + 1 + 10, "outside 0..100");
}

#[test]
fn a_step_with_two_actions_and_header_routes_without_traffic_routing_are_refused() {
    assert_error_at(
        &with_steps("      - setWeight: 20\n        pause: {}\n"),
        10,
        "2 actions",
    );
    let text = with_steps("      - setHeaderRoute:\n          name: beta\n          match:\n          - headerName: x-beta\n            headerValue: {exact: \"true\"}\n");
    assert_error_at(&text, 10, "trafficRouting");
}

#[test]
fn every_error_is_reported_not_only_the_first() {
    let text = with_steps(
        "      - setWeight: 120\n      - pause: {duration: soon}\n      - setWeight: -1\n",
    );
    let found = errors(&text);
    assert_eq!(
        found.iter().map(|e| e.line).collect::<Vec<_>>(),
        vec![10, 11, 12],
        "{found:?}"
    );
}

#[test]
fn a_query_outside_the_promql_subset_names_its_line() {
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n  metrics:\n  - name: m\n    provider:\n      prometheus:\n        query: sum(rate(istio_requests_total[1m])\n";
    assert_error_at(text, 10, "query does not parse");
}

#[test]
fn every_example_query_and_condition_is_accepted_once_substituted() {
    for (name, text) in EXAMPLES {
        let set = parse_ok(name, text);
        let mut references = Vec::new();
        for rollout in &set.rollouts {
            match &rollout.strategy {
                RolloutStrategy::Canary(canary) => {
                    references.extend(canary.background.iter().map(|b| b.analysis.clone()));
                    for step in &canary.steps {
                        match step {
                            CanaryStep::Analysis(a) => references.push(a.clone()),
                            CanaryStep::Experiment(e) => {
                                references.extend(e.analyses.iter().map(|a| a.analysis.clone()))
                            }
                            _ => {}
                        }
                    }
                }
                RolloutStrategy::BlueGreen(bg) => {
                    references.extend(bg.pre_promotion.iter().chain(&bg.post_promotion).cloned())
                }
            }
        }
        let hashes = PodHashes {
            stable: PodTemplateHash::of_version(&VersionName("v1".into())),
            latest: PodTemplateHash::of_version(&VersionName("v2".into())),
            templates: ["baseline", "candidate", "canary"]
                .iter()
                .map(|t| (t.to_string(), PodTemplateHash(format!("{t}-hash"))))
                .collect(),
        };
        for reference in &references {
            let resolved = reference
                .resolved(&hashes)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let run = rollouts::spec::run_spec(&set, &resolved, "run")
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            for metric in &run.metrics {
                let rollouts::analysis::Provider::Prometheus { query } = &metric.provider;
                assert!(
                    rollouts::promql::parser::parse(query).is_ok(),
                    "{name}: {query}"
                );
                for condition in metric
                    .success_condition
                    .iter()
                    .chain(&metric.failure_condition)
                {
                    assert!(
                        rollouts::analysis::parse_condition(condition).is_ok(),
                        "{name}: {condition}"
                    );
                }
            }
        }
        for canary in &set.canaries {
            for metric in &canary.analysis.metrics {
                let query = metric.query.replace("{{ target }}", "v2");
                assert!(
                    rollouts::promql::parser::parse(&query).is_ok(),
                    "{name}: {query}"
                );
            }
        }
    }
}

#[test]
fn a_missing_field_names_the_line_where_its_mapping_starts() {
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  labels: {}\nspec:\n  strategy:\n    canary: {}\n";
    assert_error_at(text, 4, "missing field `name` (in metadata)");
    let text = format!("{HEAD}      trafficRouting: {{istio: {{}}}}\n      steps:\n      - setHeaderRoute:\n          name: beta\n          match:\n          - headerName: x-beta\n");
    assert_error_at(&text, 14, "missing field `headerValue`");
}

#[test]
fn the_first_problem_in_document_order_is_the_one_reported() {
    let text = with_steps("      - setWeight: x\n      foo: 1\n");
    let found = errors(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].line, found[0].column),
        (10, 20),
        "the value's own column: {found:?}"
    );
    assert!(found[0]
        .message
        .contains("invalid type: string \"x\", expected i64"));
    let text = with_steps("      - setWeight: 5\n      foo: 1\n");
    assert_error_at(
        &text,
        11,
        "field `foo` is not supported by the lab (in spec.strategy.canary)",
    );
}

#[test]
fn a_number_in_a_text_field_keeps_its_spelling() {
    let text = format!("{HEAD}      steps:\n      - analysis:\n          templates:\n          - templateName: t\n          args:\n          - name: threshold\n            value: 0.50\n---\napiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n  args:\n  - name: threshold\n  metrics:\n  - name: m\n    successCondition: result[0] >= {{{{args.threshold}}}}\n    provider:\n      prometheus:\n        query: up\n");
    let set = parse_ok("args", &text);
    let RolloutStrategy::Canary(canary) = &set.rollouts[0].strategy else {
        panic!("not a canary")
    };
    let CanaryStep::Analysis(analysis) = &canary.steps[0] else {
        panic!("not an analysis step")
    };
    assert_eq!(
        analysis.args[0].value,
        rollouts::spec::ArgSource::Text("0.50".to_string())
    );
}

#[test]
fn a_key_written_twice_is_refused() {
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec:\n  strategy: {}\n  strategy: {}\n";
    assert_error_at(text, 6, "duplicate field `strategy` (in spec)");
}
