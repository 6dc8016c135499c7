//! Drift measures on cases worked by hand: no drift between identical samples, the 1e-4 floor of
//! an empty bin, the decile bins and their fractions, and the KS test's symmetry and exact
//! p-values.

use rollouts::drift::{bins, drift, ks_2samp, psi, EMPTY_BIN_FRACTION};

#[test]
fn identical_samples_have_zero_psi_and_ks_p_one() {
    let sample: Vec<f64> = (0..200).map(|i| f64::from((i * 37) % 101)).collect();
    let d = drift(&sample, &sample).unwrap();
    assert_eq!(d.psi, 0.0);
    assert_eq!((d.ks.statistic, d.ks.p_value), (0.0, 1.0));
    assert_eq!(d.bins.reference, d.bins.current);
}

#[test]
fn deciles_of_the_reference_cut_ten_equal_bins() {
    let reference: Vec<f64> = (0..100).map(f64::from).collect();
    let b = bins(&reference, &[-5.0, 150.0]);
    assert_eq!(
        b.interior_edges,
        [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
    );
    assert!(b.reference.iter().all(|&f| f == 0.1));
    // −5 is in (−∞, 10), 150 in [90, +∞).
    assert_eq!(b.current[0], 0.5);
    assert_eq!(b.current[9], 0.5);
}

#[test]
fn a_value_on_an_edge_belongs_to_the_bin_above() {
    let b = bins(&[0.0, 1.0], &[1.0]);
    assert_eq!(b.interior_edges, [1.0]);
    assert_eq!(b.current, [0.0, 1.0]);
}

#[test]
fn an_empty_bin_is_floored_at_one_in_ten_thousand() {
    // Reference [0.5, 0.5], current [1, 0]: the empty bin counts as 1e-4.
    let expected = (1.0 - 0.5) * (1.0f64 / 0.5).ln()
        + (EMPTY_BIN_FRACTION - 0.5) * (EMPTY_BIN_FRACTION / 0.5).ln();
    assert!((psi(&[0.5, 0.5], &[1.0, 0.0]) - expected).abs() < 1e-15);
}

#[test]
fn psi_grows_with_the_shift() {
    let reference: Vec<f64> = (0..1000).map(|i| f64::from(i % 100)).collect();
    let small: Vec<f64> = reference.iter().map(|v| v + 5.0).collect();
    let large: Vec<f64> = reference.iter().map(|v| v + 40.0).collect();
    let (d_small, d_large) = (
        drift(&reference, &small).unwrap(),
        drift(&reference, &large).unwrap(),
    );
    assert!(0.0 < d_small.psi && d_small.psi < d_large.psi);
    assert!(d_large.ks.p_value < d_small.ks.p_value);
}

#[test]
fn ks_is_symmetric_in_its_samples() {
    let a = [0.1, 0.4, 0.4, 0.9, 1.3, 2.2];
    let b = [0.3, 0.4, 1.0, 1.1, 2.5, 2.6, 3.0, 3.1, 4.0];
    assert_eq!(ks_2samp(&a, &b), ks_2samp(&b, &a));
}

#[test]
fn ks_exact_p_values_count_lattice_paths() {
    // n = m = 3, D = 1: 2 of the C(6, 3) = 20 orderings separate the samples.
    let t = ks_2samp(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]);
    assert_eq!(t.statistic, 1.0);
    assert!((t.p_value - 0.1).abs() < 1e-15);
    // n = 1, m = 2, D = 1 (the one value below both): 2 of C(3, 1) = 3 orderings put it at an
    // end, where D = 1.
    let t = ks_2samp(&[0.0], &[1.0, 2.0]);
    assert_eq!(t.statistic, 1.0);
    assert!((t.p_value - 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn bad_samples_name_their_side() {
    assert_eq!(drift(&[1.0], &[]).unwrap_err().sample, "current");
    assert_eq!(
        drift(&[f64::INFINITY], &[1.0]).unwrap_err().sample,
        "reference"
    );
}
