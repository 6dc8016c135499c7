//! The lesson catalog: every `lessons/*.md` (embedded at build time by `build.rs`), parsed once
//! with [`lab::lesson::parse_lesson`] and grouped by track.

use lab::lesson::{parse_lesson, Lesson};
use std::rc::Rc;

include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

/// Tracks in the order the index shows them; tracks not listed follow, alphabetically.
pub const TRACK_ORDER: &[&str] = &["Foundations", "Kafka"];

/// All lessons, sorted by track then order, plus files that failed to parse.
#[derive(Debug)]
pub struct Catalog {
    pub lessons: Vec<Lesson>,
    pub problems: Vec<String>,
}

fn track_rank(track: &str) -> (usize, String) {
    (
        TRACK_ORDER
            .iter()
            .position(|t| *t == track)
            .unwrap_or(TRACK_ORDER.len()),
        track.to_string(),
    )
}

impl Catalog {
    pub fn parse(sources: &[(&str, &str)]) -> Catalog {
        let mut lessons = Vec::new();
        let mut problems = Vec::new();
        for (file, text) in sources {
            match parse_lesson(text) {
                Ok(lesson) => lessons.push(lesson),
                Err(e) => problems.push(format!("{file}: {e}")),
            }
        }
        lab::sim::sort::sort_by_key(&mut lessons, |l| (track_rank(&l.meta.track), l.meta.order));
        Catalog { lessons, problems }
    }

    pub fn find(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|l| l.meta.id == id)
    }

    /// The lesson after `id` in reading order.
    pub fn next_after(&self, id: &str) -> Option<&Lesson> {
        let index = self.lessons.iter().position(|l| l.meta.id == id)?;
        self.lessons.get(index + 1)
    }

    /// Lessons grouped by track, in display order.
    pub fn tracks(&self) -> Vec<(&str, Vec<&Lesson>)> {
        let mut tracks: Vec<(&str, Vec<&Lesson>)> = Vec::new();
        for lesson in &self.lessons {
            match tracks.last_mut() {
                Some((track, list)) if *track == lesson.meta.track => list.push(lesson),
                _ => tracks.push((&lesson.meta.track, vec![lesson])),
            }
        }
        tracks
    }
}

thread_local! {
    static CATALOG: Rc<Catalog> = Rc::new(Catalog::parse(LESSON_SOURCES));
}

/// The catalog of the lessons shipped in this build.
pub fn catalog() -> Rc<Catalog> {
    CATALOG.with(Rc::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lessons_all_parse_in_reading_order() {
        let catalog = catalog();
        assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
        assert!(!catalog.lessons.is_empty());
        let first = &catalog.lessons[0];
        assert_eq!(first.meta.track, "Foundations");
        assert_eq!(
            catalog.next_after(&first.meta.id).map(|l| l.meta.order),
            catalog.lessons.get(1).map(|l| l.meta.order)
        );
    }

    #[test]
    fn broken_files_are_reported_not_fatal() {
        let catalog = Catalog::parse(&[("bad.md", "no front matter")]);
        assert!(catalog.lessons.is_empty());
        assert!(catalog.problems[0].starts_with("bad.md: line 1"));
    }
}
