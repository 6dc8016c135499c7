//! Argo's blue-green sequence over a scripted metric source: preview, pre-promotion analysis,
//! pause, switch of the active service, post-promotion analysis (whose failure switches back),
//! and the old version's delayed scale-down.

mod support;

use rollouts::argo::{ArgoController, ArgoEventKind, PauseReason, RolloutPhase};
use rollouts::spec::parse_specs;
use rollouts::value::{TimeMs, VersionName};
use support::{secs, Scripted};

fn v(name: &str) -> VersionName {
    VersionName(name.to_string())
}

fn example() -> ArgoController {
    let set = parse_specs(include_str!("../specs/bluegreen-pre-post.yaml")).expect("parses");
    let mut argo = ArgoController::new(&set.rollouts[0], &set, v("v1"));
    argo.deploy(v("v2"), secs(0));
    argo
}

fn pods(argo: &ArgoController, at: TimeMs, version: &str) -> Option<u32> {
    argo.status(at)
        .replicas
        .iter()
        .find(|(ver, _)| *ver == v(version))
        .map(|(_, n)| *n)
}

#[test]
fn preview_then_analysis_then_pause_then_switch_then_analysis_then_scale_down() {
    let mut argo = example();
    let good = Scripted::constant(1.0);
    argo.advance(secs(0), &good);
    let plan = argo.plan();
    assert_eq!(
        (plan.stable.clone(), plan.preview.clone()),
        (v("v1"), Some(v("v2")))
    );
    assert_eq!(
        argo.status(secs(0)).phase,
        RolloutPhase::Progressing,
        "pre-promotion analysis runs"
    );
    // Three measurements 20 s apart: at 0, 20 and 40 s.
    argo.advance(secs(40), &good);
    assert_eq!(
        argo.status(secs(40)).phase,
        RolloutPhase::Paused(PauseReason::BlueGreenPause)
    );
    assert_eq!(
        argo.plan().stable,
        v("v1"),
        "autoPromotionEnabled: false waits for a promote"
    );
    argo.advance(secs(500), &good);
    assert_eq!(argo.plan().stable, v("v1"));
    argo.promote(secs(500), false).expect("promote");
    assert_eq!(argo.plan().stable, v("v2"), "the active service switched");
    argo.advance(secs(500), &good);
    assert_eq!(
        argo.status(secs(500)).phase,
        RolloutPhase::Progressing,
        "post-promotion analysis runs"
    );
    argo.advance(secs(540), &good);
    let status = argo.status(secs(540));
    assert_eq!(
        (status.phase, status.stable.clone()),
        (RolloutPhase::Healthy, v("v2"))
    );
    assert_eq!(
        pods(&argo, secs(599), "v1"),
        Some(3),
        "scaleDownDelaySeconds 60 keeps the old pods"
    );
    assert_eq!(pods(&argo, secs(600), "v1"), None);
    argo.advance(secs(600), &good);
    assert!(argo
        .events()
        .iter()
        .any(|e| e.at == secs(600) && e.kind == ArgoEventKind::ScaledDown(v("v1"))));
}

#[test]
fn a_failed_pre_promotion_analysis_aborts_before_any_user_sees_the_new_version() {
    let mut argo = example();
    let bad = Scripted::constant(0.5);
    argo.advance(secs(0), &bad);
    assert_eq!(argo.status(secs(0)).phase, RolloutPhase::Degraded);
    assert_eq!(argo.plan(), rollouts::routing::TrafficPlan::all_to(v("v1")));
}

#[test]
fn a_failed_post_promotion_analysis_switches_the_active_service_back() {
    let mut argo = example();
    let source = Scripted::switch_at(1.0, secs(100), 0.5);
    argo.advance(secs(0), &source);
    argo.advance(secs(40), &source);
    argo.promote(secs(90), false).expect("promote");
    assert_eq!(argo.plan().stable, v("v2"));
    argo.advance(secs(130), &source);
    assert_eq!(argo.status(secs(130)).phase, RolloutPhase::Degraded);
    assert_eq!(argo.plan().stable, v("v1"), "back to the stable version");
    assert!(argo
        .events()
        .iter()
        .any(|e| e.kind == ArgoEventKind::ActiveSwitched(v("v1"))));
}

#[test]
fn auto_promotion_seconds_promotes_by_itself_after_the_pause() {
    let yaml = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec:\n  replicas: 2\n  strategy:\n    blueGreen:\n      activeService: a\n      previewService: p\n      autoPromotionSeconds: 30\n";
    let set = parse_specs(yaml).expect("parses");
    let mut argo = ArgoController::new(&set.rollouts[0], &set, v("v1"));
    argo.deploy(v("v2"), secs(10));
    let any = Scripted::constant(1.0);
    argo.advance(secs(10), &any);
    assert_eq!(
        argo.status(secs(10)).phase,
        RolloutPhase::Paused(PauseReason::BlueGreenPause)
    );
    argo.advance(secs(39), &any);
    assert_eq!(argo.plan().stable, v("v1"));
    argo.advance(secs(45), &any);
    assert_eq!(argo.plan().stable, v("v2"));
    assert!(argo
        .events()
        .iter()
        .any(|e| e.at == secs(40) && e.kind == ArgoEventKind::ActiveSwitched(v("v2"))));
}

#[test]
fn without_analysis_or_pause_the_switch_is_immediate() {
    let yaml = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec:\n  strategy:\n    blueGreen:\n      activeService: a\n";
    let set = parse_specs(yaml).expect("parses");
    let mut argo = ArgoController::new(&set.rollouts[0], &set, v("v1"));
    argo.deploy(v("v2"), secs(0));
    argo.advance(secs(0), &Scripted::constant(1.0));
    assert_eq!(argo.status(secs(0)).phase, RolloutPhase::Healthy);
    assert_eq!(argo.plan().stable, v("v2"));
    assert_eq!(
        pods(&argo, secs(29), "v1"),
        Some(1),
        "Argo's default scaleDownDelaySeconds is 30"
    );
    assert_eq!(pods(&argo, secs(30), "v1"), None);
}
