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
    /// now, `$7` reap-at. Changes one row exactly when there was no live
    /// one.
    pub(super) create: String,
    /// `$1` id, `$2` now, `$3` read limit. The first bytes of the live
    /// record.
    pub(super) load: String,
    /// `$1` id, `$2` record, `$3` expires, `$4` version, `$5` owner, `$6`
    /// now, `$7` expected version, `$8` reap-at. Changes one row exactly
    /// when the live record has the expected version.
    pub(super) update: String,
    /// `$1` id, `$2` now. A row when a live record is there: after an
    /// update that changed nothing, it tells a newer version from none.
    pub(super) live: String,
    /// `$1` id.
    pub(super) delete: String,
    /// `$1` now, `$2` the latest reap-at of a record expired by now.
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
                owner BYTEA,
                reap_at BIGINT NOT NULL
            ) WITH (fillfactor = 90);
            CREATE INDEX IF NOT EXISTS \"{table}_reap_at\" ON {t} (reap_at);
            CREATE INDEX IF NOT EXISTS \"{table}_owner\" ON {t} (owner)
                WHERE owner IS NOT NULL;
            COMMIT;"
        );
        let create = format!(
            "INSERT INTO {t} AS old (id, record, expires, version, owner, reap_at)
            VALUES ($1, $2, $3, $4, $5, $7)
            ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record,
                expires = EXCLUDED.expires, version = EXCLUDED.version,
                owner = EXCLUDED.owner, reap_at = EXCLUDED.reap_at
            WHERE old.expires <= $6::BIGINT"
        );
        let load = format!(
            "SELECT substring(record FROM 1 FOR $3::INTEGER) FROM {t}
            WHERE id = $1 AND expires > $2::BIGINT"
        );
        let update = format!(
            "UPDATE {t} SET record = $2, expires = $3, version = $4, owner = $5,
                reap_at = $8
            WHERE id = $1 AND version = $7::BIGINT AND expires > $6::BIGINT"
        );
        let live = format!("SELECT 1 FROM {t} WHERE id = $1 AND expires > $2::BIGINT");
        let delete = format!("DELETE FROM {t} WHERE id = $1");
        let cleanup =
            format!("DELETE FROM {t} WHERE reap_at <= $2::BIGINT AND expires <= $1::BIGINT");
        let owned = format!(
            "SELECT id, substring(record FROM 1 FOR $3::INTEGER) FROM {t}
            WHERE owner = $1 AND expires > $2::BIGINT"
        );
        Self {
            migrate,
            create,
            load,
            update,
            live,
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
            &sql.live,
            &sql.delete,
            &sql.cleanup,
            &sql.owned,
        ] {
            assert!(statement.contains("\"user\""), "{statement}");
            assert!(!statement.contains(" user "), "{statement}");
        }
        assert!(sql.migrate.contains("\"user_reap_at\" ON \"user\""));
        assert!(sql.migrate.contains("\"user_owner\" ON \"user\""));
    }
}
