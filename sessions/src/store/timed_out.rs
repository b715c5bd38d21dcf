//! The failure of a server store whose server did not answer in time.

use std::fmt;
use std::time::Duration;

use crate::error::Error;

/// `server` did not answer within `bound`: the request fails closed. The
/// source of the [`Error::Backend`] that [`error`](Self::error) makes.
#[derive(Debug)]
pub(crate) struct TimedOut {
    server: &'static str,
    bound: Duration,
}

impl TimedOut {
    /// [`Error::Backend`] for `server` (as users name it: "Redis",
    /// "PostgreSQL") silent for `bound`.
    pub(crate) fn error(server: &'static str, bound: Duration) -> Error {
        Error::Backend(Box::new(Self { server, bound }))
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} did not answer within {:?}", self.server, self.bound)
    }
}

impl std::error::Error for TimedOut {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_server_and_the_bound() {
        let error = TimedOut::error("PostgreSQL", Duration::from_secs(1));
        assert!(matches!(error, Error::Backend(_)));
        let source = std::error::Error::source(&error).expect("the timeout is the source");
        assert_eq!(source.to_string(), "PostgreSQL did not answer within 1s");
    }
}
