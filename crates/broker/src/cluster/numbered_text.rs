//! A Produce command's key or value template (`"user-{n}"`): every `{n}` stands for the record's
//! number. The template is split once per command, and each record's bytes are written straight
//! into one buffer of the right size, the same bytes as `text.replace("{n}", &n.to_string())`
//! without a search, a number string and a regrown `String` per record: a 1,000-record send
//! fills 2,000 of them.

/// A template split at its `{n}` placeholders.
pub(super) struct NumberedText<'a> {
    /// The text between placeholders: one more part than there are placeholders.
    parts: Vec<&'a str>,
    /// Bytes of all the parts together.
    fixed_len: usize,
}

impl<'a> NumberedText<'a> {
    pub(super) fn parse(text: &'a str) -> NumberedText<'a> {
        let parts: Vec<&str> = text.split("{n}").collect();
        let fixed_len = parts.iter().map(|p| p.len()).sum();
        NumberedText { parts, fixed_len }
    }

    /// The text for record number `n`.
    pub(super) fn fill(&self, n: u64) -> Vec<u8> {
        let mut digits = [0u8; 20];
        let digits = decimal(n, &mut digits);
        let placeholders = self.parts.len() - 1;
        let mut out = Vec::with_capacity(self.fixed_len + placeholders * digits.len());
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(digits);
            }
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

/// `n` in decimal, written at the end of `buffer` (20 bytes hold any `u64`).
fn decimal(mut n: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buffer[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::{Rng, Seed};

    fn replaced(text: &str, n: u64) -> Vec<u8> {
        text.replace("{n}", &n.to_string()).into_bytes()
    }

    #[test]
    fn fills_like_replace_on_edge_templates() {
        let templates = [
            "",
            "{n}",
            "user-{n}",
            "{n}{n}",
            "a{n}b{n}c",
            "{n",
            "n}",
            "{{n}}",
            "{n}}",
            "no placeholder",
            "é{n}ü",
            "{n}-{n}-{n}-",
        ];
        for text in templates {
            let template = NumberedText::parse(text);
            for n in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
                assert_eq!(template.fill(n), replaced(text, n), "{text:?} with {n}");
            }
        }
    }

    #[test]
    fn fills_like_replace_on_random_templates() {
        let mut rng = Rng::new(Seed(18));
        let pieces = ["{n}", "{", "}", "n", "x", "-", "{n", "é"];
        for _ in 0..2_000 {
            let len = rng.below(8) as usize;
            let text: String = (0..len)
                .map(|_| pieces[rng.below(pieces.len() as u64) as usize])
                .collect();
            let n = rng.next_u64() >> rng.below(64);
            assert_eq!(
                NumberedText::parse(&text).fill(n),
                replaced(&text, n),
                "{text:?} with {n}"
            );
        }
    }
}
