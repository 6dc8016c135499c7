//! The journal bytes of a [`FeatureCommand`]: a format version, then one stable tag per command
//! and its fields. Journals are only ever extended: a tag is never reused or renumbered, and a
//! decoder refuses a format version newer than it knows.

use super::command::{
    FeatureCommand, JoinKind, ADDED_ENTITY_COLUMNS_MAX, ADDED_ENTITY_ROWS_MAX,
    ADDED_VIEW_FEATURES_MAX, KEY_PARTS_MAX, NAME_LEN_MAX, RANGE_US_MAX, REQUESTED_FEATURES_MAX,
    TEXT_LEN_MAX,
};
use crate::model::{
    EntityFrame, FeatureDef, FeatureRef, FeatureRow, FeatureView, ViewRows, ViewSource,
};
use crate::online::WritePolicy;
use crate::value::{Dtype, DurationUs, FeatureValue, KeyTuple, TimestampUs};
use sim::codec::{DecodeError, Reader, Writer};
use std::rc::Rc;

/// The format these bytes are written in.
pub const FORMAT_VERSION: u8 = 1;

const TAG_USE_ENTITIES: u8 = 0;
const TAG_REQUEST: u8 = 1;
const TAG_SET_JOIN: u8 = 2;
const TAG_SET_CREATED_CUTOFF: u8 = 3;
const TAG_SET_FULL_FEATURE_NAMES: u8 = 4;
const TAG_SET_TTL: u8 = 5;
const TAG_SET_WRITE_POLICY: u8 = 6;
const TAG_SET_ONLINE_TTL: u8 = 7;
const TAG_MATERIALIZE: u8 = 8;
const TAG_MATERIALIZE_INCREMENTAL: u8 = 9;
const TAG_READ_ONLINE: u8 = 10;
const TAG_SERVE: u8 = 11;
const TAG_ADD_ENTITIES: u8 = 12;
const TAG_ADD_VIEW: u8 = 13;

pub fn encode(w: &mut Writer, command: &FeatureCommand) {
    w.u8(FORMAT_VERSION);
    match command {
        FeatureCommand::UseEntities { frame } => {
            w.u8(TAG_USE_ENTITIES);
            w.str(frame);
        }
        FeatureCommand::Request { features } => {
            w.u8(TAG_REQUEST);
            w.varint(features.len() as u64);
            for feature in features {
                w.str(&feature.view);
                w.str(&feature.feature);
            }
        }
        FeatureCommand::SetJoin { join } => {
            w.u8(TAG_SET_JOIN);
            w.u8(match join {
                JoinKind::PointInTime => 0,
                JoinKind::LatestValue => 1,
            });
        }
        FeatureCommand::SetCreatedCutoff { on } => {
            w.u8(TAG_SET_CREATED_CUTOFF);
            w.u8(u8::from(*on));
        }
        FeatureCommand::SetFullFeatureNames { on } => {
            w.u8(TAG_SET_FULL_FEATURE_NAMES);
            w.u8(u8::from(*on));
        }
        FeatureCommand::SetTtl { view, ttl } => {
            w.u8(TAG_SET_TTL);
            w.str(view);
            // 0 is unbounded, as in Feast; a TTL is at least one microsecond.
            w.varint(ttl.map_or(0, |d| d.0.max(1) as u64));
        }
        FeatureCommand::SetWritePolicy { policy } => {
            w.u8(TAG_SET_WRITE_POLICY);
            w.u8(match policy {
                WritePolicy::LastWriteWins => 0,
                WritePolicy::EventTimeGuarded => 1,
            });
        }
        FeatureCommand::SetOnlineTtl { enforce } => {
            w.u8(TAG_SET_ONLINE_TTL);
            w.u8(u8::from(*enforce));
        }
        FeatureCommand::Materialize { views, start, end } => {
            w.u8(TAG_MATERIALIZE);
            w.varint(views.len() as u64);
            for view in views {
                w.str(view);
            }
            timestamp(w, *start);
            timestamp(w, *end);
        }
        FeatureCommand::MaterializeIncremental { end } => {
            w.u8(TAG_MATERIALIZE_INCREMENTAL);
            timestamp(w, *end);
        }
        FeatureCommand::ReadOnline { keys, at } => {
            w.u8(TAG_READ_ONLINE);
            w.varint(keys.len() as u64);
            for key in keys {
                typed_value(w, key);
            }
            timestamp(w, *at);
        }
        FeatureCommand::Serve {
            from,
            to,
            materialize_every,
        } => {
            w.u8(TAG_SERVE);
            timestamp(w, *from);
            timestamp(w, *to);
            w.varint(materialize_every.0.max(0) as u64);
        }
        FeatureCommand::AddEntities { name, frame } => {
            w.u8(TAG_ADD_ENTITIES);
            w.str(name);
            entity_frame(w, frame);
        }
        FeatureCommand::AddView { view, rows } => {
            w.u8(TAG_ADD_VIEW);
            feature_view(w, view);
            view_rows(w, rows);
        }
    }
}

pub fn decode(r: &mut Reader<'_>) -> Result<FeatureCommand, DecodeError> {
    let version = r.u8()?;
    if version == 0 || version > FORMAT_VERSION {
        return Err(DecodeError::Invalid("feature command format"));
    }
    Ok(match r.u8()? {
        TAG_USE_ENTITIES => FeatureCommand::UseEntities {
            frame: r.str(NAME_LEN_MAX)?,
        },
        TAG_REQUEST => {
            let count = r.varint_at_most(REQUESTED_FEATURES_MAX as u64, "feature count")?;
            let features = (0..count)
                .map(|_| {
                    Ok(FeatureRef {
                        view: r.str(NAME_LEN_MAX)?,
                        feature: r.str(NAME_LEN_MAX)?,
                    })
                })
                .collect::<Result<_, DecodeError>>()?;
            FeatureCommand::Request { features }
        }
        TAG_SET_JOIN => FeatureCommand::SetJoin {
            join: match r.u8()? {
                0 => JoinKind::PointInTime,
                1 => JoinKind::LatestValue,
                _ => return Err(DecodeError::Invalid("join kind")),
            },
        },
        TAG_SET_CREATED_CUTOFF => FeatureCommand::SetCreatedCutoff { on: flag(r)? },
        TAG_SET_FULL_FEATURE_NAMES => FeatureCommand::SetFullFeatureNames { on: flag(r)? },
        TAG_SET_TTL => FeatureCommand::SetTtl {
            view: r.str(NAME_LEN_MAX)?,
            ttl: match r.varint_at_most(i64::MAX as u64, "ttl")? {
                0 => None,
                us => Some(DurationUs(us as i64)),
            },
        },
        TAG_SET_WRITE_POLICY => FeatureCommand::SetWritePolicy {
            policy: match r.u8()? {
                0 => WritePolicy::LastWriteWins,
                1 => WritePolicy::EventTimeGuarded,
                _ => return Err(DecodeError::Invalid("write policy")),
            },
        },
        TAG_SET_ONLINE_TTL => FeatureCommand::SetOnlineTtl { enforce: flag(r)? },
        TAG_MATERIALIZE => {
            let count = r.varint_at_most(REQUESTED_FEATURES_MAX as u64, "view count")?;
            let views = (0..count)
                .map(|_| r.str(NAME_LEN_MAX))
                .collect::<Result<_, DecodeError>>()?;
            FeatureCommand::Materialize {
                views,
                start: read_timestamp(r)?,
                end: read_timestamp(r)?,
            }
        }
        TAG_MATERIALIZE_INCREMENTAL => FeatureCommand::MaterializeIncremental {
            end: read_timestamp(r)?,
        },
        TAG_READ_ONLINE => {
            let count = r.varint_at_most(KEY_PARTS_MAX as u64, "key parts")?;
            let keys = (0..count)
                .map(|_| read_typed_value(r))
                .collect::<Result<_, DecodeError>>()?;
            FeatureCommand::ReadOnline {
                keys,
                at: read_timestamp(r)?,
            }
        }
        TAG_SERVE => FeatureCommand::Serve {
            from: read_timestamp(r)?,
            to: read_timestamp(r)?,
            materialize_every: DurationUs(
                r.varint_at_most(RANGE_US_MAX as u64, "materialization interval")? as i64,
            ),
        },
        TAG_ADD_VIEW => {
            let view = read_feature_view(r)?;
            let rows = read_view_rows(r, view.features.len())?;
            FeatureCommand::AddView { view, rows }
        }
        TAG_ADD_ENTITIES => FeatureCommand::AddEntities {
            name: r.str(NAME_LEN_MAX)?,
            frame: read_entity_frame(r)?,
        },
        _ => return Err(DecodeError::Invalid("feature command")),
    })
}

fn flag(r: &mut Reader<'_>) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::Invalid("flag")),
    }
}

fn timestamp(w: &mut Writer, ts: TimestampUs) {
    w.signed(ts.0);
}

fn read_timestamp(r: &mut Reader<'_>) -> Result<TimestampUs, DecodeError> {
    r.signed().map(TimestampUs)
}

/// Entity rows: the columns, which is the timestamp, then every value with its type.
fn entity_frame(w: &mut Writer, frame: &EntityFrame) {
    w.varint(frame.columns.len() as u64);
    for column in &frame.columns {
        w.str(column);
    }
    w.varint(frame.timestamp_column as u64);
    w.varint(frame.rows.len() as u64);
    for row in &frame.rows {
        for value in row {
            typed_value(w, value);
        }
    }
}

fn read_entity_frame(r: &mut Reader<'_>) -> Result<EntityFrame, DecodeError> {
    let width = r.varint_at_most(ADDED_ENTITY_COLUMNS_MAX as u64, "entity columns")? as usize;
    let columns = (0..width)
        .map(|_| r.str(NAME_LEN_MAX))
        .collect::<Result<Vec<_>, _>>()?;
    let timestamp_column = r.varint_at_most(width.saturating_sub(1) as u64, "timestamp column")?;
    let count = r.varint_at_most(ADDED_ENTITY_ROWS_MAX as u64, "entity rows")?;
    let rows = (0..count)
        .map(|_| (0..width).map(|_| read_typed_value(r)).collect())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(EntityFrame {
        columns,
        rows,
        timestamp_column: timestamp_column as usize,
    })
}

/// Any value: NULL, an integer, text, a double (its IEEE bits), a boolean or a timestamp.
fn typed_value(w: &mut Writer, value: &FeatureValue) {
    match value {
        FeatureValue::Float(x) => {
            w.u8(3);
            w.varint(x.to_bits());
        }
        FeatureValue::Bool(b) => {
            w.u8(4);
            w.u8(u8::from(*b));
        }
        FeatureValue::Timestamp(ts) => {
            w.u8(5);
            w.signed(ts.0);
        }
        FeatureValue::Null => w.u8(0),
        FeatureValue::Int(i) => {
            w.u8(1);
            w.signed(*i);
        }
        FeatureValue::Str(text) => {
            w.u8(2);
            w.str(text);
        }
    }
}

fn read_typed_value(r: &mut Reader<'_>) -> Result<FeatureValue, DecodeError> {
    Ok(match r.u8()? {
        0 => FeatureValue::Null,
        1 => FeatureValue::Int(r.signed()?),
        2 => FeatureValue::Str(Rc::from(r.str(TEXT_LEN_MAX)?)),
        3 => FeatureValue::Float(f64::from_bits(r.varint()?)),
        4 => FeatureValue::Bool(flag(r)?),
        5 => FeatureValue::Timestamp(TimestampUs(r.signed()?)),
        _ => return Err(DecodeError::Invalid("value")),
    })
}

/// A view's definition: name, entities, TTL (0: unbounded), source columns, typed features.
fn feature_view(w: &mut Writer, view: &FeatureView) {
    w.str(&view.name);
    w.varint(view.entities.len() as u64);
    for entity in &view.entities {
        w.str(entity);
    }
    w.varint(view.ttl.map_or(0, |d| d.0.max(1) as u64));
    w.str(&view.source.table);
    w.str(&view.source.timestamp_field);
    w.str(
        view.source
            .created_timestamp_column
            .as_deref()
            .unwrap_or(""),
    );
    w.varint(view.features.len() as u64);
    for feature in &view.features {
        w.str(&feature.name);
        w.u8(Dtype::ALL
            .iter()
            .position(|d| *d == feature.dtype)
            .unwrap_or(0) as u8);
    }
}

fn read_feature_view(r: &mut Reader<'_>) -> Result<FeatureView, DecodeError> {
    let name = r.str(NAME_LEN_MAX)?;
    let entity_count = r.varint_at_most(KEY_PARTS_MAX as u64, "view entities")?;
    let entities = (0..entity_count)
        .map(|_| r.str(NAME_LEN_MAX))
        .collect::<Result<Vec<_>, _>>()?;
    let ttl = match r.varint_at_most(i64::MAX as u64, "ttl")? {
        0 => None,
        us => Some(DurationUs(us as i64)),
    };
    let table = r.str(NAME_LEN_MAX)?;
    let timestamp_field = r.str(NAME_LEN_MAX)?;
    let created = r.str(NAME_LEN_MAX)?;
    let feature_count = r.varint_at_most(ADDED_VIEW_FEATURES_MAX as u64, "view features")?;
    let features = (0..feature_count)
        .map(|_| {
            Ok(FeatureDef {
                name: r.str(NAME_LEN_MAX)?,
                dtype: *Dtype::ALL
                    .get(usize::from(r.u8()?))
                    .ok_or(DecodeError::Invalid("dtype"))?,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    Ok(FeatureView {
        name,
        entities,
        ttl,
        source: ViewSource {
            table,
            timestamp_field,
            created_timestamp_column: (!created.is_empty()).then_some(created),
        },
        features,
    })
}

/// A view's rows: per row its keys, event and created times (NULL-able) and feature values.
fn view_rows(w: &mut Writer, rows: &ViewRows) {
    w.varint(rows.rows.len() as u64);
    for row in rows.rows.iter() {
        w.varint(row.keys.0.len() as u64);
        for key in &row.keys.0 {
            typed_value(w, key);
        }
        optional_time(w, row.event_ts);
        optional_time(w, row.created_ts);
        w.varint(row.seq);
        for value in &row.values {
            typed_value(w, value);
        }
    }
}

fn read_view_rows(r: &mut Reader<'_>, width: usize) -> Result<ViewRows, DecodeError> {
    let count = r.varint_at_most(ADDED_ENTITY_ROWS_MAX as u64, "view rows")?;
    let rows = (0..count)
        .map(|_| {
            let key_count = r.varint_at_most(KEY_PARTS_MAX as u64, "key parts")?;
            let keys = (0..key_count)
                .map(|_| read_typed_value(r))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(FeatureRow {
                keys: KeyTuple(keys),
                event_ts: read_optional_time(r)?,
                created_ts: read_optional_time(r)?,
                seq: r.varint()?,
                values: (0..width)
                    .map(|_| read_typed_value(r))
                    .collect::<Result<Vec<_>, _>>()?,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    Ok(ViewRows::from(rows))
}

fn optional_time(w: &mut Writer, ts: Option<TimestampUs>) {
    match ts {
        None => w.u8(0),
        Some(ts) => {
            w.u8(1);
            w.signed(ts.0);
        }
    }
}

fn read_optional_time(r: &mut Reader<'_>) -> Result<Option<TimestampUs>, DecodeError> {
    Ok(match r.u8()? {
        0 => None,
        1 => Some(TimestampUs(r.signed()?)),
        _ => return Err(DecodeError::Invalid("time")),
    })
}
