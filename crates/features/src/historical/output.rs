//! Turning each view's picks into the training set: the entity columns, then each requested
//! feature's value from the picked source row (NULL where the view matched nothing), and the
//! match table the UI draws its arrows and NULL reasons from.

use super::request::Request;
use super::{Pick, TrainingSet, ViewMatch};
use crate::model::EntityFrame;
use crate::value::FeatureValue;

/// The output rows and match table from each view's picks.
pub(super) fn assemble(
    request: Request,
    entities: &EntityFrame,
    picks: &[Vec<Pick>],
) -> TrainingSet {
    let width = request.columns.len();
    let mut feature_columns: Vec<std::vec::IntoIter<FeatureValue>> =
        gather_features(&request, picks, entities.rows.len())
            .into_iter()
            .map(Vec::into_iter)
            .collect();
    let mut rows = Vec::with_capacity(entities.rows.len());
    let mut matches = Vec::with_capacity(entities.rows.len());
    for (r, entity_row) in entities.rows.iter().enumerate() {
        let mut out = Vec::with_capacity(width);
        out.extend(entity_row.iter().cloned());
        out.extend(
            feature_columns
                .iter_mut()
                .map(|column| column.next().unwrap_or(FeatureValue::Null)),
        );
        rows.push(out);
        matches.push(picks.iter().map(|view| view_match(&view[r])).collect());
    }
    TrainingSet {
        columns: request.columns,
        rows,
        views: request
            .views
            .iter()
            .map(|view| view.view.name.clone())
            .collect(),
        matches,
    }
}

/// Each requested feature's values, one per entity row (NULL where its view matched nothing).
/// Picked rows are read in source order: a forward sweep over the source instead of a random
/// jump per entity row.
fn gather_features(request: &Request, picks: &[Vec<Pick>], n: usize) -> Vec<Vec<FeatureValue>> {
    let mut columns = vec![vec![FeatureValue::Null; n]; request.features.len()];
    for (v, view_picks) in picks.iter().enumerate() {
        let wanted: Vec<(usize, usize)> = request
            .features
            .iter()
            .enumerate()
            .filter(|(_, feature)| feature.view == v)
            .map(|(column, feature)| (column, feature.feature))
            .collect();
        let mut by_source_row: Vec<(u32, usize)> = view_picks
            .iter()
            .enumerate()
            .filter_map(|(r, pick)| pick.as_ref().ok().map(|version| (version.row, r)))
            .collect();
        sim::sort::sort(&mut by_source_row);
        let source = &request.views[v].rows.rows;
        for (row, r) in by_source_row {
            let values = &source[row as usize].values;
            for &(column, feature) in &wanted {
                columns[column][r] = values[feature].clone();
            }
        }
    }
    columns
}

fn view_match(pick: &Pick) -> ViewMatch {
    match pick {
        Ok(version) => ViewMatch::Matched {
            seq: version.seq,
            event_ts: version.event_ts,
            created_ts: version.created_ts,
        },
        Err(reason) => ViewMatch::Missing(*reason),
    }
}
