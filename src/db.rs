//! The SQLite database: one file in `data_dir`, WAL, foreign keys on, embedded migrations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::config::Durability;

pub type Db = sqlx::SqlitePool;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub const DB_FILE: &str = "hookd.db";

/// Opens the database with full durability (see `open_with`).
pub async fn open(data_dir: &Path) -> anyhow::Result<Db> {
    open_with(data_dir, Durability::Full).await
}

/// Creates `data_dir` if needed, checks it is writable, opens the database and migrates it.
pub async fn open_with(data_dir: &Path, durability: Durability) -> anyhow::Result<Db> {
    prepare_dir(data_dir)?;
    let path = data_dir.join(DB_FILE);
    let opts = SqliteConnectOptions::from_str("sqlite:")?
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous(durability))
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    let db = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await
        .with_context(|| format!("cannot open database {}", path.display()))?;
    migrate(&db).await?;
    Ok(db)
}

/// Dashboard and portal sessions, in their own file beside the database.
pub const SESSIONS_FILE: &str = "sessions.db";

/// The session store's database. A session is saved on every dashboard request (its expiry
/// slides), and in the main database those writes would queue behind the delivery engine's
/// back-to-back group commits while a backlog drains; here they never wait for it. Losing the
/// last commits of this file only signs people out, so it syncs at checkpoints only.
pub async fn open_sessions(data_dir: &Path) -> anyhow::Result<Db> {
    let path = data_dir.join(SESSIONS_FILE);
    let opts = SqliteConnectOptions::from_str("sqlite:")?
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(opts)
        .await
        .with_context(|| format!("cannot open the session database {}", path.display()))
}

/// In WAL mode, FULL syncs the WAL at every commit, so a commit is on stable storage when it
/// returns; NORMAL syncs only at checkpoints, so the last commits can be lost in a power cut.
fn synchronous(durability: Durability) -> SqliteSynchronous {
    match durability {
        Durability::Full => SqliteSynchronous::Full,
        Durability::Os => SqliteSynchronous::Normal,
    }
}

/// Writes a consistent snapshot of the database to `to`, a new file (`VACUUM INTO` reads one
/// transaction, so writers carry on meanwhile), synced to disk; returns its size in bytes.
pub async fn backup(db: &Db, to: &Path) -> anyhow::Result<u64> {
    if to.exists() {
        bail!("backup: {} already exists; name a new file", to.display());
    }
    let target = to
        .to_str()
        .with_context(|| format!("backup: {} is not a UTF-8 path", to.display()))?;
    sqlx::query("vacuum into ?1")
        .bind(target)
        .execute(db)
        .await
        .with_context(|| format!("backup: cannot write {}", to.display()))?;
    let file = std::fs::File::open(to).with_context(|| format!("backup: {}", to.display()))?;
    file.sync_all()
        .with_context(|| format!("backup: cannot sync {}", to.display()))?;
    Ok(file.metadata()?.len())
}

pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    match MIGRATOR.run(db).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(v)) => bail!(
            "the database was written by a newer hookd (it has migration {v}, which this \
             version does not know); run the newer hookd or restore a backup"
        ),
        Err(e) => Err(e).context("database migration failed"),
    }
}

fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("data_dir: cannot create {}", dir.display()))?;
    let probe = dir.join(".hookd-write-test");
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("data_dir: {} is not writable", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Opaque list cursors: base64url of the sort key of the last row returned.
pub mod cursor {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    pub fn encode(key: &str) -> String {
        URL_SAFE_NO_PAD.encode(key)
    }
    pub fn decode(cursor: &str) -> Option<String> {
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    }

    #[cfg(test)]
    #[test]
    fn round_trips() {
        assert_eq!(decode(&encode("wh_0193")).as_deref(), Some("wh_0193"));
        assert_eq!(decode("!!"), None);
    }
}
