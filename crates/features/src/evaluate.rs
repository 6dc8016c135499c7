//! Offline AUC next to AUC on later data: the number that shows leakage.
//!
//! A model is trained on the entity rows before the split with the training set a join built,
//! and its offline AUC is measured on those same rows, as a data scientist who trusts that
//! training set would. Then it is scored on the rows from the split on with what serving gives
//! (the point-in-time values: what was known at each request). A join that leaked the future
//! shows a high offline AUC and a lower one later; a point-in-time join shows about the same.

use crate::historical::TrainingSet;
use crate::model::{EntityFrame, FeatureError};
use crate::train::{auc, numeric, LogisticModel, TrainOptions};
use crate::value::{FeatureValue, TimestampUs};

/// What a model trained on a training set scores.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// AUC on the rows it was trained on.
    pub offline_auc: f64,
    /// AUC on the later rows, with point-in-time features.
    pub later_auc: f64,
    pub training_rows: usize,
    pub later_rows: usize,
}

/// Trains on `trained` (the rows of `frame` before `later_data_from`) and scores the later rows
/// of `served`. Both sets must be built for `frame`, with the same features; `label_column`
/// holds 1 for a positive row.
pub fn evaluate(
    frame: &EntityFrame,
    label_column: &str,
    later_data_from: TimestampUs,
    trained: &TrainingSet,
    served: &TrainingSet,
) -> Result<Evaluation, FeatureError> {
    let label = frame
        .columns
        .iter()
        .position(|c| c == label_column)
        .ok_or_else(|| {
            FeatureError::new(
                format!("the entity rows have no label column `{label_column}`"),
                "pick entity rows with a label",
            )
        })?;
    let labels: Vec<bool> = frame
        .rows
        .iter()
        .map(|row| row.get(label) == Some(&FeatureValue::Int(1)))
        .collect();
    let later: Vec<bool> = frame
        .rows
        .iter()
        .map(|row| {
            matches!(row.get(frame.timestamp_column), Some(FeatureValue::Timestamp(ts)) if *ts >= later_data_from)
        })
        .collect();
    let width = frame.columns.len();
    let train_x = pick(&feature_matrix(trained, width)?, &later, false);
    let train_y = pick(&labels, &later, false);
    let model = LogisticModel::fit(&train_x, &train_y, TrainOptions::default())?;
    let offline_auc = auc(&model.predict_all(&train_x)?, &train_y)?;
    let later_x = pick(&feature_matrix(served, width)?, &later, true);
    let later_y = pick(&labels, &later, true);
    let later_auc = auc(&model.predict_all(&later_x)?, &later_y)?;
    Ok(Evaluation {
        offline_auc,
        later_auc,
        training_rows: train_x.len(),
        later_rows: later_x.len(),
    })
}

/// The feature columns of a training set (those after the entity columns) as optional numbers.
fn feature_matrix(
    set: &TrainingSet,
    entity_columns: usize,
) -> Result<Vec<Vec<Option<f64>>>, FeatureError> {
    set.rows
        .iter()
        .map(|row| {
            row.get(entity_columns..)
                .unwrap_or_default()
                .iter()
                .map(numeric)
                .collect()
        })
        .collect()
}

fn pick<T: Clone>(items: &[T], mask: &[bool], want: bool) -> Vec<T> {
    items
        .iter()
        .zip(mask)
        .filter(|(_, m)| **m == want)
        .map(|(x, _)| x.clone())
        .collect()
}
