//! Geometry of the cluster lab's drawings, as pure functions tested natively: the stage DAG laid
//! out left to right by depth (a stage one column right of its deepest parent, as Spark's UI
//! draws a job's DAG), and the Gantt chart's time axis (a bar's place and length in percent of
//! the span shown).

/// A stage box's width, in SVG units.
pub const BOX_WIDTH: f64 = 176.0;
/// The gap between two columns, where the exchange's label goes.
pub const COLUMN_GAP: f64 = 150.0;
/// The gap between two boxes of a column.
pub const ROW_GAP: f64 = 18.0;
/// Height of a box's title and footer lines together.
pub const BOX_CHROME: f64 = 46.0;
/// Height of one operator line.
pub const LINE_HEIGHT: f64 = 14.0;
/// Operator lines shown at most per box (the rest are counted).
pub const LINES_MAX: usize = 6;
/// The margin around the drawing.
pub const MARGIN: f64 = 6.0;

/// One stage as the DAG needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct DagNode {
    pub id: u16,
    pub parents: Vec<u16>,
    /// Operator lines in the box.
    pub lines: usize,
}

/// Where a stage's box goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub id: u16,
    pub depth: usize,
    pub x: f64,
    pub y: f64,
    pub height: f64,
}

/// The whole drawing: boxes and its size.
#[derive(Clone, Debug, PartialEq)]
pub struct DagLayout {
    pub boxes: Vec<Placed>,
    pub width: f64,
    pub height: f64,
}

impl DagLayout {
    pub fn placed(&self, id: u16) -> Option<&Placed> {
        self.boxes.iter().find(|b| b.id == id)
    }
}

/// A box's height for `lines` operator lines.
pub fn box_height(lines: usize) -> f64 {
    BOX_CHROME + LINE_HEIGHT * lines.min(LINES_MAX + 1) as f64
}

/// Each stage's depth: 0 without parents, else one more than its deepest parent. Stages come
/// parents first; a parent that is not (yet) listed counts as depth 0.
pub fn depths(nodes: &[DagNode]) -> Vec<usize> {
    let mut depth: Vec<usize> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let d = node
            .parents
            .iter()
            .filter_map(|p| nodes.iter().position(|n| n.id == *p))
            .filter(|&i| i < depth.len())
            .map(|i| depth[i] + 1)
            .max()
            .unwrap_or(0);
        depth.push(d);
    }
    depth
}

/// Lays the stages out: a column per depth, the boxes of a column top to bottom in stage order.
pub fn dag_layout(nodes: &[DagNode]) -> DagLayout {
    let depth = depths(nodes);
    let columns = depth.iter().max().map_or(0, |d| d + 1);
    let mut column_y = vec![MARGIN; columns];
    let boxes: Vec<Placed> = nodes
        .iter()
        .zip(&depth)
        .map(|(node, &d)| {
            let height = box_height(node.lines);
            let y = column_y[d];
            column_y[d] += height + ROW_GAP;
            Placed {
                id: node.id,
                depth: d,
                x: MARGIN + d as f64 * (BOX_WIDTH + COLUMN_GAP),
                y,
                height,
            }
        })
        .collect();
    let width = if columns == 0 {
        0.0
    } else {
        2.0 * MARGIN + columns as f64 * BOX_WIDTH + (columns - 1) as f64 * COLUMN_GAP
    };
    let height = column_y.iter().fold(0.0f64, |h, y| h.max(*y)) - ROW_GAP + MARGIN;
    DagLayout {
        boxes,
        width,
        height: height.max(0.0),
    }
}

/// The room an arrow keeps for its S-bend before the child's box: it runs level from the parent
/// for the rest of the gap, under and over the exchange's label, so the label is never crossed.
pub const BEND: f64 = 30.0;

/// Characters an exchange's label line holds (its whole text is in its title).
pub const LABEL_CHARS: usize = 18;
/// Width of one character of the labels' 10-unit monospace type.
const CHAR_WIDTH: f64 = 6.0;

// A label line starts 6 units right of the parent and must end before the bend, which starts
// BEND units before the arrowhead's 4-unit inset into the child's box.
const _: () = assert!(6.0 + CHAR_WIDTH * LABEL_CHARS as f64 <= COLUMN_GAP - 4.0 - BEND);

/// An arrow's path from a parent's exit (`from`) to a child's entry (`to`): level, then an
/// S-bend in the last [`BEND`] units.
pub fn edge_path(from: (f64, f64), to: (f64, f64)) -> String {
    let ((x1, y1), (x2, y2)) = (from, to);
    let bend_from = (x2 - BEND).max(x1);
    let middle = (bend_from + x2) / 2.0;
    format!("M{x1},{y1} L{bend_from},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}")
}

/// The ticks a Gantt chart spans: from the job's start to its end, or to now while it runs, at
/// least one tick.
pub fn gantt_span(start_tick: u64, end_tick: Option<u64>, now_tick: u64) -> (u64, u64) {
    let end = end_tick.unwrap_or(now_tick).max(start_tick + 1);
    (start_tick, end)
}

/// A bar's left edge and width in percent of the span (a bar is at least a sliver wide, so an
/// attempt that ended in the tick it started still shows).
pub fn bar_percent(span: (u64, u64), start_tick: u64, end_tick: u64) -> (f64, f64) {
    let (from, to) = span;
    let length = (to - from).max(1) as f64;
    let clamp = |t: u64| t.clamp(from, to);
    let left = (clamp(start_tick) - from) as f64 / length * 100.0;
    let width = (clamp(end_tick) - clamp(start_tick)) as f64 / length * 100.0;
    (left, width.max(0.4).min(100.0 - left))
}

/// Labels for the time axis: about five round tick counts within the span, relative to its start.
pub fn axis_ticks(span_ticks: u64) -> Vec<u64> {
    let span = span_ticks.max(1);
    let raw = span as f64 / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor()).max(1.0);
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
        .round()
        .max(1.0) as u64;
    (0..=span).step_by(step as usize).collect()
}

/// The Gantt chart's width in CSS pixels for a span: wide enough that one tick is visible, at
/// least the widget's width (`min_px`), at most a few screens.
pub fn gantt_width_px(span_ticks: u64, min_px: u64) -> u64 {
    (span_ticks * 3).clamp(min_px, 2_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u16, parents: &[u16], lines: usize) -> DagNode {
        DagNode {
            id,
            parents: parents.to_vec(),
            lines,
        }
    }

    #[test]
    fn a_sort_merge_join_is_two_scans_then_the_join_then_the_final_aggregate() {
        let nodes = vec![
            node(0, &[], 2),
            node(1, &[], 1),
            node(2, &[0, 1], 3),
            node(3, &[2], 1),
        ];
        assert_eq!(depths(&nodes), vec![0, 0, 1, 2]);
        let layout = dag_layout(&nodes);
        let (a, b) = (layout.placed(0).unwrap(), layout.placed(1).unwrap());
        assert_eq!(a.x, b.x, "both scans in the first column");
        assert!(
            b.y >= a.y + a.height + ROW_GAP - 1e-9,
            "stacked, not overlapping"
        );
        assert!(layout.placed(2).unwrap().x > a.x + BOX_WIDTH);
        assert_eq!(
            layout.width,
            2.0 * MARGIN + 3.0 * BOX_WIDTH + 2.0 * COLUMN_GAP
        );
    }

    #[test]
    fn an_empty_job_draws_nothing() {
        let layout = dag_layout(&[]);
        assert!(layout.boxes.is_empty());
        assert_eq!(layout.width, 0.0);
    }

    #[test]
    fn long_operator_lists_are_capped() {
        assert_eq!(box_height(40), box_height(LINES_MAX + 1));
        assert!(box_height(2) < box_height(3));
    }

    /// Every DAG of five stages (each stage picks any set of the earlier ones as parents): every
    /// child lies right of all its parents, and no two boxes overlap.
    #[test]
    fn children_lie_right_of_their_parents_in_every_small_dag() {
        const STAGES: u16 = 5;
        let choices: u32 = (1..STAGES).map(|i| 1u32 << i).product();
        for choice in 0..choices {
            let mut rest = choice;
            let nodes: Vec<DagNode> = (0..STAGES)
                .map(|i| {
                    let mask = rest % (1 << i);
                    rest /= 1 << i;
                    let parents: Vec<u16> = (0..i).filter(|p| mask & (1 << p) != 0).collect();
                    node(i, &parents, usize::from(i % 3))
                })
                .collect();
            let layout = dag_layout(&nodes);
            for n in &nodes {
                let child = layout.placed(n.id).unwrap();
                for p in &n.parents {
                    assert!(
                        layout.placed(*p).unwrap().x + BOX_WIDTH < child.x,
                        "{nodes:?}"
                    );
                }
            }
            for (i, a) in layout.boxes.iter().enumerate() {
                assert!(a.x + BOX_WIDTH <= layout.width && a.y + a.height <= layout.height + 1e-9);
                for b in &layout.boxes[i + 1..] {
                    let apart = a.x != b.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
                    assert!(apart, "boxes {} and {} overlap in {nodes:?}", a.id, b.id);
                }
            }
        }
    }

    /// Bars stay inside the chart, wherever the attempt lies against the span.
    #[test]
    fn bars_stay_inside_the_span() {
        for from in (0..60).step_by(7) {
            for to in (0..90).step_by(11) {
                let span = gantt_span(from, Some(to), 0);
                for start in (0..100).step_by(3) {
                    for len in (0..50).step_by(5) {
                        let (left, width) = bar_percent(span, start, start + len);
                        assert!((0.0..=100.0).contains(&left), "{span:?} {start} {len}");
                        assert!(
                            width >= 0.0 && left + width <= 100.0 + 1e-9,
                            "{span:?} {start} {len}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn an_arrow_runs_level_then_bends_into_the_child() {
        assert_eq!(
            edge_path((100.0, 20.0), (250.0, 80.0)),
            "M100,20 L220,20 C235,20 235,80 250,80"
        );
        // A gap narrower than the bend bends from the parent's edge.
        assert_eq!(
            edge_path((100.0, 20.0), (110.0, 20.0)),
            "M100,20 L100,20 C105,20 105,20 110,20"
        );
    }

    #[test]
    fn a_running_job_spans_to_now() {
        assert_eq!(gantt_span(10, None, 30), (10, 30));
        assert_eq!(gantt_span(10, Some(25), 90), (10, 25));
        assert_eq!(gantt_span(10, None, 10), (10, 11));
        assert_eq!(bar_percent((0, 100), 20, 70), (20.0, 50.0));
        assert_eq!(bar_percent((0, 100), 40, 40), (40.0, 0.4));
    }

    #[test]
    fn axis_ticks_are_round_and_within_the_span() {
        assert_eq!(axis_ticks(100), vec![0, 25, 50, 75, 100]);
        assert_eq!(axis_ticks(37), vec![0, 10, 20, 30]);
        assert_eq!(axis_ticks(1), vec![0, 1]);
        assert_eq!(axis_ticks(0), vec![0, 1]);
        assert!(axis_ticks(12_345).len() <= 6);
    }
}
