use super::*;
use sim::rng::{Rng, Seed};

/// A uniform draw in `[0, 1)`.
fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// AUC by its definition: over every (positive, negative) pair, 1 when the positive scores
/// higher, 1/2 on a tie.
fn auc_by_pairs(scores: &[f64], labels: &[bool]) -> f64 {
    let mut wins = 0.0;
    let mut pairs = 0.0;
    for (sp, _) in scores.iter().zip(labels).filter(|(_, l)| **l) {
        for (sn, _) in scores.iter().zip(labels).filter(|(_, l)| !**l) {
            pairs += 1.0;
            wins += match sp.partial_cmp(sn) {
                Some(Ordering::Greater) => 1.0,
                Some(Ordering::Equal) => 0.5,
                _ => 0.0,
            };
        }
    }
    wins / pairs
}

#[test]
fn auc_is_one_for_perfect_scores_and_zero_for_inverted_ones() {
    let labels = [false, false, true, true, true];
    assert_eq!(auc(&[0.1, 0.2, 0.3, 0.4, 0.5], &labels).unwrap(), 1.0);
    assert_eq!(auc(&[0.5, 0.4, 0.3, 0.2, 0.1], &labels).unwrap(), 0.0);
}

#[test]
fn auc_of_interleaved_scores_is_exactly_one_half() {
    // positives at 1 and 4, negatives at 2 and 3: two of the four pairs are won
    let labels = [true, false, false, true];
    assert_eq!(auc(&[1.0, 2.0, 3.0, 4.0], &labels).unwrap(), 0.5);
}

#[test]
fn auc_counts_a_tie_as_half_a_pair() {
    // all tied: every pair is a tie
    assert_eq!(auc(&[7.0; 4], &[true, false, true, false]).unwrap(), 0.5);
    // pairs (pos 1 vs neg 1) tie, (1 vs 0), (2 vs 1), (2 vs 0) win: 3.5 of 4
    let scores = [1.0, 1.0, 2.0, 0.0];
    assert_eq!(auc(&scores, &[true, false, true, false]).unwrap(), 0.875);
    // the classic four-point example: 3 of 4 pairs won
    let scores = [0.1, 0.4, 0.35, 0.8];
    assert_eq!(auc(&scores, &[false, false, true, true]).unwrap(), 0.75);
}

#[test]
fn auc_agrees_with_counting_pairs_on_scores_with_many_ties() {
    let mut rng = Rng::new(Seed(7)).fork("features/train/auc");
    for _ in 0..50 {
        let n = 2 + rng.below(40) as usize;
        let scores: Vec<f64> = (0..n).map(|_| rng.below(6) as f64 / 2.0).collect();
        let mut labels: Vec<bool> = (0..n).map(|_| rng.chance_permille(400)).collect();
        labels[0] = true;
        labels[1] = false;
        let by_ranks = auc(&scores, &labels).unwrap();
        assert!((by_ranks - auc_by_pairs(&scores, &labels)).abs() < 1e-12);
    }
}

#[test]
fn auc_rejects_one_class_nan_and_mismatched_lengths() {
    assert!(auc(&[0.1, 0.2], &[true, true]).is_err());
    assert!(auc(&[0.1, f64::NAN], &[true, false]).is_err());
    let error = auc(&[0.1], &[true, false]).unwrap_err();
    assert!(error.message.contains("1 scores but 2 labels"));
}

#[test]
fn portable_exp_matches_the_platform_exp_to_the_last_bits() {
    let mut x = -40.0;
    while x <= 40.0 {
        let relative = (exp_portable(x) - x.exp()).abs() / x.exp();
        assert!(relative < 1e-14, "exp({x}): {relative}");
        x += 0.37;
    }
    assert_eq!(exp_portable(0.0), 1.0);
    assert_eq!(sigmoid(0.0), 0.5);
    assert!(sigmoid(-1e6) >= 0.0 && sigmoid(1e6) <= 1.0);
}

/// Rows `(x1, x2)` uniform in `[-1, 1)^2`, labelled by a logistic draw around `x1 - 2 x2`.
fn separable_sample(seed: u64, n: usize) -> (Vec<Vec<Option<f64>>>, Vec<bool>) {
    let mut rng = Rng::new(Seed(seed)).fork("features/train/sample");
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..n {
        let x1 = unit(&mut rng) * 2.0 - 1.0;
        let x2 = unit(&mut rng) * 2.0 - 1.0;
        let p = sigmoid(4.0 * (x1 - 2.0 * x2));
        rows.push(vec![Some(x1), Some(x2)]);
        labels.push(unit(&mut rng) < p);
    }
    (rows, labels)
}

#[test]
fn the_trainer_recovers_a_known_separating_direction() {
    let (rows, labels) = separable_sample(11, 2000);
    let model = LogisticModel::fit(&rows, &labels, TrainOptions::default()).unwrap();
    // both features have the same spread, so the standardized weights point along (1, -2)
    let (w1, w2) = (model.weights[0], model.weights[1]);
    let cosine = (w1 - 2.0 * w2) / ((w1 * w1 + w2 * w2).sqrt() * 5f64.sqrt());
    assert!(cosine > 0.995, "weights {w1}, {w2}");
    // the true logit per unit of x is 4 and -8; standardized by sd 1/sqrt(3)
    let true_w1 = 4.0 / 3f64.sqrt();
    assert!((w1 - true_w1).abs() < 0.25 * true_w1, "w1 = {w1}");
    let scores = model.predict_all(&rows).unwrap();
    assert!(auc(&scores, &labels).unwrap() > 0.9);
}

#[test]
fn training_is_deterministic() {
    let (rows, labels) = separable_sample(3, 300);
    let a = LogisticModel::fit(&rows, &labels, TrainOptions::default()).unwrap();
    let b = LogisticModel::fit(&rows, &labels, TrainOptions::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_null_is_imputed_with_the_mean_and_flagged_by_an_indicator() {
    // the feature is NULL exactly on the positives: only the indicator can tell them apart
    let rows: Vec<Vec<Option<f64>>> = (0..40)
        .map(|i| {
            if i % 2 == 0 {
                vec![None]
            } else {
                vec![Some(f64::from(i % 5))]
            }
        })
        .collect();
    let labels: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
    let model = LogisticModel::fit(&rows, &labels, TrainOptions::default()).unwrap();
    assert!(model.scaling[0].missing_indicator);
    assert_eq!(model.scaling[0].mean, 2.0);
    assert_eq!(model.weights.len(), 2);
    assert!(
        model.weights[1] > 1.0,
        "indicator weight {}",
        model.weights[1]
    );
    assert!(model.predict(&[None]).unwrap() > 0.9);
    assert!(model.predict(&[Some(2.0)]).unwrap() < 0.1);
}

#[test]
fn a_constant_feature_gets_no_weight() {
    let (mut rows, labels) = separable_sample(5, 200);
    for row in &mut rows {
        row.push(Some(3.0));
    }
    let model = LogisticModel::fit(&rows, &labels, TrainOptions::default()).unwrap();
    assert_eq!(model.weights[2], 0.0);
    assert_eq!(model.scaling[2].std_dev, 1.0);
}

#[test]
fn bad_training_input_is_an_error_with_a_hint() {
    let options = TrainOptions::default();
    let one_class = LogisticModel::fit(&[vec![Some(1.0)], vec![Some(2.0)]], &[true, true], options);
    assert!(one_class.unwrap_err().message.contains("all the same"));
    let ragged = LogisticModel::fit(&[vec![Some(1.0)], vec![]], &[true, false], options);
    assert!(ragged.unwrap_err().message.contains("row 1 has 0 features"));
    let infinite = LogisticModel::fit(
        &[vec![Some(f64::INFINITY)], vec![None]],
        &[true, false],
        options,
    );
    assert!(!infinite.unwrap_err().hint.is_empty());
    let model =
        LogisticModel::fit(&[vec![Some(1.0)], vec![Some(2.0)]], &[true, false], options).unwrap();
    assert!(model.predict(&[Some(1.0), Some(2.0)]).is_err());
}

#[test]
fn feature_values_become_numbers_and_strings_are_refused() {
    assert_eq!(numeric(&FeatureValue::Int(3)).unwrap(), Some(3.0));
    assert_eq!(numeric(&FeatureValue::Bool(true)).unwrap(), Some(1.0));
    assert_eq!(numeric(&FeatureValue::Null).unwrap(), None);
    assert!(numeric(&FeatureValue::text("a")).is_err());
}
