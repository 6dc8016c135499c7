//! Finding the line of a key in YAML text, for errors found after reading (a weight out of range,
//! a template that does not exist): the readers of [`super::read`] report positions only for
//! their own errors, so validation walks the block structure of the text by indentation to the
//! key's path.
//! Flow-style values (`{duration: 10s}`) are not entered: the line of their parent key is given.

/// One step of a path: a mapping key or a sequence index.
#[derive(Clone, Copy)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A document's text and where it starts in the file.
pub(crate) struct DocText<'a> {
    pub lines: Vec<&'a str>,
    /// 1-based line number of `lines[0]` in the file.
    pub first_line: usize,
}

/// A (1-based line, 1-based column) position in the file.
pub(crate) type Position = (usize, usize);

impl<'a> DocText<'a> {
    /// Where the deepest resolvable part of `path` is written.
    pub fn position_of(&self, path: &[Seg<'_>]) -> Position {
        let mut start = 0;
        let mut end = self.lines.len();
        let mut parent_column: Option<usize> = None;
        let mut found = (self.first_line, 1);
        for seg in path {
            let next = match *seg {
                Seg::Key(key) => self.find_key(key, start, end, parent_column),
                Seg::Index(index) => self.find_item(index, start, end, parent_column),
            };
            let Some((line, column, range_start, range_end)) = next else {
                break;
            };
            found = (self.first_line + line, column + 1);
            start = range_start;
            end = range_end;
            parent_column = Some(column);
        }
        found
    }

    /// The `key:` directly under the parent: (line, key column, value range).
    fn find_key(
        &self,
        key: &str,
        start: usize,
        end: usize,
        parent: Option<usize>,
    ) -> Option<(usize, usize, usize, usize)> {
        let mut child_column = None;
        for line in start..end {
            let Some((column, content)) = key_content(self.lines[line]) else {
                continue;
            };
            if parent.is_some_and(|p| column <= p) {
                continue;
            }
            let expected = *child_column.get_or_insert(column);
            if column != expected {
                continue;
            }
            let Some(after) = content.strip_prefix(key) else {
                continue;
            };
            if after.starts_with(':') {
                let range_end = self.block_end(line + 1, end, column);
                return Some((line, column, line + 1, range_end));
            }
        }
        None
    }

    /// The `index`-th `- ` item of the sequence under the parent.
    fn find_item(
        &self,
        index: usize,
        start: usize,
        end: usize,
        parent: Option<usize>,
    ) -> Option<(usize, usize, usize, usize)> {
        let mut dash_column = None;
        let mut seen = 0;
        for line in start..end {
            let text = self.lines[line];
            let indent = leading_spaces(text);
            if !text[indent..].starts_with('-') {
                continue;
            }
            if parent.is_some_and(|p| indent < p) {
                continue;
            }
            if *dash_column.get_or_insert(indent) != indent {
                continue;
            }
            if seen == index {
                let item_end = (line + 1..end)
                    .find(|&l| {
                        let t = self.lines[l];
                        let i = leading_spaces(t);
                        is_content(t) && (i < indent || (i == indent && t[i..].starts_with('-')))
                    })
                    .unwrap_or(end);
                return Some((line, indent, line, item_end));
            }
            seen += 1;
        }
        None
    }

    /// The first line at or after `from` that is outside a value opened at `column`.
    fn block_end(&self, from: usize, end: usize, column: usize) -> usize {
        (from..end)
            .find(|&l| {
                let t = self.lines[l];
                let i = leading_spaces(t);
                is_content(t) && (i < column || (i == column && !t[i..].starts_with('-')))
            })
            .unwrap_or(end)
    }
}

fn leading_spaces(text: &str) -> usize {
    text.len() - text.trim_start_matches(' ').len()
}

fn is_content(text: &str) -> bool {
    let trimmed = text.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// The column where a line's key starts (after indentation and `- ` item markers) and the text
/// from there.
fn key_content(text: &str) -> Option<(usize, &str)> {
    if !is_content(text) {
        return None;
    }
    let mut column = leading_spaces(text);
    let mut rest = &text[column..];
    while let Some(after) = rest.strip_prefix("- ") {
        let spaces = leading_spaces(after);
        column += 2 + spaces;
        rest = &after[spaces..];
    }
    Some((column, rest))
}
