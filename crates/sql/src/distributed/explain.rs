//! EXPLAIN of a distributed plan, as Spark prints its physical plan: root first, each child on
//! its own line under `+- ` (the last child) or `:- ` (the others), `AdaptiveSparkPlan` on top
//! when AQE is on (`isFinalPlan=true` after a run, `false` before one). Each exchange says which
//! stages it connects and the bytes it moved, or before a run the bytes estimated.

use super::physical::{ExchangeId, Exchanged, JoinRecord, Phys, Route};
use super::DistConfig;
use std::collections::BTreeMap;

/// What one exchange did in a run: the stage writing it, the stage reading it, the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ExchangeStat {
    pub from: u16,
    pub to: Option<u16>,
    pub bytes: u64,
}

/// Each exchange's figures after a run (empty before one).
pub(super) type ExchangeBytes = BTreeMap<ExchangeId, ExchangeStat>;

/// One line of the tree and its children.
struct Line {
    text: String,
    children: Vec<Line>,
}

/// The plan's text; `ran` says whether `stats` come from a run.
pub(super) fn render(phys: &Phys, config: &DistConfig, ran: bool, stats: &ExchangeBytes) -> String {
    let tree = line(phys, config, stats);
    let mut out = String::from("== Physical Plan ==\n");
    if config.aqe {
        out.push_str(&format!("AdaptiveSparkPlan isFinalPlan={ran}\n"));
        write(&tree, "", Some(true), &mut out);
    } else {
        write(&tree, "", None, &mut out);
    }
    out
}

/// Writes `line` under `prefix`; `last` is None for the root, else whether it is its parent's
/// last child.
fn write(line: &Line, prefix: &str, last: Option<bool>, out: &mut String) {
    let (branch, below) = match last {
        None => ("", String::new()),
        Some(true) => ("+- ", format!("{prefix}   ")),
        Some(false) => (":- ", format!("{prefix}:  ")),
    };
    out.push_str(&format!("{prefix}{branch}{}\n", line.text));
    let n = line.children.len();
    for (i, child) in line.children.iter().enumerate() {
        write(child, &below, Some(i + 1 == n), out);
    }
}

fn line(phys: &Phys, config: &DistConfig, stats: &ExchangeBytes) -> Line {
    let leaf = |text: String| Line {
        text,
        children: Vec::new(),
    };
    let over = |text: &str, children: Vec<Line>| Line {
        text: text.to_string(),
        children,
    };
    match phys {
        Phys::Scan { name, cached, .. } => leaf(format!(
            "{}{name} [{} splits]",
            if *cached {
                "InMemoryTableScan "
            } else {
                "Scan "
            },
            config.scan_partitions_clamped()
        )),
        Phys::Whole { text, .. } => leaf(text.clone()),
        Phys::Step { text, input, .. } | Phys::TopK { text, input, .. } => {
            over(text, vec![line(input, config, stats)])
        }
        Phys::Merge { input, .. } => line(input, config, stats),
        Phys::Union { left, right, .. } => over(
            "Union",
            vec![line(left, config, stats), line(right, config, stats)],
        ),
        Phys::Exchange(e) => exchange_line(e, config, stats),
        Phys::Zip {
            left,
            right,
            join,
            text,
            ..
        } => {
            let side = |e: &Exchanged| {
                let shuffled = exchange_line(e, config, stats);
                match (join, &e.route) {
                    (Some((JoinRecord::SortMerge, _)), Route::Hash(_)) => Line {
                        text: format!("Sort [{}], false, 0", e.keys_text.join(", ")),
                        children: vec![shuffled],
                    },
                    _ => shuffled,
                }
            };
            over(text, vec![side(left), side(right)])
        }
        Phys::Broadcast {
            stream,
            build,
            build_is_left,
            text,
            ..
        } => {
            let stream = line(stream, config, stats);
            let build = exchange_line(build, config, stats);
            let children = if *build_is_left {
                vec![build, stream]
            } else {
                vec![stream, build]
            };
            over(text, children)
        }
    }
}

fn exchange_line(e: &Exchanged, config: &DistConfig, stats: &ExchangeBytes) -> Line {
    let what = match &e.route {
        Route::Hash(_) => format!(
            "Exchange hashpartitioning({}, {})",
            e.keys_text.join(", "),
            e.partitions
        ),
        Route::Range(_) => format!(
            "Exchange rangepartitioning({}, {})",
            e.keys_text.join(", "),
            e.partitions
        ),
        Route::Single => "Exchange SinglePartition".to_string(),
        Route::Broadcast => "BroadcastExchange HashedRelationBroadcastMode".to_string(),
    };
    let note = match stats.get(&e.id) {
        Some(s) => {
            let to = s.to.map_or_else(|| "?".to_string(), |t| t.to_string());
            format!(
                "[stage {} -> stage {to}, {}]",
                s.from,
                format_bytes(s.bytes)
            )
        }
        None => format!("[estimated {}]", format_bytes(e.estimated_bytes)),
    };
    Line {
        text: format!("{what}    {note}"),
        children: vec![line(&e.input, config, stats)],
    }
}

/// Bytes as Spark's UI shows them: `812 B`, `12.3 KiB`, `4.0 MiB`.
pub fn format_bytes(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else {
        format!("{:.1} GiB", b / (KIB * KIB * KIB))
    }
}
