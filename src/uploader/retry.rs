//! Backoff between attempts: exponential, capped, with jitter.

use std::time::Duration;

use rand::Rng;

use super::error::ConfigError;

/// Delay before retry `n` (1-based): `ceiling(n) = min(max, initial * multiplier^(n-1))`; with
/// jitter the delay is drawn uniformly from `[ceiling/2, ceiling]` ("equal jitter": spreads
/// clients apart without ever retrying immediately). A `Retry-After` from the service raises the
/// delay to that value, still capped at `max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// Ceiling of the first retry's delay.
    pub initial: Duration,
    /// Largest delay.
    pub max: Duration,
    /// Growth factor per retry (at least 1).
    pub multiplier: f64,
    /// Draw the delay at random below the ceiling.
    pub jitter: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
            multiplier: 2.0,
            jitter: true,
        }
    }
}

impl Backoff {
    /// No delay at all (tests).
    pub const NONE: Backoff = Backoff {
        initial: Duration::ZERO,
        max: Duration::ZERO,
        multiplier: 1.0,
        jitter: false,
    };

    /// Rejects a multiplier below 1 or not finite, and an initial delay above the maximum.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.multiplier.is_finite() || self.multiplier < 1.0 {
            return Err(ConfigError::InvalidBackoff(format!(
                "multiplier must be a finite number >= 1, got {}",
                self.multiplier
            )));
        }
        if self.initial > self.max {
            return Err(ConfigError::InvalidBackoff(format!(
                "initial delay {:?} is above the maximum {:?}",
                self.initial, self.max
            )));
        }
        Ok(())
    }

    /// The upper bound of the delay before retry `retry` (1-based).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(64) as i32;
        let factor = self.multiplier.powi(exp);
        let secs = self.initial.as_secs_f64() * factor;
        if !secs.is_finite() || secs >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(secs)
        }
    }

    /// The delay before retry `retry` (1-based), honouring a `Retry-After` hint.
    pub fn delay<R: Rng + ?Sized>(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        rng: &mut R,
    ) -> Duration {
        let ceiling = self.ceiling(retry);
        let base = if self.jitter && !ceiling.is_zero() {
            let half = ceiling / 2;
            let spread = (ceiling - half).as_nanos() as u64;
            half + Duration::from_nanos(rng.gen_range(0..=spread))
        } else {
            ceiling
        };
        match retry_after {
            Some(hint) => base.max(hint.min(self.max)),
            None => base,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn ceiling_grows_exponentially_and_is_capped() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            multiplier: 2.0,
            jitter: false,
        };
        assert_eq!(b.ceiling(1), Duration::from_millis(100));
        assert_eq!(b.ceiling(2), Duration::from_millis(200));
        assert_eq!(b.ceiling(4), Duration::from_millis(800));
        assert_eq!(b.ceiling(5), Duration::from_secs(1));
        assert_eq!(b.ceiling(10_000), Duration::from_secs(1));
    }

    #[test]
    fn jittered_delay_stays_between_half_and_full_ceiling() {
        let b = Backoff::default();
        let mut rng = StdRng::seed_from_u64(7);
        let mut distinct = std::collections::HashSet::new();
        for retry in 1..=12 {
            for _ in 0..50 {
                let d = b.delay(retry, None, &mut rng);
                let c = b.ceiling(retry);
                assert!(
                    d >= c / 2 && d <= c,
                    "retry {retry}: {d:?} not in [{c:?}/2, {c:?}]"
                );
                distinct.insert(d);
            }
        }
        assert!(distinct.len() > 100, "jitter should spread delays");
    }

    #[test]
    fn retry_after_raises_the_delay_but_not_past_the_cap() {
        let b = Backoff {
            jitter: false,
            ..Backoff::default()
        };
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(2)), &mut rng),
            Duration::from_secs(2)
        );
        assert_eq!(b.delay(1, Some(Duration::from_secs(3600)), &mut rng), b.max);
        assert_eq!(
            b.delay(1, Some(Duration::ZERO), &mut rng),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn validation_rejects_nonsense() {
        assert!(Backoff::default().validate().is_ok());
        assert!(Backoff::NONE.validate().is_ok());
        let b = Backoff {
            multiplier: 0.5,
            ..Backoff::default()
        };
        assert!(b.validate().is_err());
        let b = Backoff {
            multiplier: f64::NAN,
            ..Backoff::default()
        };
        assert!(b.validate().is_err());
        let b = Backoff {
            initial: Duration::from_secs(10),
            ..Backoff::default()
        };
        assert!(b.validate().is_err());
    }
}
