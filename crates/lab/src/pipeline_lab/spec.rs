//! The pipeline's release spec: an Argo Rollouts canary (or blue-green) whose analysis reads the
//! candidate's prediction quality with PromQL over `predictions_total{correct}`, measured by the
//! pods of the newest ReplicaSet (`podTemplateHashValue: Latest`, as Argo's docs pass it).
//!
//! Canary: 20% for a minute, then 50% for three minutes, with a background analysis from the
//! 50% step on (one measurement a minute, no failure allowed); blue-green: the new version
//! behind the preview service, a pre-promotion analysis (three measurements a minute apart),
//! then automatic promotion.

use super::command::Strategy;

/// The analysis's threshold when the lab starts.
pub const START_THRESHOLD_PERMILLE: u16 = 850;

const TEMPLATE: &str = r#"---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: prediction-quality
spec:
  args:
  - name: canary-hash
  metrics:
  - name: prediction-quality
    interval: 1m
    COUNT
    successCondition: result[0] >= THRESHOLD
    failureLimit: 0
    provider:
      prometheus:
        address: http://prometheus.istio-system:9090
        query: |
          sum(rate(predictions_total{rollouts_pod_template_hash="{{args.canary-hash}}",mirror!="true",correct="true"}[1m]))
          /
          sum(rate(predictions_total{rollouts_pod_template_hash="{{args.canary-hash}}",mirror!="true"}[1m]))
"#;

const CANARY: &str = r#"# The pipeline's canary: 20% for a minute, then 50% for three minutes, judged all along the
# 50% step by the candidate's prediction quality.
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: click-model
spec:
  replicas: 10
  strategy:
    canary:
      trafficRouting:
        istio:
          virtualService:
            name: click-model-vsvc
      analysis:
        templates:
        - templateName: prediction-quality
        startingStep: 2
        args:
        - name: canary-hash
          valueFrom:
            podTemplateHashValue: Latest
      steps:
      - setWeight: 20
      - pause: {duration: 1m}
      - setWeight: 50
      - pause: {duration: 3m}
"#;

const BLUE_GREEN: &str = r#"# The pipeline's blue-green: the candidate behind the preview service, judged by its prediction
# quality before the switch, then promoted automatically.
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: click-model
spec:
  replicas: 10
  strategy:
    blueGreen:
      activeService: click-model-active
      previewService: click-model-preview
      autoPromotionEnabled: true
      prePromotionAnalysis:
        templates:
        - templateName: prediction-quality
        args:
        - name: canary-hash
          valueFrom:
            podTemplateHashValue: Latest
"#;

/// The spec for a strategy and a quality threshold (in permille).
pub fn pipeline_spec(strategy: Strategy, threshold_permille: u16) -> String {
    let threshold = format!("{}", f64::from(threshold_permille) / 1000.0);
    let (rollout, count) = match strategy {
        Strategy::Canary => (CANARY, ""),
        Strategy::BlueGreen => (BLUE_GREEN, "count: 3"),
    };
    let template = TEMPLATE.replace("THRESHOLD", &threshold).replace(
        "    COUNT\n",
        &if count.is_empty() {
            String::new()
        } else {
            format!("    {count}\n")
        },
    );
    format!("{rollout}{template}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_specs_parse_with_the_threshold() {
        for strategy in [Strategy::Canary, Strategy::BlueGreen] {
            let yaml = pipeline_spec(strategy, 870);
            assert!(yaml.contains("result[0] >= 0.87"), "{yaml}");
            assert!(
                crate::rollout_lab::parse_spec(&yaml).is_ok(),
                "{strategy:?} does not parse"
            );
        }
    }
}
