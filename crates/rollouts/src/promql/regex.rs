//! A small regular-expression matcher for label matchers (`=~`, `!~`), header routes and dry-run
//! metric patterns, instead of the `regex` crate (too big for the app's bundle).
//!
//! Supported: literals, `.`, `*`, `+`, `?` (a trailing `?` making a repetition lazy is accepted:
//! for a whole-string match it changes nothing), `{m}`/`{m,}`/`{m,n}`, alternation `|`, groups
//! `(...)` and `(?:...)`, classes `[a-z0-9_]` and `[^...]`, the escapes `\d \w \s \D \W \S` and an
//! escaped punctuation character, and `^`/`$`. Anything else is an error naming its position.
//!
//! Matching is always of the whole string, as Prometheus anchors label regexes (`^(?:re)$`) and
//! as Istio's and Envoy's regex matches are full matches. The matcher backtracks; the patterns
//! queries and routes use are short, and the inputs are label values and header values.

/// A parsed pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regex {
    alternatives: Alternatives,
}

type Alternatives = Vec<Vec<Node>>;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Literal(char),
    Any,
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    Start,
    End,
    Group(Alternatives),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

impl Regex {
    /// Parses `pattern`; `Err` says what is not supported and where (a character position).
    pub fn parse(pattern: &str) -> Result<Regex, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut parser = Parser {
            chars,
            pos: 0,
            depth: 0,
        };
        let alternatives = parser.alternatives()?;
        if parser.pos < parser.chars.len() {
            return Err(format!(
                "unmatched ')' at character {} of the regex",
                parser.pos + 1
            ));
        }
        Ok(Regex { alternatives })
    }

    /// Whether the whole of `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        match_alternatives(&self.alternatives, &chars, 0, &|end| end == chars.len())
    }
}

/// How deeply groups may nest: far beyond any real pattern, well within the browser's stack.
const MAX_GROUP_NESTING: usize = 50;

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn error(&self, what: &str) -> String {
        format!("{what} at character {} of the regex", self.pos + 1)
    }

    fn alternatives(&mut self) -> Result<Alternatives, String> {
        let mut alternatives = vec![self.sequence()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alternatives.push(self.sequence()?);
        }
        Ok(alternatives)
    }

    fn sequence(&mut self) -> Result<Vec<Node>, String> {
        let mut nodes = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            nodes.push(self.repetition(atom)?);
        }
        Ok(nodes)
    }

    fn atom(&mut self) -> Result<Node, String> {
        let Some(c) = self.peek() else {
            return Err(self.error("unexpected end"));
        };
        self.pos += 1;
        match c {
            '.' => Ok(Node::Any),
            '^' => Ok(Node::Start),
            '$' => Ok(Node::End),
            '(' => {
                if self.chars.get(self.pos..self.pos + 2) == Some(&['?', ':']) {
                    self.pos += 2;
                } else if self.peek() == Some('?') {
                    return Err(self.error("only the (?:...) group flag is supported"));
                }
                self.depth += 1;
                if self.depth > MAX_GROUP_NESTING {
                    return Err(self.error("groups nest too deeply"));
                }
                let inner = self.alternatives()?;
                self.depth -= 1;
                if self.peek() != Some(')') {
                    return Err(self.error("missing ')'"));
                }
                self.pos += 1;
                Ok(Node::Group(inner))
            }
            '[' => self.class(),
            '\\' => self
                .escape()
                .map(|(ranges, negated)| match ranges.as_slice() {
                    [(a, b)] if a == b && !negated => Node::Literal(*a),
                    _ => Node::Class { ranges, negated },
                }),
            '*' | '+' | '?' | '{' => {
                self.pos -= 1;
                Err(self.error("a repetition with nothing to repeat"))
            }
            other => Ok(Node::Literal(other)),
        }
    }

    /// An escape after `\`: a class (`\d`...) or one literal character, as ranges.
    fn escape(&mut self) -> Result<(Vec<(char, char)>, bool), String> {
        let Some(c) = self.peek() else {
            return Err(self.error("a '\\' at the end"));
        };
        self.pos += 1;
        let digits = vec![('0', '9')];
        let word = vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
        let space = vec![('\t', '\n'), ('\u{c}', '\r'), (' ', ' ')];
        Ok(match c {
            'd' => (digits, false),
            'D' => (digits, true),
            'w' => (word, false),
            'W' => (word, true),
            's' => (space, false),
            'S' => (space, true),
            'n' => (vec![('\n', '\n')], false),
            't' => (vec![('\t', '\t')], false),
            c if c.is_ascii_punctuation() => (vec![(c, c)], false),
            _ => {
                self.pos -= 1;
                return Err(self.error("this escape is not supported"));
            }
        })
    }

    fn class(&mut self) -> Result<Node, String> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("missing ']'"));
            };
            self.pos += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            let low = if c == '\\' {
                let (escaped, escaped_negated) = self.escape()?;
                if escaped_negated {
                    return Err(self.error("a negated escape inside [...] is not supported"));
                }
                if escaped.len() > 1 || escaped[0].0 != escaped[0].1 {
                    ranges.extend(escaped);
                    continue;
                }
                escaped[0].0
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']') {
                let high = self.chars[self.pos + 1];
                self.pos += 2;
                if high < low {
                    return Err(self.error("a range whose end is before its start"));
                }
                ranges.push((low, high));
            } else {
                ranges.push((low, low));
            }
        }
        Ok(Node::Class { ranges, negated })
    }

    fn repetition(&mut self, atom: Node) -> Result<Node, String> {
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => return self.counted(atom),
            _ => return Ok(atom),
        };
        self.pos += 1;
        self.skip_lazy_marker();
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
        })
    }

    fn skip_lazy_marker(&mut self) {
        if self.peek() == Some('?') {
            self.pos += 1;
        }
    }

    fn counted(&mut self, atom: Node) -> Result<Node, String> {
        self.pos += 1;
        let min = self.number()?;
        let max = if self.peek() == Some(',') {
            self.pos += 1;
            if self.peek() == Some('}') {
                None
            } else {
                Some(self.number()?)
            }
        } else {
            Some(min)
        };
        if self.peek() != Some('}') {
            return Err(self.error("missing '}'"));
        }
        self.pos += 1;
        if max.is_some_and(|max| max < min) {
            return Err(self.error("a repetition whose maximum is below its minimum"));
        }
        self.skip_lazy_marker();
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
        })
    }

    fn number(&mut self) -> Result<u32, String> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits: String = self.chars[start..self.pos].iter().collect();
        digits
            .parse()
            .ok()
            .filter(|n| *n <= 1000)
            .ok_or_else(|| self.error("expected a repetition count (0 to 1000)"))
    }
}

fn match_alternatives(
    alternatives: &Alternatives,
    text: &[char],
    pos: usize,
    then: &dyn Fn(usize) -> bool,
) -> bool {
    alternatives
        .iter()
        .any(|sequence| match_sequence(sequence, text, pos, then))
}

fn match_sequence(nodes: &[Node], text: &[char], pos: usize, then: &dyn Fn(usize) -> bool) -> bool {
    let Some((first, rest)) = nodes.split_first() else {
        return then(pos);
    };
    match_node(first, text, pos, &|next| {
        match_sequence(rest, text, next, then)
    })
}

fn match_node(node: &Node, text: &[char], pos: usize, then: &dyn Fn(usize) -> bool) -> bool {
    match node {
        Node::Literal(c) => text.get(pos) == Some(c) && then(pos + 1),
        Node::Any => text.get(pos).is_some_and(|&c| c != '\n') && then(pos + 1),
        Node::Class { ranges, negated } => {
            text.get(pos).is_some_and(|&c| {
                ranges.iter().any(|&(low, high)| low <= c && c <= high) != *negated
            }) && then(pos + 1)
        }
        Node::Start => pos == 0 && then(pos),
        Node::End => pos == text.len() && then(pos),
        Node::Group(alternatives) => match_alternatives(alternatives, text, pos, then),
        Node::Repeat { node, min, max } => match_repeat(node, *min, *max, 0, text, pos, then),
    }
}

/// Greedy repetition: one more copy first (if allowed and it consumes input), then the rest.
fn match_repeat(
    node: &Node,
    min: u32,
    max: Option<u32>,
    done: u32,
    text: &[char],
    pos: usize,
    then: &dyn Fn(usize) -> bool,
) -> bool {
    let may_repeat = max.is_none_or(|max| done < max);
    if may_repeat
        && match_node(node, text, pos, &|next| {
            // A copy that consumed nothing cannot make progress: stop repeating there.
            (next > pos || done < min) && match_repeat(node, min, max, done + 1, text, next, then)
        })
    {
        return true;
    }
    done >= min && then(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Regex::parse(pattern).unwrap().is_match(text)
    }

    #[test]
    fn prometheus_style_patterns() {
        assert!(m("5.*", "503"));
        assert!(!m("5.*", "200"));
        assert!(m("5..", "500"));
        assert!(!m("5..", "5000"));
        assert!(m("v1|v2", "v2"));
        assert!(!m("v1|v2", "v12"));
        assert!(m("[0-9]+", "2024"));
        assert!(!m("[0-9]+", ""));
        assert!(m("model-(canary|stable)?", "model-"));
        assert!(m("[^5].*", "200"));
        assert!(!m("[^5].*", "503"));
        assert!(m("a{2,3}", "aaa"));
        assert!(!m("a{2,3}", "aaaa"));
        assert!(m("\\d+\\.\\d", "12.5"));
        assert!(m("", ""));
        assert!(m(".*", ""));
        assert!(m("(a*)*b", "aaab"));
    }

    #[test]
    fn istio_cookie_pattern() {
        let pattern = "^(.*?;)?(canary=always)(;.*)?$";
        assert!(m(pattern, "canary=always"));
        assert!(m(pattern, "session=1;canary=always"));
        assert!(!m(pattern, "canary=never"));
    }

    #[test]
    fn unsupported_syntax_names_its_position() {
        let err = Regex::parse("a(?i)b").unwrap_err();
        assert!(err.contains("character 3"), "{err}");
        assert!(Regex::parse("*a").is_err());
        assert!(Regex::parse("(ab").is_err());
        assert!(Regex::parse("ab)").is_err());
        assert!(Regex::parse("[a-").is_err());
        assert!(Regex::parse("\\q").is_err());
        let deep = format!("{}a{}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(Regex::parse(&deep).is_err());
    }
}
