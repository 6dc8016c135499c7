//! Logical time. The simulation never reads a wall clock: time is a count of [`Tick`]s that
//! only moves when the journal says so, which is what makes every run replayable.

use std::fmt;

/// A point on the lab's logical clock. Tick 0 is the moment the lab starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tick(pub u64);

impl Tick {
    pub const ZERO: Tick = Tick(0);

    /// The tick that follows this one.
    pub fn next(self) -> Tick {
        Tick(self.0.saturating_add(1))
    }

    /// This tick moved forward by `ticks`, saturating at the end of time.
    pub fn plus(self, ticks: u64) -> Tick {
        Tick(self.0.saturating_add(ticks))
    }

    /// Ticks from `earlier` to `self`, or 0 when `earlier` is later.
    pub fn ticks_since(self, earlier: Tick) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Tick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_order_and_saturate() {
        assert!(Tick(3) < Tick(4));
        assert_eq!(Tick(3).next(), Tick(4));
        assert_eq!(Tick(u64::MAX).next(), Tick(u64::MAX));
        assert_eq!(Tick(10).ticks_since(Tick(4)), 6);
        assert_eq!(Tick(4).ticks_since(Tick(10)), 0);
        assert_eq!(Tick(7).to_string(), "t7");
    }
}
