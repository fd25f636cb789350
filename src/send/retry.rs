//! When to try again: exponential backoff with jitter, the server's own
//! `Retry-After`, and the gate that makes the senders of one batch wait
//! together. Every instant is computed with checked arithmetic: a server
//! may send any number, and a wait that does not fit the budget means "give
//! up this send now" (and queue the order when a spool is set).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// The first pause; each further attempt doubles it.
const BASE: Duration = Duration::from_millis(200);
const CAP: Duration = Duration::from_secs(10);
/// Longest Retry-After taken into account; more is "not within any budget".
const RETRY_AFTER_MAX: Duration = Duration::from_secs(366 * 24 * 3600);

/// The pause before attempt `attempt + 1`: 200 ms, 400 ms, 800 ms… (capped at
/// 10 s), each cut to a random 50–100 % so that many clients that failed
/// together do not come back together.
pub fn backoff(attempt: u32) -> Duration {
    let full = BASE.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(CAP);
    let mut byte = [0u8; 1];
    let jitter = if getrandom::fill(&mut byte).is_ok() { f64::from(byte[0]) / 255.0 } else { 1.0 };
    full.mul_f64(0.5 + jitter / 2.0)
}

/// `Retry-After: 120`, or an HTTP date in any of the three forms RFC 9110
/// §5.6.7 names (IMF-fixdate, RFC 850, asctime). Huge values are capped (a
/// year), dates in the past mean "now"; anything else is ignored (None).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: a number too big for u64 is still "very long".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(RETRY_AFTER_MAX));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO).min(RETRY_AFTER_MAX))
}

/// `now + wait`, if that is still before `deadline`.
pub fn within(deadline: Instant, wait: Duration) -> Option<Instant> {
    Instant::now().checked_add(wait).filter(|t| *t < deadline)
}

/// Senders of one batch wait together after a 429 or 503 Retry-After,
/// instead of each hammering the server on its own schedule.
#[derive(Default)]
pub struct Gate {
    not_before: Mutex<Option<Instant>>,
}

impl Gate {
    /// Sleeps until the pause another sender asked for is over.
    pub fn wait(&self) {
        let until = *self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pause) = until.and_then(|t| t.checked_duration_since(Instant::now())) {
            std::thread::sleep(pause);
        }
    }

    /// Asks every sender to wait until `until`.
    pub fn hold(&self, until: Instant) {
        let mut slot = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        *slot = Some(slot.map_or(until, |u| u.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn retry_after_seconds_and_the_three_date_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Sunday, 06-Nov-94 08:49:40 GMT", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:40 1994", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn huge_retry_after_values_are_capped_not_overflowed() {
        let now = SystemTime::now();
        for v in ["18446744073709551615", "99999999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"] {
            let d = parse_retry_after(v, now).unwrap();
            assert_eq!(d, RETRY_AFTER_MAX, "{v}");
            assert!(within(Instant::now() + Duration::from_secs(30), d).is_none());
        }
        assert!(within(Instant::now() + Duration::from_secs(30), Duration::MAX).is_none());
        assert!(within(Instant::now() + Duration::from_secs(30), Duration::from_secs(1)).is_some());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let d = backoff(attempt);
            let full = BASE.saturating_mul(1 << (attempt - 1).min(16)).min(CAP);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }
}
