//! `PostgresOptions`: the table, the pool's size and its timeout.

use std::time::Duration;

use crate::error::{Error, Result};

/// The table [`PostgresStore`](super::PostgresStore) keeps sessions in,
/// unless changed with [`PostgresOptions::table`].
///
/// ```
/// use sessions::store::{DEFAULT_POSTGRES_TABLE, PostgresOptions};
///
/// assert_eq!(PostgresOptions::new().table_name(), DEFAULT_POSTGRES_TABLE);
/// ```
pub const DEFAULT_POSTGRES_TABLE: &str = "sessions";

/// The longest table name [`PostgresOptions::check`] accepts, in bytes.
///
/// PostgreSQL cuts identifiers at 63 bytes; the store's indexes are named
/// after the table plus `_reap_at` (8 bytes), so a longer table name
/// would give an index the table's own name.
///
/// ```
/// use sessions::store::{MAX_POSTGRES_TABLE_LEN, PostgresOptions};
///
/// assert_eq!(MAX_POSTGRES_TABLE_LEN + "_reap_at".len(), 63);
/// let long = "a".repeat(MAX_POSTGRES_TABLE_LEN + 1);
/// assert!(PostgresOptions::new().table(long).check().is_err());
/// ```
pub const MAX_POSTGRES_TABLE_LEN: usize = 55;

const _: () = assert!(MAX_POSTGRES_TABLE_LEN + "_reap_at".len() == 63);

/// How a [`PostgresStore`](super::PostgresStore) talks to PostgreSQL: the
/// table it uses, how many connections its pool keeps, and how long a
/// request waits for one.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::PostgresOptions;
///
/// let options = PostgresOptions::new()
///     .table("shop_sessions")
///     .max_connections(8)
///     .timeout(Duration::from_secs(2));
/// options.check()?;
/// assert_eq!(options.table_name(), "shop_sessions");
/// # Ok::<(), sessions::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresOptions {
    pub(super) table: String,
    pub(super) max_connections: usize,
    pub(super) timeout: Duration,
}

impl PostgresOptions {
    /// The defaults: table [`DEFAULT_POSTGRES_TABLE`], 16 connections, 5
    /// seconds to connect or to wait for a free connection.
    ///
    /// ```
    /// use sessions::store::PostgresOptions;
    ///
    /// assert_eq!(PostgresOptions::new(), PostgresOptions::default());
    /// ```
    pub fn new() -> Self {
        Self {
            table: DEFAULT_POSTGRES_TABLE.to_owned(),
            max_connections: 16,
            timeout: Duration::from_secs(5),
        }
    }

    /// The table, in the connection's search path: `[a-z_][a-z0-9_]*`, at
    /// most [`MAX_POSTGRES_TABLE_LEN`] bytes. It is checked before it
    /// reaches any SQL, and quoted there, so even a reserved word works.
    ///
    /// ```
    /// use sessions::{Error, store::PostgresOptions};
    ///
    /// assert!(PostgresOptions::new().table("user").check().is_ok());
    /// let err = PostgresOptions::new().table("x; DROP TABLE y").check().unwrap_err();
    /// assert!(matches!(err, Error::InvalidStoreOption { option: "table", .. }));
    /// ```
    #[must_use]
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// The most connections the pool opens (at least 1).
    ///
    /// ```
    /// use sessions::{Error, store::PostgresOptions};
    ///
    /// let err = PostgresOptions::new().max_connections(0).check().unwrap_err();
    /// assert!(matches!(err, Error::InvalidStoreOption { option: "max_connections", .. }));
    /// ```
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// How long opening a connection, or waiting for a free one in the
    /// pool, may take before the request fails with
    /// [`Error::Backend`]: not zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions::{Error, store::PostgresOptions};
    ///
    /// let err = PostgresOptions::new().timeout(Duration::ZERO).check().unwrap_err();
    /// assert!(matches!(err, Error::InvalidStoreOption { option: "timeout", .. }));
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The table's name.
    ///
    /// ```
    /// use sessions::store::PostgresOptions;
    ///
    /// assert_eq!(PostgresOptions::new().table("t").table_name(), "t");
    /// ```
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Checks the options; every way of connecting calls it first.
    ///
    /// ```
    /// use sessions::{Error, store::PostgresOptions};
    ///
    /// let err = PostgresOptions::new().table("Sessions").check().unwrap_err();
    /// assert!(matches!(err, Error::InvalidStoreOption { option: "table", .. }));
    /// ```
    pub fn check(&self) -> Result<()> {
        if self.max_connections == 0 {
            return Err(invalid("max_connections", "at least one connection"));
        }
        if self.timeout.is_zero() {
            return Err(invalid("timeout", "a timeout above zero"));
        }
        check_table(&self.table)
    }
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// `[a-z_][a-z0-9_]*`, 1 to [`MAX_POSTGRES_TABLE_LEN`] bytes: safe between
/// double quotes, and never folded or cut by PostgreSQL.
fn check_table(table: &str) -> Result<()> {
    const PROBLEM: &str = "a table name is 1 to 55 bytes of [a-z0-9_], not starting with a digit";
    let ok = table.len() <= MAX_POSTGRES_TABLE_LEN
        && table.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        && table
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(invalid("table", PROBLEM))
    }
}

fn invalid(option: &'static str, problem: &'static str) -> Error {
    Error::InvalidStoreOption { option, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_of_lowercase_digits_and_underscores_pass() {
        for table in [
            "sessions",
            "_t",
            "a1_b2",
            &"x".repeat(MAX_POSTGRES_TABLE_LEN),
        ] {
            assert!(check_table(table).is_ok(), "{table:?}");
        }
    }

    #[test]
    fn other_table_names_fail() {
        let long = "x".repeat(MAX_POSTGRES_TABLE_LEN + 1);
        let bad = [
            "", "1t", "Sessions", "a-b", "a b", "a\"b", "a;b", "é", "s.t", &long,
        ];
        for table in bad {
            assert!(check_table(table).is_err(), "{table:?}");
        }
    }
}
