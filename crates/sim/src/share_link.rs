//! Share links: a whole journal in a URL-safe string, so a learner can send the exact state of
//! a lab (and its history) to someone else.
//!
//! Layout: `fl1.` then base64url (no padding) of the zlib-compressed [`Journal::to_bytes`]. The
//! `1` is the format version; a later Flowlab that changes the layout bumps it and keeps reading
//! older links. zlib's Adler-32 catches most damage in transit, and decoding is bounded
//! ([`DECODED_BYTES_MAX`]) so a hostile link cannot exhaust memory. Every failure is a
//! [`ShareLinkError`] with a message and a hint; the caller then opens the lab in its default state.

use crate::journal::{Journal, JournalError};
use crate::model::Model;
use crate::timeline::Timeline;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::fmt;

/// The prefix of links this version writes.
pub const PREFIX: &str = "fl1.";
/// Most bytes a link may inflate to.
pub const DECODED_BYTES_MAX: usize = 4 << 20;
/// Longest link text accepted, in characters.
pub const LINK_CHARS_MAX: usize = 2 << 20;

/// Why a share link could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareLinkError<R> {
    /// Not a Flowlab link at all.
    Foreign,
    /// A Flowlab link in a format this version does not know.
    UnknownVersion(String),
    /// The right kind of link, but damaged (cut short, mistyped).
    Damaged(String),
    /// It decodes, but the commands in it do not replay.
    Unreplayable(JournalError<R>),
}

impl<R: fmt::Display> fmt::Display for ShareLinkError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareLinkError::Foreign => write!(f, "this is not a Flowlab share link"),
            ShareLinkError::UnknownVersion(v) => {
                write!(f, "this share link uses format \"{v}\", which this version of Flowlab cannot read")
            }
            ShareLinkError::Damaged(why) => write!(f, "this share link is damaged ({why})"),
            ShareLinkError::Unreplayable(e) => {
                write!(f, "this share link's history does not replay: {e}")
            }
        }
    }
}

impl<R> ShareLinkError<R> {
    pub fn hint(&self) -> &'static str {
        match self {
            ShareLinkError::Foreign => "share links start with \"fl1.\"; the lab opened in its default state",
            ShareLinkError::UnknownVersion(_) => {
                "it may come from a newer Flowlab; the lab opened in its default state"
            }
            ShareLinkError::Damaged(_) | ShareLinkError::Unreplayable(_) => {
                "it may have been cut off when copied: ask for the link again; the lab opened in its default state"
            }
        }
    }
}

/// Encodes a journal as link text.
pub fn encode<M: Model>(journal: &Journal<M>) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&journal.to_bytes(), 9);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// Decodes link text to a journal, checking it end to end.
pub fn decode<M: Model>(link: &str) -> Result<Journal<M>, ShareLinkError<M::Rejection>> {
    let link = link.trim();
    if link.len() > LINK_CHARS_MAX {
        return Err(ShareLinkError::Damaged("it is far too long".into()));
    }
    let Some(body) = link.strip_prefix(PREFIX) else {
        return match link.split_once('.') {
            Some((version, _)) if version.starts_with("fl") && version.len() <= 6 => {
                Err(ShareLinkError::UnknownVersion(version.to_string()))
            }
            _ => Err(ShareLinkError::Foreign),
        };
    };
    let compressed = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| ShareLinkError::Damaged("it has characters a link cannot have".into()))?;
    let bytes =
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, DECODED_BYTES_MAX)
            .map_err(|_| ShareLinkError::Damaged("its data is incomplete or altered".into()))?;
    Journal::from_bytes(&bytes).map_err(|e| ShareLinkError::Damaged(e.to_string()))
}

/// Decodes a link and replays it into a timeline.
pub fn open<M: Model>(link: &str) -> Result<Timeline<M>, ShareLinkError<M::Rejection>> {
    Timeline::from_journal(decode(link)?).map_err(ShareLinkError::Unreplayable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Tick;
    use crate::journal::Entry;
    use crate::test_model::{Counter, CounterCommand, CounterConfig};
    use proptest::prelude::*;

    type Error = ShareLinkError<<Counter as Model>::Rejection>;

    fn timeline() -> Timeline<Counter> {
        let mut t = Timeline::new(CounterConfig { seed: 5 });
        for i in 0..300u64 {
            if i % 10 == 0 {
                t.apply_at(Tick(i), CounterCommand::Add(2)).unwrap();
            }
            t.advance_head().unwrap();
        }
        t
    }

    #[test]
    fn round_trip_restores_the_same_state() {
        let original = timeline();
        let link = encode(original.journal());
        assert!(link.starts_with(PREFIX));
        assert!(link
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        let reopened: Timeline<Counter> = open(&link).unwrap();
        assert_eq!(reopened.head(), original.head());
        assert_eq!(reopened.journal(), original.journal());
    }

    #[test]
    fn links_are_compact() {
        // 30 commands over 300 ticks.
        let link = encode(timeline().journal());
        assert!(link.len() < 120, "{link}");
    }

    #[test]
    fn bad_links_say_what_is_wrong() {
        let decode = decode::<Counter>;
        assert_eq!(decode("https://example.org/x"), Err(Error::Foreign));
        assert_eq!(decode(""), Err(Error::Foreign));
        assert_eq!(decode("fl9.AAAA"), Err(Error::UnknownVersion("fl9".into())));
        assert!(matches!(decode("fl1.!!!"), Err(Error::Damaged(_))));
        let link = encode(timeline().journal());
        let cut = &link[..link.len() - 5];
        assert!(matches!(decode(cut), Err(Error::Damaged(_))));
        for e in [Error::Foreign, Error::Damaged("x".into())] {
            assert!(!e.to_string().is_empty() && !e.hint().is_empty());
        }
    }

    #[test]
    fn a_link_whose_commands_do_not_replay_is_refused() {
        let entries = vec![Entry {
            at: Tick(1),
            command: CounterCommand::Add(0),
        }];
        let journal =
            Journal::<Counter>::from_parts(CounterConfig { seed: 1 }, entries, Tick(2)).unwrap();
        assert!(matches!(
            open::<Counter>(&encode(&journal)),
            Err(ShareLinkError::Unreplayable(_))
        ));
    }

    proptest! {
        #[test]
        fn mutated_links_never_panic(index in 0usize..200, byte in any::<u8>()) {
            let mut link = encode(timeline().journal()).into_bytes();
            let i = index % link.len();
            link[i] = byte;
            let text = String::from_utf8_lossy(&link).into_owned();
            let _ = open::<Counter>(&text);
        }
    }
}
