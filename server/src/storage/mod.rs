//! Storage: one set of runtime queries over sqlx's `Any` driver, serving
//! SQLite (the embedded default) and PostgreSQL (production, several server
//! instances). Timestamps are integers and dates ISO text, so the same SQL
//! runs on both; only the migrations differ per backend.
//!
//! Every write goes through a [`WriteTx`], whose first statement claims the
//! audit chain's head row. That serialises writers on both databases (a row
//! lock on PostgreSQL, the write lock on SQLite, taken before any read so
//! SQLite never has to upgrade a read lock) and makes it impossible to
//! write without leaving an audit event.

pub mod accounts;
pub mod areas;
pub mod audit;
pub mod bans;
pub mod complaints;
pub mod devices;
pub mod door_counts;
pub mod lists;
pub mod public;
pub mod subject_requests;
pub mod venues;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::domain::audit::{AuditEvent, CommitSignal, HASH_LEN, event_mac};

/// Called after every commit that gave [`CommitSignal`]s (see
/// [`Db::on_commit`]): the services' notifier, so storage never needs to
/// know what listens.
pub type CommitHook = Arc<dyn Fn(&[CommitSignal]) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL: use sqlite://PATH or postgres://...")]
    UnsupportedUrl,
    #[error("stored data is inconsistent: {0}")]
    Inconsistent(&'static str),
}

impl StorageError {
    /// A unique or check constraint refused the write.
    pub fn is_constraint_violation(&self) -> bool {
        match self {
            Self::Database(sqlx::Error::Database(e)) => matches!(
                e.kind(),
                sqlx::error::ErrorKind::UniqueViolation
                    | sqlx::error::ErrorKind::CheckViolation
                    | sqlx::error::ErrorKind::ForeignKeyViolation
            ),
            _ => false,
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL channel a commit that revokes a device or changes a
/// venue's admission notifies (payload:
/// `CommitSignal::device_access_payload`), so other instances' sync caches
/// forget at once.
pub const DEVICE_ACCESS_CHANNEL: &str = "cho_device_access";

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time. Queueing writers here, in
    /// arrival order, beats letting them collide in SQLite's busy handler,
    /// which sleeps in growing steps and makes the latency tail long.
    sqlite_writer: Arc<tokio::sync::Mutex<()>>,
    /// The audit chain's HMAC key; without it nothing can be written.
    audit_key: Option<Arc<ring::hmac::Key>>,
    /// Told after each commit what it meant for the doors.
    on_commit: Option<CommitHook>,
    /// The URL connected to: a listener opens its own connection with it
    /// (PostgreSQL `LISTEN`). Holds a password, if any: never logged.
    url: Arc<str>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Db {
    /// Connects by URL scheme and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StorageError::UnsupportedUrl);
        };
        if backend == Backend::Sqlite {
            restrict_sqlite_files(url)?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; the busy
                        // timeout makes writers queue instead of failing.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let db = Self {
            pool,
            backend,
            sqlite_writer: Arc::new(tokio::sync::Mutex::new(())),
            audit_key: None,
            on_commit: None,
            url: Arc::from(url),
        };
        db.migrate().await?;
        Ok(db)
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Gives the connection the audit chain's key (`crate::app` does this),
    /// which every write needs.
    pub fn with_audit_key(mut self, key: ring::hmac::Key) -> Self {
        self.audit_key = Some(Arc::new(key));
        self
    }

    /// Calls `hook` after every commit whose audit events give
    /// [`CommitSignal`]s (`crate::app` wires the list notifier here).
    pub fn on_commit(mut self, hook: CommitHook) -> Self {
        self.on_commit = Some(hook);
        self
    }

    /// The URL this database was opened with (for a listener's own
    /// connection). Never log it.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a write: claims the audit head first (see the module doc).
    pub async fn begin_write(&self, now: i64) -> Result<WriteTx> {
        // Fail closed: an unkeyed link would be forgeable.
        let key = self
            .audit_key
            .clone()
            .ok_or(StorageError::Inconsistent("no audit chain key"))?;
        let writer = self.writer_turn().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await?;
        let seq: i64 = row.try_get("seq")?;
        let hash: Vec<u8> = row.try_get("hash")?;
        if hash.len() != HASH_LEN {
            return Err(StorageError::Inconsistent("audit head hash"));
        }
        Ok(WriteTx {
            tx,
            now,
            seq,
            hash,
            key,
            dirty: false,
            signals: Vec::new(),
            on_commit: self.on_commit.clone(),
            backend: self.backend,
            _writer: writer,
        })
    }

    /// The writer's turn on SQLite (nothing on PostgreSQL), for a write
    /// outside the audit chain (a sync noted, door counts): hold it over
    /// the statement. Every SQLite write must queue here, not in SQLite's
    /// busy handler: a statement waiting there holds a pool connection for
    /// up to the busy timeout, while the writer holding the lock may itself
    /// wait for a connection of this pool. With 16 doors enrolling and
    /// syncing at once that locked the server for ten seconds
    /// (`database is locked`).
    pub async fn writer_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The SQLite database holds sealed personal data and every hash: owner
/// only. The file is created 0600 before SQLite opens it (SQLite gives its
/// -wal and -shm files the database file's mode), and existing files are
/// narrowed to 0600.
fn restrict_sqlite_files(url: &str) -> Result<()> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    let path = options.get_filename();
    let name = path.to_string_lossy();
    if name.is_empty() || name.contains(":memory:") {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |e: std::io::Error| StorageError::Database(sqlx::Error::Io(e));
        if !path.exists() {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(_) => {}
                // Created meanwhile by another process: narrowed below.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                // No directory, read-only mode...: SQLite says why.
                Err(_) => return Ok(()),
            }
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
            }
        }
    }
    Ok(())
}

/// A write transaction that owns the next links of the audit chain.
pub struct WriteTx {
    pub tx: Transaction<'static, Any>,
    now: i64,
    seq: i64,
    hash: Vec<u8>,
    key: Arc<ring::hmac::Key>,
    dirty: bool,
    /// What the events of this transaction mean for the doors, told to
    /// `on_commit` once (and only if) it commits.
    signals: Vec<CommitSignal>,
    on_commit: Option<CommitHook>,
    backend: Backend,
    /// Held until commit or drop (SQLite only).
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Appends an event to the chain, in this transaction.
    pub async fn audit(&mut self, event: AuditEvent) -> Result<()> {
        let seq = self.seq + 1;
        if let Some(signal) = event.commit_signal()
            && !self.signals.contains(&signal)
        {
            self.signals.push(signal);
        }
        let hash = event_mac(&self.key, &self.hash, seq, self.now, &event.fields());
        sqlx::query(
            "INSERT INTO audit_events (seq, at, actor, action, object_type, object_id, area_id, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(seq)
        .bind(self.now)
        .bind(event.actor)
        .bind(event.action)
        .bind(event.object_type)
        .bind(event.object_id)
        .bind(event.area_id)
        .bind(self.hash.clone())
        .bind(hash.to_vec())
        .execute(&mut *self.tx)
        .await?;
        self.seq = seq;
        self.hash = hash.to_vec();
        self.dirty = true;
        Ok(())
    }

    /// Appends an event that returned (or changed) the personal data of
    /// `ban_ids`, and indexes it under each ban (`audit_event_bans`) so a
    /// data subject's access request finds every such event by ban. The
    /// event's `object_id` must list the same ids: the chain's hash covers
    /// them there; the index only makes them findable.
    pub async fn audit_naming_bans(&mut self, event: AuditEvent, ban_ids: &[i64]) -> Result<()> {
        self.audit(event).await?;
        for ban_id in ban_ids {
            sqlx::query(
                "INSERT INTO audit_event_bans (ban_id, seq) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(*ban_id)
            .bind(self.seq)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    pub async fn commit(mut self) -> Result<()> {
        if self.dirty {
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(self.seq)
                .bind(self.hash.clone())
                .execute(&mut *self.tx)
                .await?;
        }
        if self.backend == Backend::Postgres {
            // Delivered to every listening instance when this commits (on
            // SQLite the others read the chain: `audit::device_access_since`).
            for payload in self
                .signals
                .iter()
                .filter_map(|s| s.device_access_payload())
            {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(DEVICE_ACCESS_CHANNEL)
                    .bind(payload)
                    .execute(&mut *self.tx)
                    .await?;
            }
        }
        self.tx.commit().await?;
        // Released before the hook runs: it may start another write.
        drop(self._writer);
        if let Some(hook) = &self.on_commit
            && !self.signals.is_empty()
        {
            hook(&self.signals);
        }
        Ok(())
    }
}
