//! An RFC 4180 record reader over UTF-8 text: fields separated by commas, records by LF, CRLF or a
//! lone CR; a field in double quotes may hold commas, line breaks and doubled quotes (`""`). A
//! quote inside an unquoted field is kept as a character (`5'10"`), as most readers do. Errors
//! name the line a record starts on.

use crate::error::{ErrorKind, SqlError};

/// One record's fields, unescaped into a reused buffer.
#[derive(Default)]
pub(super) struct Record {
    buf: String,
    /// Each field's end in `buf`, and whether it was quoted.
    ends: Vec<(usize, bool)>,
    /// The 1-based line the record starts on.
    pub line: usize,
}

impl Record {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`'s text and whether it was quoted.
    pub(super) fn field(&self, i: usize) -> (&str, bool) {
        let start = if i == 0 { 0 } else { self.ends[i - 1].0 };
        let (end, quoted) = self.ends[i];
        (&self.buf[start..end], quoted)
    }

    /// A line with nothing on it.
    pub(super) fn is_blank(&self) -> bool {
        self.buf.is_empty() && self.ends.len() == 1 && !self.ends[0].1
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }
}

/// Reads records from the text, one at a time.
pub(super) struct Reader<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

fn malformed(message: String, hint: &str) -> SqlError {
    SqlError::new(ErrorKind::Syntax, message).with_hint(hint)
}

impl<'a> Reader<'a> {
    pub(super) fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// Reads the next record into `record`; false at the end of the text.
    pub(super) fn read(&mut self, record: &mut Record) -> Result<bool, SqlError> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return Ok(false);
        }
        record.clear();
        record.line = self.line;
        loop {
            let quoted = bytes.get(self.pos) == Some(&b'"');
            if quoted {
                self.quoted_field(record)?;
            } else {
                let rest = &bytes[self.pos..];
                let len = rest
                    .iter()
                    .position(|b| matches!(b, b',' | b'\n' | b'\r'))
                    .unwrap_or(rest.len());
                record.buf.push_str(&self.text[self.pos..self.pos + len]);
                self.pos += len;
            }
            record.ends.push((record.buf.len(), quoted));
            match bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    return Ok(true);
                }
                Some(b'\r') => {
                    self.pos += if bytes.get(self.pos + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                    self.line += 1;
                    return Ok(true);
                }
                None => return Ok(true),
                Some(_) => {
                    return Err(malformed(
                        format!("line {}: text follows a closing quote", self.line),
                        "a quoted field ends at its closing quote; write a quote inside a quoted \
                         field twice (\"\")",
                    ))
                }
            }
        }
    }

    /// Reads a quoted field (at its opening quote) into `record`'s buffer.
    fn quoted_field(&mut self, record: &mut Record) -> Result<(), SqlError> {
        let bytes = self.text.as_bytes();
        let opened_on = self.line;
        self.pos += 1;
        loop {
            let rest = &bytes[self.pos..];
            let Some(q) = rest.iter().position(|b| *b == b'"') else {
                return Err(malformed(
                    format!("line {opened_on}: a quoted field is never closed"),
                    "close the field with a quote; a quote inside a quoted field is written \
                     twice (\"\")",
                ));
            };
            let chunk = &self.text[self.pos..self.pos + q];
            self.line += chunk.bytes().filter(|b| *b == b'\n').count();
            record.buf.push_str(chunk);
            self.pos += q + 1;
            if bytes.get(self.pos) == Some(&b'"') {
                record.buf.push('"');
                self.pos += 1;
            } else {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Result<Vec<Vec<(String, bool)>>, SqlError> {
        let mut reader = Reader::new(text);
        let mut record = Record::default();
        let mut out = Vec::new();
        while reader.read(&mut record)? {
            out.push(
                (0..record.len())
                    .map(|i| {
                        let (f, q) = record.field(i);
                        (f.to_string(), q)
                    })
                    .collect(),
            );
        }
        Ok(out)
    }

    fn plain(text: &str) -> Vec<Vec<String>> {
        records(text)
            .unwrap()
            .into_iter()
            .map(|r| r.into_iter().map(|(f, _)| f).collect())
            .collect()
    }

    #[test]
    fn reads_quotes_commas_and_line_breaks() {
        assert_eq!(
            plain("a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\n\"two\nlines\",5'10\"\n"),
            [
                vec!["a", "b"],
                vec!["x,1", "say \"hi\""],
                vec!["two\nlines", "5'10\""]
            ]
        );
        assert_eq!(plain("a\rb\r\n,\n"), [vec!["a"], vec!["b"], vec!["", ""]]);
        assert_eq!(plain("a,"), [vec!["a", ""]]);
        assert_eq!(records("\"\",x").unwrap()[0][0], (String::new(), true));
    }

    #[test]
    fn errors_name_the_line() {
        let e = records("a\n\"b\nc\n").unwrap_err();
        assert_eq!(e.message, "line 2: a quoted field is never closed");
        let e = records("a\n\"b\nc\n\"d").unwrap_err();
        assert_eq!(e.message, "line 4: text follows a closing quote");
        let e = records("a,b\n\"x\"y,z\n").unwrap_err();
        assert_eq!(e.message, "line 2: text follows a closing quote");
        assert!(e.hint.unwrap().contains("twice"));
    }
}
