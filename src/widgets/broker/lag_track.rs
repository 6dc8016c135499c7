//! A partition's offsets as one track (Kafka's `kafka-consumer-groups --describe`, drawn): the
//! log from its start to its end offset, the high watermark as a line, each consumer group's
//! committed offset as a labelled marker, and the lag between that marker and the high
//! watermark shaded with stripes. The same numbers are the track's text alternative. On the
//! partition logs drawn cell by cell, [`cell_marks`] says which cells carry a group's marker and
//! which lie in a lag.

use yew::prelude::*;

/// One group's committed offset on a partition (`None` before its first commit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupCommit {
    pub group: String,
    pub committed: Option<u64>,
}

impl GroupCommit {
    /// Records between the committed offset and the high watermark (the group's lag).
    pub fn lag(&self, hw: u64) -> u64 {
        hw.saturating_sub(self.committed.unwrap_or(0))
    }
}

/// A partition's log bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogBounds {
    pub log_start: u64,
    pub hw: u64,
    pub leo: u64,
}

/// The offsets the track spans: at least one, up to the log end or the furthest commit.
pub fn track_scale(bounds: LogBounds, commits: &[GroupCommit]) -> u64 {
    commits
        .iter()
        .filter_map(|c| c.committed)
        .chain([bounds.leo, bounds.hw, 1])
        .max()
        .unwrap_or(1)
}

/// The track's words: bounds, then each group's commit and lag.
pub fn track_label(partition: &str, bounds: LogBounds, commits: &[GroupCommit]) -> String {
    let mut words = format!(
        "{partition}: log start {}, high watermark {}, log end {}",
        bounds.log_start, bounds.hw, bounds.leo
    );
    for c in commits {
        match c.committed {
            Some(o) => words.push_str(&format!(
                "; group {} committed {o}, lag {}",
                c.group,
                c.lag(bounds.hw)
            )),
            None => words.push_str(&format!(
                "; group {} has not committed, lag {}",
                c.group,
                c.lag(bounds.hw)
            )),
        }
    }
    words
}

/// What a log cell shows of the groups: whose committed offset it is (the next record those
/// groups will read), and whether it lies in some group's lag (committed, not yet past the HW).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CellMarks {
    pub committed_by: Vec<String>,
    pub in_lag: bool,
}

/// The marks of the cell at `offset`.
pub fn cell_marks(offset: u64, hw: u64, commits: &[GroupCommit]) -> CellMarks {
    CellMarks {
        committed_by: commits
            .iter()
            .filter(|c| c.committed == Some(offset))
            .map(|c| c.group.clone())
            .collect(),
        in_lag: commits
            .iter()
            .any(|c| c.committed.unwrap_or(0) <= offset && offset < hw),
    }
}

fn pct(offset: u64, scale: u64) -> f64 {
    (offset.min(scale) as f64) * 100.0 / (scale.max(1) as f64)
}

/// The track of one partition with the given groups' commits.
pub fn offset_track(partition: &str, bounds: LogBounds, commits: &[GroupCommit]) -> Html {
    let scale = track_scale(bounds, commits);
    let label = track_label(partition, bounds, commits);
    let span = |start: u64, end: u64| {
        format!(
            "left:{:.2}%;width:{:.2}%",
            pct(start, scale),
            pct(end, scale) - pct(start, scale)
        )
    };
    html! {
        <div class="offset-track" role="img" aria-label={label.clone()} title={label}>
            <span class="track-log" style={span(bounds.log_start, bounds.leo)}></span>
            { for commits.iter().filter(|c| c.lag(bounds.hw) > 0).map(|c| html! {
                <span class="track-lag" style={span(c.committed.unwrap_or(0), bounds.hw)}></span>
            }) }
            <span class="track-hw" style={format!("left:{:.2}%", pct(bounds.hw, scale))}></span>
            // Shifted back by as much of its own width as its offset is of the track, a group's
            // label stays inside the track at offset 0 and at the end alike.
            { for commits.iter().filter_map(|c| c.committed.map(|o| (c, pct(o, scale)))).map(|(c, at)| html! {
                <span class="track-commit" style={format!("left:{at:.2}%;transform:translateX(-{at:.2}%)")}>{ format!("{}▾", c.group) }</span>
            }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_track_tells_each_groups_lag_in_words() {
        let bounds = LogBounds {
            log_start: 0,
            hw: 25,
            leo: 27,
        };
        let commits = [
            GroupCommit {
                group: "g".into(),
                committed: Some(18),
            },
            GroupCommit {
                group: "audit".into(),
                committed: None,
            },
        ];
        assert_eq!(track_scale(bounds, &commits), 27);
        assert_eq!(
            track_label("orders-0", bounds, &commits),
            "orders-0: log start 0, high watermark 25, log end 27; group g committed 18, lag 7; \
             group audit has not committed, lag 25"
        );
        let empty = LogBounds {
            log_start: 0,
            hw: 0,
            leo: 0,
        };
        assert_eq!(track_scale(empty, &[]), 1);
        assert_eq!(
            cell_marks(18, 25, &commits),
            CellMarks {
                committed_by: vec!["g".into()],
                in_lag: true
            }
        );
        assert!(
            !cell_marks(25, 25, &commits).in_lag,
            "the HW is past the lag"
        );
        assert!(cell_marks(3, 25, &commits).in_lag, "audit never committed");
        assert!(!cell_marks(3, 25, &commits[..1]).in_lag);
    }
}
