//! Reading the [`super::yaml`] tree into the [`super::raw`] structs, with the errors the lab has
//! always shown: serde's wording (`missing field`, `invalid type: string "x", expected i64`), the
//! path of the value (`spec.strategy.canary.steps[1]`) and the position of the node at fault. An
//! error about a whole value (a missing field, a number that fits neither variant of
//! IntOrString) is placed at the mapping that holds it, as serde_norway placed it.

use super::locate::DocText;
use super::yaml::{self, Document, Node, Resolved, Syntax, Value};
use super::SpecError;
use std::collections::BTreeMap;

const MISSING_HINT: &str = "add the field; the lab's example specs show every required field";
const TYPE_HINT: &str =
    "check the value's type: a number, a string, a list (`- item`) or a mapping (`key: value`)";
pub(crate) const SYNTAX_HINT: &str =
    "check the YAML syntax: indentation with spaces, `key: value`, `- ` for list items";

/// A problem found while reading, boxed so that every reader's `Result` stays two words wide
/// (moving it through the `?` of each nested reader is most of their code otherwise).
pub(crate) struct Fault(Box<Problem>);

/// `at` is (line, column, " (in path)") in the document once known.
struct Problem {
    message: String,
    hint: String,
    at: Option<(usize, usize, String)>,
}

impl Fault {
    fn new(message: String, hint: &str, at: Option<(usize, usize, String)>) -> Fault {
        Fault(Box::new(Problem {
            message,
            hint: hint.to_string(),
            at,
        }))
    }

    /// A problem with a whole value, placed later at the collection that holds it.
    pub fn unplaced(message: String, hint: &str) -> Fault {
        Fault::new(message, hint, None)
    }
}

/// One step of the path from the root to the value being read.
enum Step<'n> {
    Key(&'n str),
    Index(usize),
}

/// Where the reader is in the tree, and the syntax error (if any) that cut the tree short.
pub(crate) struct Reader<'n> {
    path: Vec<Step<'n>>,
    syntax: Option<&'n Syntax>,
}

/// A value read from a node. A struct field of an `OPTIONAL` type may be left out; any other is
/// required.
pub(crate) trait Read: Sized {
    const OPTIONAL: bool = false;

    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault>;
}

/// Reads `node` into a struct's field `slot`. Not inlined: one copy per field type serves every
/// struct with a field of that type.
#[inline(never)]
pub(crate) fn set<'n, T: Read>(
    slot: &mut T,
    node: &'n Node,
    reader: &mut Reader<'n>,
) -> Result<(), Fault> {
    *slot = T::read(node, reader)?;
    Ok(())
}

/// Reads one document as `T`, its errors at the document's place in the file.
pub(crate) fn document<T: Read>(tree: &Document, doc: &DocText<'_>) -> Result<T, SpecError> {
    let mut reader = Reader {
        path: Vec::new(),
        syntax: tree.syntax.as_ref(),
    };
    let value = T::read(&tree.root, &mut reader).map_err(|fault| spec_error(doc, fault))?;
    if tree.syntax.is_some() {
        return Err(spec_error(doc, reader.cut()));
    }
    if tree.more_documents {
        return Err(spec_error(
            doc,
            Fault::unplaced(
                "deserializing from YAML containing more than one document is not supported"
                    .to_string(),
                SYNTAX_HINT,
            ),
        ));
    }
    Ok(value)
}

fn spec_error(doc: &DocText<'_>, fault: Fault) -> SpecError {
    let Problem { message, hint, at } = *fault.0;
    let (line, column, place) = at.unwrap_or((1, 1, String::new()));
    SpecError {
        line: doc.first_line + line - 1,
        column,
        message: message + &place,
        hint,
    }
}

impl<'n> Reader<'n> {
    /// ` (in spec.strategy)`, or nothing at the root, in serde_norway's path notation.
    fn place(&self) -> String {
        let mut path = String::new();
        for step in &self.path {
            match step {
                Step::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Step::Index(index) => {
                    if path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&format!("[{index}]"));
                }
            }
        }
        if path.is_empty() {
            path
        } else {
            format!(" (in {path})")
        }
    }

    fn fault(&self, node: &Node, message: String, hint: &str) -> Fault {
        Fault::new(message, hint, Some((node.line, node.column, self.place())))
    }

    /// Gives an unplaced fault the position of `node` and the current path.
    fn placed(&self, mut fault: Fault, node: &Node) -> Fault {
        if fault.0.at.is_none() {
            fault.0.at = Some((node.line, node.column, self.place()));
        }
        fault
    }

    /// The syntax error where the tree was cut.
    fn cut(&self) -> Fault {
        let (line, column, message) = self.syntax.map_or((1, 1, String::new()), |s| {
            (s.line, s.column, s.message.clone())
        });
        Fault::new(message, SYNTAX_HINT, Some((line, column, String::new())))
    }

    /// `invalid type: <what the node is>, expected <expected>` (or the syntax error at a cut).
    pub fn invalid(&self, node: &Node, expected: &str) -> Fault {
        let found = match &node.value {
            Value::Cut => return self.cut(),
            Value::Sequence(_) => "sequence".to_string(),
            Value::Mapping(_) => "map".to_string(),
            Value::Scalar { text, plain: false } => format!("string {text:?}"),
            Value::Scalar { text, plain: true } => match yaml::resolve(text) {
                Resolved::Null => "unit value".to_string(),
                Resolved::Bool(value) => format!("boolean `{value}`"),
                Resolved::Unsigned(value) => format!("integer `{value}`"),
                Resolved::Signed(value) => format!("integer `{value}`"),
                Resolved::Wide(digits, kind) => format!("integer `{digits}` as {kind}"),
                Resolved::Float(value) => format!("floating point `{}`", with_point(value)),
                Resolved::Str => format!("string {text:?}"),
            },
        };
        self.fault(
            node,
            format!("invalid type: {found}, expected {expected}"),
            TYPE_HINT,
        )
    }

    /// Accepts any value, unless the tree was cut inside it.
    pub fn ignore(&self, node: &Node) -> Result<(), Fault> {
        let mut node = node;
        loop {
            node = match &node.value {
                Value::Cut => return Err(self.cut()),
                Value::Scalar { .. } => return Ok(()),
                Value::Sequence(items) => match items.last() {
                    Some(last) => last,
                    None => return Ok(()),
                },
                Value::Mapping(entries) => match entries.last() {
                    Some((key, _)) if matches!(key.value, Value::Cut) => return Err(self.cut()),
                    Some((_, value)) => value,
                    None => return Ok(()),
                },
            };
        }
    }

    fn enter<T>(
        &mut self,
        step: Step<'n>,
        read: impl FnOnce(&mut Self) -> Result<T, Fault>,
    ) -> Result<T, Fault> {
        self.path.push(step);
        let result = read(self);
        self.path.pop();
        result
    }

    /// Reads `node` as a struct (`expected` names it, `struct Canary`) with `fields` (key, and
    /// whether it may be left out) in their declared order: `field` gets each known key's index
    /// in `fields` and its value, in document order (one reader for every struct, so it is
    /// compiled once). Unknown keys are errors when `deny_unknown`, else skipped; a key written
    /// twice is an error; then the first required field not written is. Faults of the struct as
    /// a whole are placed at `node`.
    pub fn fields(
        &mut self,
        node: &'n Node,
        expected: &str,
        fields: &'static [(&'static str, bool)],
        deny_unknown: bool,
        field: &mut dyn FnMut(usize, &'n Node, &mut Self) -> Result<(), Fault>,
    ) -> Result<(), Fault> {
        let entries: &'n [(Node, Node)] = match &node.value {
            Value::Mapping(entries) => entries,
            Value::Scalar { text, plain: true } if text.is_empty() => &[],
            _ => return Err(self.invalid(node, expected)),
        };
        let mut seen = vec![false; fields.len()];
        for (key, value) in entries {
            let Value::Scalar { text: name, .. } = &key.value else {
                return Err(self.invalid(key, "field identifier"));
            };
            match fields.iter().position(|(known, _)| known == name) {
                Some(index) if seen[index] => {
                    return Err(self.placed(
                        Fault::unplaced(format!("duplicate field `{name}`"), SYNTAX_HINT),
                        node,
                    ));
                }
                Some(index) => {
                    seen[index] = true;
                    self.enter(Step::Key(name), |reader| field(index, value, reader))
                        .map_err(|fault| self.placed(fault, node))?;
                }
                None if deny_unknown => {
                    return Err(self.fault(
                        key,
                        format!("field `{name}` is not supported by the lab"),
                        &format!("fields supported here: {}", one_of(fields)),
                    ));
                }
                None => self.ignore(value)?,
            }
        }
        match fields
            .iter()
            .zip(&seen)
            .find(|((_, optional), seen)| !optional && !**seen)
        {
            Some(((field, _), _)) => Err(self.placed(
                Fault::unplaced(format!("missing field `{field}`"), MISSING_HINT),
                node,
            )),
            None => Ok(()),
        }
    }

    /// Places a fault about the whole of `node` (a missing field, an unmatched value) at `node`.
    pub fn at_node<T>(&self, node: &Node, result: Result<T, Fault>) -> Result<T, Fault> {
        result.map_err(|fault| self.placed(fault, node))
    }
}

/// `a`, `a or b`, `a, b, c`: serde's list of expected fields without its backticks.
fn one_of(fields: &[(&str, bool)]) -> String {
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    match names[..] {
        [a, b] => format!("{a} or {b}"),
        _ => names.join(", "),
    }
}

/// A float as serde shows one in an error: always with a decimal point when finite.
fn with_point(value: f64) -> String {
    let text = value.to_string();
    if value.is_finite() && !text.contains('.') {
        text + ".0"
    } else {
        text
    }
}

/// A value the lab accepts and does not use: any YAML at all.
pub(crate) struct Ignored;

impl Read for Ignored {
    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
        reader.ignore(node).map(|()| Ignored)
    }
}

impl<T: Read> Read for Option<T> {
    const OPTIONAL: bool = true;

    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
        if node.is_null() {
            Ok(None)
        } else {
            T::read(node, reader).map(Some)
        }
    }
}

/// Any scalar's text: `10` and `true` read into a string are `"10"` and `"true"`.
impl Read for String {
    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
        match &node.value {
            Value::Scalar { text, .. } => Ok(text.clone()),
            _ => Err(reader.invalid(node, "a string")),
        }
    }
}

/// A plain (unquoted) scalar that `parse` accepts; anything else is a type error naming `what`.
fn plain_scalar<'n, T>(
    node: &'n Node,
    reader: &mut Reader<'n>,
    parse: fn(&str) -> Option<T>,
    what: &str,
) -> Result<T, Fault> {
    match &node.value {
        Value::Scalar { text, plain: true } => parse(text),
        _ => None,
    }
    .ok_or_else(|| reader.invalid(node, what))
}

/// A plain scalar that is a (decimal, hex, octal or binary) integer in range.
impl Read for i64 {
    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
        plain_scalar(node, reader, yaml::parse_i64, "i64")
    }
}

impl Read for f64 {
    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
        plain_scalar(node, reader, yaml::parse_f64, "f64")
    }
}

impl Read for bool {
    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
        plain_scalar(node, reader, yaml::parse_bool, "a boolean")
    }
}

/// A sequence; a plain empty value is an empty one.
impl<T: Read> Read for Vec<T> {
    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
        match &node.value {
            Value::Sequence(items) => {
                let mut read = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    let value = reader.enter(Step::Index(index), |r| T::read(item, r));
                    read.push(reader.at_node(node, value)?);
                }
                Ok(read)
            }
            Value::Scalar { text, plain: true } if text.is_empty() => Ok(Vec::new()),
            _ => Err(reader.invalid(node, "a sequence")),
        }
    }
}

/// A mapping with string keys; a key written twice keeps its last value.
impl<T: Read> Read for BTreeMap<String, T> {
    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
        let entries: &'n [(Node, Node)] = match &node.value {
            Value::Mapping(entries) => entries,
            Value::Scalar { text, plain: true } if text.is_empty() => &[],
            _ => return Err(reader.invalid(node, "a map")),
        };
        let mut map = BTreeMap::new();
        for (key, value) in entries {
            let Value::Scalar { text: name, .. } = &key.value else {
                return Err(reader.invalid(key, "a string"));
            };
            let read = reader.enter(Step::Key(name), |r| T::read(value, r));
            map.insert(name.clone(), reader.at_node(node, read)?);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<T: Read>(text: &str) -> Result<T, SpecError> {
        let doc = DocText {
            lines: text.lines().collect(),
            first_line: 3,
        };
        document(&yaml::parse(text), &doc)
    }

    fn error<T: Read>(text: &str) -> SpecError {
        match read::<T>(text) {
            Ok(_) => panic!("read but should not: {text}"),
            Err(error) => error,
        }
    }

    struct Pair {
        name: String,
        size: Option<i64>,
    }

    impl Read for Pair {
        fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
            let (mut name, mut size) = (String::new(), None);
            reader.fields(
                node,
                "struct Pair",
                &[("name", false), ("size", true)],
                true,
                &mut |index, value, r| {
                    match index {
                        0 => name = String::read(value, r)?,
                        _ => size = Option::<i64>::read(value, r)?,
                    }
                    Ok(())
                },
            )?;
            Ok(Pair { name, size })
        }
    }

    #[test]
    fn scalars_read_as_their_types() {
        let pair: Pair = read("name: 10\nsize: 0x10\n").expect("reads");
        assert_eq!((pair.name.as_str(), pair.size), ("10", Some(16)));
        let pair: Pair = read("name: ~\nsize: ~\n").expect("reads");
        assert_eq!((pair.name.as_str(), pair.size), ("~", None));
        let list: Vec<f64> = read("[1, .5, -.inf]").expect("reads");
        assert_eq!(list, vec![1.0, 0.5, f64::NEG_INFINITY]);
        let flags: Vec<bool> = read("[true, False]").expect("reads");
        assert_eq!(flags, vec![true, false]);
    }

    #[test]
    fn a_wrong_type_names_what_was_found_where() {
        let e = error::<Vec<Pair>>("- name: a\n- name: b\n  size: \"3\"\n");
        assert_eq!(
            e.message,
            "invalid type: string \"3\", expected i64 (in .[1].size)"
        );
        assert_eq!((e.line, e.column), (5, 9));
        assert!(e.hint.starts_with("check the value's type"));
        let e = error::<Vec<bool>>("[yes]");
        assert_eq!(
            e.message,
            "invalid type: string \"yes\", expected a boolean (in .[0])"
        );
        let e = error::<Vec<i64>>("[1e3, 2]");
        assert_eq!(
            e.message,
            "invalid type: floating point `1000.0`, expected i64 (in .[0])"
        );
        let e = error::<Pair>("name: [a]\n");
        assert_eq!(
            e.message,
            "invalid type: sequence, expected a string (in name)"
        );
    }

    #[test]
    fn unknown_missing_and_duplicate_fields_are_refused() {
        let e = error::<Pair>("name: a\nsise: 3\n");
        assert_eq!(e.message, "field `sise` is not supported by the lab");
        assert_eq!(e.hint, "fields supported here: name or size");
        assert_eq!((e.line, e.column), (4, 1));
        let e = error::<Pair>("size: 3\n");
        assert_eq!(e.message, "missing field `name`");
        assert_eq!((e.line, e.column), (3, 1));
        assert!(e.hint.starts_with("add the field"));
        let e = error::<Vec<Pair>>("- size: 1\n  name: a\n  name: b\n");
        assert_eq!(e.message, "duplicate field `name` (in .[0])");
        assert_eq!((e.line, e.column), (3, 3));
    }

    #[test]
    fn a_type_error_before_a_syntax_error_is_reported_first() {
        let e = error::<Pair>("name: a\nsize: x\nother: @\n");
        assert_eq!(
            e.message,
            "invalid type: string \"x\", expected i64 (in size)"
        );
        let e = error::<Pair>("name: a\nsize: [1\n");
        assert_eq!(e.message, "invalid type: sequence, expected i64 (in size)");
        let e = error::<Pair>("name: @\n");
        assert_eq!((e.line, e.column), (3, 7));
        assert!(e.hint.starts_with("check the YAML syntax"), "{e:?}");
    }

    #[test]
    fn ignored_values_may_be_anything_but_broken() {
        assert!(read::<Ignored>("a: [1, {b: c}]\n").is_ok());
        assert!(read::<Ignored>("a: [1, {b: c}\n").is_err());
    }

    #[test]
    fn a_map_reads_each_value_under_its_key() {
        let map: BTreeMap<String, i64> = read("a: 1\nb: 2\na: 3\n").expect("reads");
        assert_eq!(
            map.into_iter().collect::<Vec<_>>(),
            [("a".into(), 3), ("b".into(), 2)]
        );
        let e = error::<BTreeMap<String, i64>>("a: 1\nb: x\n");
        assert_eq!(e.message, "invalid type: string \"x\", expected i64 (in b)");
    }
}
