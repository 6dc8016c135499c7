//! Properties of streaming jobs: no program or input makes `run` panic (random edits of the
//! examples, token soup), word count equals a direct count for any text and job shape, word
//! frequencies count each count of word count's output once for any job shape, and both
//! partitioners always pick a reducer that exists.

use cluster::mapreduce::{
    example_program, hash_partition, key_field_partition, run, Partitioner, StreamingJob, EXAMPLES,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Pieces of Python a mutation inserts: keywords, operators, names the examples use.
const SNIPPETS: &[&str] = &[
    "def ",
    "if ",
    "elif ",
    "else:",
    "for ",
    " in ",
    "while ",
    "return",
    "global ",
    "pass",
    "break",
    "continue",
    "not ",
    " and ",
    " or ",
    "None",
    "True",
    "(",
    ")",
    "[",
    "]",
    ":",
    ",",
    ".",
    "=",
    "+=",
    "-=",
    "+",
    "-",
    "*",
    "//",
    "%",
    "==",
    "<",
    ">=",
    "'",
    "\"",
    "\\",
    "#",
    "\n",
    "    ",
    "\t",
    "emit(",
    "len(",
    "sum(",
    "sorted(",
    "set(",
    "range(",
    "int(",
    "str(",
    "min(",
    "max(",
    "list(",
    "abs(",
    ".split(",
    ".join(",
    ".strip()",
    ".lower()",
    ".append(",
    ".add(",
    "line",
    "key",
    "values",
    "word",
    "pv",
    "uv",
    "group",
    "0",
    "1",
    "-1",
    "99999999999",
    "x",
    "while True:\n        pass\n",
    "[x for x in line]",
    "close",
    "flush()",
    "map",
    "reduce",
    "[3]",
    "[-4]",
    "[1:]",
    "[:-2]",
    "line[0]",
    "fields[9]",
    "values[-1]",
    "key[5:]",
];

/// Whole statements an edit adds to a function body: each can fail at run time, on some input.
const STATEMENTS: &[&str] = &[
    "x = line[7]",
    "x = line[-12]",
    "x = key[9]",
    "x = values[3]",
    "x = values[-2]",
    "x = key.split('\\t')[2]",
    "x = int(line)",
    "x = int(values[0])",
    "x = sum(values) // (len(values) - 1)",
    "x = sorted([1, 'a'])",
    "x = [line] * 3",
    "a, b = line.split()",
    "emit(line, line)",
    "emit(key, values)",
    "emit((key, values[0]), None)",
    "x = line + 1",
    "x = min(line.split())",
    "x = max([])",
    "x = set([[1]])",
    "x = line.split('')",
    "x = undefined_name",
    "pv += 1",
    "x = list(range(3))[5]",
    "x = 'a' * 600000",
    "x = line.find('e') % 0",
];

/// One edit of a program: delete a range, insert a snippet, duplicate a line, or add a
/// statement at the start of a line (inside a function body when that line is).
#[derive(Clone, Debug)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, snippet: usize },
    DuplicateLine { line: usize },
    Statement { line: usize, statement: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..12).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..SNIPPETS.len()).prop_map(|(at, snippet)| Edit::Insert { at, snippet }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
        (any::<usize>(), 0..STATEMENTS.len())
            .prop_map(|(line, statement)| Edit::Statement { line, statement }),
    ]
}

/// The char boundary at or before `at % len`.
fn boundary(text: &str, at: usize) -> usize {
    if text.is_empty() {
        return 0;
    }
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(program: &mut String, edit: &Edit) {
    match edit {
        Edit::Delete { at, len } => {
            let start = boundary(program, *at);
            let end = boundary(program, start + len).max(start);
            if end > start && end <= program.len() {
                program.replace_range(start..end, "");
            }
        }
        Edit::Insert { at, snippet } => {
            let at = boundary(program, *at);
            program.insert_str(at, SNIPPETS[*snippet]);
        }
        Edit::Statement { line, statement } => {
            let mut lines: Vec<String> = program.lines().map(str::to_string).collect();
            let at = line % (lines.len() + 1);
            lines.insert(at, format!("    {}", STATEMENTS[*statement]));
            *program = lines.join("\n");
        }
        Edit::DuplicateLine { line } => {
            let lines: Vec<&str> = program.lines().collect();
            if !lines.is_empty() {
                let i = line % lines.len();
                let mut out: Vec<&str> = lines[..=i].to_vec();
                out.extend(&lines[i..]);
                *program = out.join("\n");
            }
        }
    }
}

fn partitioner() -> impl Strategy<Value = Partitioner> {
    prop_oneof![
        Just(Partitioner::Hash),
        prop::sample::select(vec!["-k1,2", "-k2,2", "-k1", "-k2.2,3.0", "-k1,1 -k3,3"]).prop_map(
            |o| Partitioner::KeyFields {
                options: o.to_string()
            }
        ),
    ]
}

/// A small job over any program: few lines, so a runaway program costs little.
fn small_job(
    program: String,
    input: Vec<String>,
    shape: (usize, u16, bool, u8, Partitioner),
) -> StreamingJob {
    let (lines_per_split, reducers, use_combiner, key_fields, partitioner) = shape;
    StreamingJob {
        input,
        lines_per_split,
        program,
        use_combiner,
        reducers,
        separator: '\t',
        key_fields,
        partitioner,
    }
}

fn shape() -> impl Strategy<Value = (usize, u16, bool, u8, Partitioner)> {
    (1usize..4, 0u16..3, any::<bool>(), 1u8..4, partitioner())
}

fn lines() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-zA-Z0-9 \t,.'\\\\é-]{0,24}", 0..5)
}

/// Runs the job on a thread with a browser-sized stack (1 MiB): it must end in Ok or Err,
/// without panicking or overflowing.
fn ends_cleanly(job: StreamingJob) -> bool {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let outcome = run(&job);
            if let Err(e) = &outcome {
                assert!(!e.message.is_empty() && !e.hint.is_empty(), "{e:?}");
            }
        })
        .map(|h| h.join().is_ok())
        .unwrap_or(false)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn edited_examples_never_panic(
        which in 0..EXAMPLES.len(),
        edits in prop::collection::vec(edit(), 1..4),
        input in lines(),
        shape in shape(),
    ) {
        let mut program = EXAMPLES[which].1.to_string();
        for e in &edits {
            apply(&mut program, e);
        }
        prop_assert!(ends_cleanly(small_job(program, input, shape)));
    }

    #[test]
    fn added_statements_never_panic(
        which in 0..EXAMPLES.len(),
        added in prop::collection::vec((any::<usize>(), 0..STATEMENTS.len()), 1..4),
        input in lines(),
        shape in shape(),
    ) {
        let mut program = EXAMPLES[which].1.to_string();
        for (line, statement) in added {
            apply(&mut program, &Edit::Statement { line, statement });
        }
        prop_assert!(ends_cleanly(small_job(program, input, shape)));
    }

    #[test]
    fn token_soup_never_panics(
        pieces in prop::collection::vec(0..SNIPPETS.len(), 0..40),
        input in lines(),
        shape in shape(),
    ) {
        let body: String = pieces.iter().map(|i| SNIPPETS[*i]).collect();
        let program = format!("def map(line):\n    {body}\n\ndef reduce(key, values):\n    emit(key, len(values))\n");
        prop_assert!(ends_cleanly(small_job(program, input, shape)));
    }

    #[test]
    fn word_count_matches_a_direct_count(
        text in prop::collection::vec(
            prop::collection::vec(
                prop::sample::select(vec!["the", "The", "dog,", "DOG", "it's", "a", "42", "fox!", "é"]),
                0..8,
            ).prop_map(|ws| ws.join(" ")),
            0..12,
        ),
        lines_per_split in 1usize..5,
        reducers in 1u16..5,
        use_combiner in any::<bool>(),
    ) {
        let program = example_program("wordcount").unwrap_or("");
        let job = StreamingJob {
            input: text.clone(),
            lines_per_split,
            program: program.to_string(),
            use_combiner,
            reducers,
            separator: '\t',
            key_fields: 1,
            partitioner: Partitioner::Hash,
        };
        let result = run(&job);
        prop_assert!(result.is_ok(), "{:?}", result.err());
        let Ok(ran) = result else { return Ok(()) };
        let mut expected = BTreeMap::new();
        for line in &text {
            let cleaned: String = line
                .to_lowercase()
                .chars()
                .map(|c| if c.is_alphabetic() || c == '\'' { c } else { ' ' })
                .collect();
            for w in cleaned.split_whitespace() {
                *expected.entry(w.to_string()).or_insert(0u64) += 1;
            }
        }
        let mut got = BTreeMap::new();
        for line in ran.output_lines() {
            let (w, n) = line.split_once('\t').unwrap_or((line, "x"));
            prop_assert!(got.insert(w.to_string(), n.parse::<u64>().unwrap_or(0)).is_none());
        }
        prop_assert_eq!(got, expected);
        prop_assert_eq!(ran.maps.len(), text.len().div_ceil(lines_per_split));
    }

    #[test]
    fn word_frequencies_count_each_count_once(
        counts in prop::collection::btree_map("[a-z]{1,6}", 1u64..40, 0..30),
        noise in prop::collection::vec("[a-z \t]{0,12}", 0..4),
        lines_per_split in 1usize..6,
        reducers in 1u16..5,
        use_combiner in any::<bool>(),
    ) {
        let program = example_program("wordfreq").unwrap_or("");
        // Word count's output lines, plus lines that are not "word<TAB>count" (skipped unless they
        // happen to have exactly one tab, which the expected count follows too).
        let mut input: Vec<String> = counts.iter().map(|(w, n)| format!("{w}\t{n}")).collect();
        input.extend(noise.iter().cloned());
        let job = StreamingJob {
            input: input.clone(),
            lines_per_split,
            program: program.to_string(),
            use_combiner,
            reducers,
            separator: '\t',
            key_fields: 1,
            partitioner: Partitioner::Hash,
        };
        let result = run(&job);
        prop_assert!(result.is_ok(), "{:?}", result.err());
        let Ok(ran) = result else { return Ok(()) };
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for line in &input {
            let fields: Vec<&str> = line.split('\t').collect();
            if let [_, count] = fields.as_slice() {
                *expected.entry(count.to_string()).or_insert(0) += 1;
            }
        }
        let mut got = BTreeMap::new();
        for line in ran.output_lines() {
            let (count, words) = line.split_once('\t').unwrap_or((line, "x"));
            prop_assert!(got.insert(count.to_string(), words.parse::<u64>().unwrap_or(0)).is_none());
        }
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn partitions_are_always_in_range(key in "[a-z\t\u{e9}]{0,20}", reducers in 1u16..50) {
        prop_assert!(hash_partition(&key, reducers) < u32::from(reducers));
        for options in ["-k1,2", "-k2,2", "-k1", "-k2.2,3.1"] {
            let p = key_field_partition(&key, options, '\t', reducers);
            prop_assert!(p.is_ok_and(|p| p < u32::from(reducers)));
        }
    }
}
