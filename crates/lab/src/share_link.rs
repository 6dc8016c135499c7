//! Share links of labs: [`sim::share_link`] with the [`Lab`] as the model, so a link's body is a
//! lab's journal (see [`crate::command_codec`] for its command bytes).

use crate::journal::Journal;
use crate::state::Lab;
use crate::timeline::Timeline;
pub use sim::share_link::{DECODED_BYTES_MAX, LINK_CHARS_MAX, PREFIX};

/// Why a share link could not be opened.
pub type ShareLinkError = sim::share_link::ShareLinkError<crate::state::Rejection>;

/// Encodes a lab's journal as link text.
pub fn encode(journal: &Journal) -> String {
    sim::share_link::encode(journal)
}

/// Decodes link text to a lab's journal, checking it end to end.
pub fn decode(link: &str) -> Result<Journal, ShareLinkError> {
    sim::share_link::decode::<Lab>(link)
}

/// Decodes a link and replays it into a lab's timeline.
pub fn open(link: &str) -> Result<Timeline, ShareLinkError> {
    sim::share_link::open::<Lab>(link)
}
