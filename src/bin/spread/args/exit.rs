//! What `spread` exits with, and the failure that ends a command.

use spread::{Error, ErrorKind};

/// What `spread` exits with; the table in `spread --help` and the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done: everything delivered, nothing to do, no problem found.
    Ok,
    /// A failure that is not about the orders: network, TLS, SPREAD down, a local file.
    Failure,
    /// Bad usage (clap's own exit code for usage errors).
    Usage,
    /// Configuration: missing keys, a spool folder that does not exist or
    /// is not safe, a bad URL, proxy or CA, keys SPREAD refuses, a wrong endpoint.
    Config,
    /// The run worked but some orders are not delivered: still pending in the
    /// spool, refused by SPREAD (rejected/), invalid lines; or `status
    /// --max-age`: the oldest pending order is older than allowed.
    Incomplete,
    /// A check's verdict in the Nagios plugin convention (`status --warning
    /// --critical`, `doctor`): 1 warning, 2 critical (doctor: a problem), 3 unknown.
    Warning,
    Critical,
    Unknown,
}

impl Exit {
    /// The process's exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failure | Exit::Warning => 1,
            Exit::Usage | Exit::Critical => 2,
            Exit::Config | Exit::Unknown => 3,
            Exit::Incomplete => 4,
        }
    }

    /// The more urgent of two outcomes: configuration, then failure, then incomplete.
    pub fn worst(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Ok => 0,
            Exit::Incomplete | Exit::Warning => 1,
            Exit::Failure | Exit::Critical => 2,
            Exit::Config | Exit::Unknown => 3,
            Exit::Usage => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// How a failure of the library ends the command.
    pub fn of(kind: ErrorKind) -> Exit {
        match kind {
            ErrorKind::Config | ErrorKind::Auth | ErrorKind::Endpoint => Exit::Config,
            ErrorKind::InvalidValue | ErrorKind::MissingField | ErrorKind::Rejected => Exit::Incomplete,
            ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Tls | ErrorKind::Redirect | ErrorKind::Server | ErrorKind::Io | ErrorKind::Internal => {
                Exit::Failure
            }
        }
    }
}

/// A command that stops: its exit code and the one line it prints on stderr.
#[derive(Debug)]
pub struct Fail {
    pub exit: Exit,
    pub message: String,
}

impl Fail {
    pub fn new(exit: Exit, message: impl Into<String>) -> Fail {
        Fail { exit, message: message.into() }
    }

    pub fn config(message: impl Into<String>) -> Fail {
        Fail::new(Exit::Config, message)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        // A bad name given to `rejected show/requeue` is the caller's mistake.
        let exit = match e.kind {
            ErrorKind::InvalidValue => Exit::Usage,
            kind => Exit::of(kind),
        };
        Fail::new(exit, e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_outcome_wins() {
        assert_eq!(Exit::Ok.worst(Exit::Incomplete), Exit::Incomplete);
        assert_eq!(Exit::Incomplete.worst(Exit::Failure), Exit::Failure);
        assert_eq!(Exit::Config.worst(Exit::Failure), Exit::Config);
    }
}
