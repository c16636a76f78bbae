//! What one range is and does: its bounds, how `--help` and a refusal write them, and the
//! clap value parsers that hold a flag to them. The table of every option's range is
//! `ranges.rs`.

use std::time::Duration;

pub(super) const DAY: u64 = 86_400;

/// What a bound counts, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Millis,
    Seconds,
    /// Seconds, written and read as `30s`, `15m`, `8h`, `1d` ([`super::parse_ttl`]).
    Duration,
}

#[derive(Debug)]
pub struct Range {
    /// The environment variable; the message names it (the flag is its kebab-case twin).
    pub var: &'static str,
    pub min: u64,
    pub max: u64,
    pub unit: Unit,
    /// What a value below the range would break, when the range alone does not say.
    pub too_low: Option<&'static str>,
}

/// A value outside its range; the message names the variable, the range and the value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OutOfRange(String);

impl Range {
    /// `between 0 and 86400`, as `--help` writes it.
    pub fn bounds(&self) -> String {
        let show = |n| self.show(n);
        format!("between {} and {}", show(self.min), show(self.max))
    }

    pub fn check(&self, n: impl TryInto<u64>) -> Result<(), OutOfRange> {
        // Anything wider than u64 is out of range anyway.
        let n = n.try_into().unwrap_or(u64::MAX);
        if (self.min..=self.max).contains(&n) {
            Ok(())
        } else {
            Err(self.refusal(&self.show(n), n < self.min))
        }
    }

    pub fn check_duration(&self, d: Duration) -> Result<(), OutOfRange> {
        let (min, max) = (Duration::from_secs(self.min), Duration::from_secs(self.max));
        if (min..=max).contains(&d) {
            Ok(())
        } else if d.subsec_nanos() == 0 {
            Err(self.refusal(&self.show(d.as_secs()), d < min))
        } else {
            Err(self.refusal(&format!("{d:?}"), d < min))
        }
    }

    /// clap's parser for a whole number in this range, of the option's own type.
    pub fn number<T>(&'static self) -> impl Fn(&str) -> Result<T, OutOfRange> + Clone + Send + Sync
    where
        T: TryFrom<u64>,
    {
        move |s| {
            let n = s
                .trim()
                .parse::<u64>()
                .map_err(|_| self.refusal(s, false))?;
            self.check(n)?;
            T::try_from(n).map_err(|_| self.refusal(s, false))
        }
    }

    /// clap's parser for a duration (`30s`, `15m`, `8h`, `1d`) in this range.
    pub fn duration(
        &'static self,
    ) -> impl Fn(&str) -> Result<Duration, OutOfRange> + Clone + Send + Sync {
        move |s| {
            let d = super::parse_ttl(s).map_err(|_| self.refusal(s, false))?;
            let low = d < Duration::from_secs(self.min);
            self.check_duration(d).map_err(|_| self.refusal(s, low))?;
            Ok(d)
        }
    }

    fn refusal(&self, got: &str, below: bool) -> OutOfRange {
        let unit = match self.unit {
            Unit::Count => "",
            Unit::Millis => " (milliseconds)",
            Unit::Seconds => " (seconds)",
            Unit::Duration => " (a duration: 30s, 15m, 8h, 1d)",
        };
        let why = match self.too_low {
            Some(why) if below => format!(" ({why})"),
            _ => String::new(),
        };
        OutOfRange(format!(
            "{} must be {}{unit}; got {got}{why}",
            self.var,
            self.bounds()
        ))
    }

    pub(super) fn show(&self, n: u64) -> String {
        match self.unit {
            Unit::Duration => compact(n),
            _ => n.to_string(),
        }
    }
}

/// Seconds in the largest unit that writes them whole: `600` → `10m`.
fn compact(secs: u64) -> String {
    match secs {
        0 => "0s".into(),
        s if s % DAY == 0 => format!("{}d", s / DAY),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
