//! The SQL of [`PostgresBackend`](super::PostgresBackend), built once from
//! a checked table name.
//!
//! Every statement is one round trip; the pool's statement cache prepares
//! each once per connection. Parameters are typed by the statement:
//! `id` text, `record` and `owner` bytea, times and versions bigint, read
//! limits integer.

/// Every statement the backend runs, for one table.
#[derive(Debug)]
pub(super) struct Sql {
    /// Creates the table and its indexes if missing, under a lock, so that
    /// app servers starting together do not race.
    pub(super) migrate: String,
    /// `$1` id, `$2` record, `$3` expires, `$4` version, `$5` owner, `$6`
    /// now. Changes one row exactly when there was no live one.
    pub(super) create: String,
    /// `$1` id, `$2` now, `$3` read limit. The first bytes of the live
    /// record.
    pub(super) load: String,
    /// `$1` id, `$2` record, `$3` expires, `$4` version, `$5` owner, `$6`
    /// now, `$7` expected version. One row: whether the record was
    /// written, and whether a live one was there.
    pub(super) update: String,
    /// `$1` id.
    pub(super) delete: String,
    /// `$1` now.
    pub(super) cleanup: String,
    /// `$1` owner, `$2` now, `$3` read limit. Ids and first bytes.
    pub(super) owned: String,
}

impl Sql {
    /// The statements on `table`, which must have passed
    /// [`PostgresOptions::check`](super::PostgresOptions::check).
    pub(super) fn new(table: &str) -> Self {
        let t = format!("\"{table}\"");
        let migrate = format!(
            "BEGIN;
            SELECT pg_advisory_xact_lock(hashtext('sessions migrate {table}'));
            CREATE TABLE IF NOT EXISTS {t} (
                id TEXT PRIMARY KEY,
                record BYTEA NOT NULL,
                expires BIGINT NOT NULL,
                version BIGINT NOT NULL,
                owner BYTEA
            );
            CREATE INDEX IF NOT EXISTS \"{table}_expires\" ON {t} (expires);
            CREATE INDEX IF NOT EXISTS \"{table}_owner\" ON {t} (owner)
                WHERE owner IS NOT NULL;
            COMMIT;"
        );
        let create = format!(
            "INSERT INTO {t} AS old (id, record, expires, version, owner)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record,
                expires = EXCLUDED.expires, version = EXCLUDED.version,
                owner = EXCLUDED.owner
            WHERE old.expires <= $6::BIGINT"
        );
        let load = format!(
            "SELECT substring(record FROM 1 FOR $3::INTEGER) FROM {t}
            WHERE id = $1 AND expires > $2::BIGINT"
        );
        let update = format!(
            "WITH written AS (
                UPDATE {t} SET record = $2, expires = $3, version = $4, owner = $5
                WHERE id = $1 AND version = $7::BIGINT AND expires > $6::BIGINT
                RETURNING 1
            )
            SELECT EXISTS (SELECT 1 FROM written),
                EXISTS (SELECT 1 FROM {t} WHERE id = $1 AND expires > $6::BIGINT)"
        );
        let delete = format!("DELETE FROM {t} WHERE id = $1");
        let cleanup = format!("DELETE FROM {t} WHERE expires <= $1::BIGINT");
        let owned = format!(
            "SELECT id, substring(record FROM 1 FOR $3::INTEGER) FROM {t}
            WHERE owner = $1 AND expires > $2::BIGINT"
        );
        Self {
            migrate,
            create,
            load,
            update,
            delete,
            cleanup,
            owned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_quoted_everywhere() {
        let sql = Sql::new("user");
        for statement in [
            &sql.create,
            &sql.load,
            &sql.update,
            &sql.delete,
            &sql.cleanup,
            &sql.owned,
        ] {
            assert!(statement.contains("\"user\""), "{statement}");
            assert!(!statement.contains(" user "), "{statement}");
        }
        assert!(sql.migrate.contains("\"user_expires\" ON \"user\""));
        assert!(sql.migrate.contains("\"user_owner\" ON \"user\""));
    }
}
