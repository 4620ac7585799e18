//! The team journal's database: PostgreSQL through tokio-postgres, TLS through rustls. Every
//! value travels as a parameter; the SQL is fixed text, put together from fixed pieces.
//!
//! The tool creates and migrates the schema itself ([`migrations`](super::pg_schema)). It
//! refuses a database whose schema is newer than it knows, and never writes to one.
//!
//! The store's methods are blocking (the journal's interface is): each runs its work on a
//! runtime of its own, on a thread of its own, so it can be called from anywhere, including
//! from inside the CLI's or the console's own runtime.

use std::io;
use std::ops::ControlFlow;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::Mutex;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row};

use super::brief::Brief;
use super::deployment::Deployment;
use super::entry::{Entry, UserKey};
use super::filter::Filter;
use super::pg_schema::{ENTRIES, USERS, check_schema, db_error, refuse_newer};
use super::pg_tls::{RustlsConnect, connector_for};
use super::place::{TeamJournal, TlsMode};
use super::provenance::{Provenance, Seal, Undone};
use super::reads::{Claimed, Lookup, Scanned, UndoClaim};
use super::rows::{EntryRow, brief_of, entry_of, prefix_range};

/// Users written in one statement: a run over 50,000 users goes in a few round trips.
const USERS_AT_ONCE: usize = 5_000;
/// Rows read ahead of the reader while a listing prints.
const ROWS_AHEAD: usize = 256;

/// A parameter of a query.
type Param = Box<dyn ToSql + Send + Sync>;

/// The team journal's database, connected on first use and again after it went away.
pub struct Postgres {
    team: TeamJournal,
    tls: RustlsConnect,
    runtime: Option<tokio::runtime::Runtime>,
    client: Mutex<Option<Client>>,
    /// When connecting last failed, and why: for a little while after, the store answers
    /// that at once rather than waiting for the network again (a listing tries to send what
    /// waits, then reads: one wait, not two).
    down: std::sync::Mutex<Option<(Instant, String)>>,
}

/// How long a failed connection is taken as the answer.
const STILL_DOWN_FOR: Duration = Duration::from_secs(10);

impl Drop for Postgres {
    fn drop(&mut self) {
        // Dropped anywhere, even inside another runtime: nothing waits for its tasks.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Postgres {
    pub fn new(team: TeamJournal) -> io::Result<Postgres> {
        let tls = connector_for(&team)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("geobox-journal-db")
            .enable_all()
            .build()?;
        Ok(Postgres {
            team,
            tls,
            runtime: Some(runtime),
            client: Mutex::new(None),
            down: std::sync::Mutex::new(None),
        })
    }

    pub fn describe(&self) -> String {
        self.team.redacted()
    }

    /// Runs `work` with a connected client (connecting, and checking the schema, first), to
    /// its end, on the store's runtime, from a thread of its own.
    fn with<T: Send>(
        &self,
        work: impl AsyncFnOnce(&mut Client) -> io::Result<T> + Send,
    ) -> io::Result<T> {
        let Some(runtime) = self.runtime.as_ref() else {
            unreachable!("the runtime lives as long as the store");
        };
        std::thread::scope(|scope| {
            let worker = scope.spawn(move || {
                runtime.block_on(async move {
                    let mut slot = self.client.lock().await;
                    if slot.as_ref().is_none_or(Client::is_closed) {
                        *slot = None;
                        if let Some(why) = self.recently_down() {
                            return Err(io::Error::new(io::ErrorKind::NotConnected, why));
                        }
                        let mut client = match self.connect().await {
                            Ok(client) => {
                                *self
                                    .down
                                    .lock()
                                    .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                                client
                            }
                            Err(error) => {
                                self.went_down(&error);
                                return Err(error);
                            }
                        };
                        check_schema(&mut client).await?;
                        *slot = Some(client);
                    }
                    let Some(client) = slot.as_mut() else {
                        unreachable!("connected just above");
                    };
                    let done = work(client).await;
                    if client.is_closed() {
                        *slot = None;
                    }
                    done
                })
            });
            match worker.join() {
                Ok(done) => done,
                Err(panicked) => std::panic::resume_unwind(panicked),
            }
        })
    }

    fn recently_down(&self) -> Option<String> {
        let down = self
            .down
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        down.as_ref()
            .filter(|(since, _)| since.elapsed() < STILL_DOWN_FOR)
            .map(|(_, why)| why.clone())
    }

    fn went_down(&self, error: &io::Error) {
        if error.kind() == io::ErrorKind::NotConnected {
            *self
                .down
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some((Instant::now(), error.to_string()));
        }
    }

    async fn connect(&self) -> io::Result<Client> {
        let mut config = tokio_postgres::Config::new();
        let host = self.team.host();
        if host.starts_with('/') {
            config.host_path(&host);
        } else {
            config.host(&host);
        }
        config
            .port(self.team.port())
            .user(self.team.user())
            .dbname(self.team.database())
            .application_name("geobox-users")
            .connect_timeout(self.team.connect_timeout);
        if let Some(password) = &self.team.password {
            config.password(password.expose());
        }
        let timeout = self.team.connect_timeout;
        let unreachable = |what: String| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                format!("the team journal cannot be reached: {what}"),
            )
        };
        let client = match self.team.tls {
            TlsMode::Disable => {
                config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                let (client, connection) = tokio::time::timeout(timeout, config.connect(NoTls))
                    .await
                    .map_err(|_| unreachable(format!("no answer in {}s", timeout.as_secs())))?
                    .map_err(db_error)?;
                tokio::spawn(connection);
                client
            }
            mode => {
                config.ssl_mode(match mode {
                    TlsMode::Prefer => tokio_postgres::config::SslMode::Prefer,
                    _ => tokio_postgres::config::SslMode::Require,
                });
                let connecting = config.connect(self.tls.clone());
                let (client, connection) = tokio::time::timeout(timeout, connecting)
                    .await
                    .map_err(|_| unreachable(format!("no answer in {}s", timeout.as_secs())))?
                    .map_err(db_error)?;
                tokio::spawn(connection);
                client
            }
        };
        Ok(client)
    }

    /// Keeps an entry (once: an id already there is left as it is); an undo marks the entry it
    /// undid and ends the claim on it, in the same transaction.
    pub fn insert(&self, entry: &Entry) -> io::Result<()> {
        let row = EntryRow::of(entry, None)?;
        let mark = entry
            .undid()
            .map(|(target, undone)| (target.to_string(), undone));
        self.with(async move |client| {
            let tx = client.transaction().await.map_err(db_error)?;
            refuse_newer(&tx).await?;
            let inserted = tx
                .execute(
                    &format!(
                        "INSERT INTO {ENTRIES} (id, at_us, deployment, by_lower, tool, action,
                             undoes, user_count, head, first_change)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                         ON CONFLICT (id) DO NOTHING"
                    ),
                    &[
                        &row.id,
                        &row.at_us,
                        &row.deployment,
                        &row.by_lower,
                        &row.tool,
                        &row.action,
                        &row.undoes,
                        &i32::try_from(row.user_count).unwrap_or(i32::MAX),
                        &row.head,
                        &row.first_change,
                    ],
                )
                .await
                .map_err(db_error)?;
            if inserted == 0 {
                // Sent before (a resend after a lost answer): nothing more to do.
                return tx.commit().await.map_err(db_error);
            }
            for chunk in row.users.chunks(USERS_AT_ONCE) {
                let positions: Vec<i32> = chunk
                    .iter()
                    .map(|user| i32::try_from(user.position).unwrap_or(i32::MAX))
                    .collect();
                let ids: Vec<Option<i64>> = chunk.iter().map(|user| user.user_id).collect();
                let names: Vec<Option<&str>> = chunk
                    .iter()
                    .map(|user| user.username_lower.as_deref())
                    .collect();
                let changes: Vec<&str> = chunk.iter().map(|user| user.change.as_str()).collect();
                tx.execute(
                    &format!(
                        "INSERT INTO {USERS} (entry_id, position, user_id, username_lower, change)
                         SELECT $1, * FROM UNNEST($2::int4[], $3::int8[], $4::text[], $5::text[])"
                    ),
                    &[&row.id, &positions, &ids, &names, &changes],
                )
                .await
                .map_err(db_error)?;
            }
            if let Some(target) = &row.undoes {
                if let Some((_, undone)) = &mark {
                    let earlier: Option<Option<String>> = tx
                        .query_opt(
                            &format!("SELECT undone FROM {ENTRIES} WHERE id = $1 FOR UPDATE"),
                            &[target],
                        )
                        .await
                        .map_err(db_error)?
                        .map(|found| found.get(0));
                    let earlier = earlier
                        .flatten()
                        .and_then(|text| serde_json::from_str::<Undone>(&text).ok());
                    let merged = match earlier {
                        Some(earlier) => undone.clone().and_earlier(&earlier),
                        None => undone.clone(),
                    };
                    let text = serde_json::to_string(&merged).map_err(io::Error::other)?;
                    tx.execute(
                        &format!(
                            "UPDATE {ENTRIES} SET undone = $1, undone_whole = $2 WHERE id = $3"
                        ),
                        &[&text, &merged.whole, target],
                    )
                    .await
                    .map_err(db_error)?;
                }
                tx.execute(
                    &format!(
                        "UPDATE {ENTRIES} SET claim_token = NULL, claim_by = NULL,
                             claim_at_us = NULL WHERE id = $1"
                    ),
                    &[target],
                )
                .await
                .map_err(db_error)?;
            }
            tx.commit().await.map_err(db_error)
        })
    }

    /// Keeps many entries (none an undo) in one transaction, a few thousand rows a statement
    /// (a journal made for a measurement).
    #[cfg(test)]
    pub fn insert_many(&self, entries: &[Entry]) -> io::Result<()> {
        let rows = entries
            .iter()
            .map(|entry| EntryRow::of(entry, None))
            .collect::<io::Result<Vec<_>>>()?;
        self.with(async move |client| {
            let tx = client.transaction().await.map_err(db_error)?;
            for chunk in rows.chunks(USERS_AT_ONCE) {
                let column = |pick: &dyn Fn(&EntryRow) -> Option<String>| -> Vec<Option<String>> {
                    chunk.iter().map(pick).collect()
                };
                let ids = column(&|row| Some(row.id.clone()));
                let at: Vec<i64> = chunk.iter().map(|row| row.at_us).collect();
                let deployments = column(&|row| Some(row.deployment.clone()));
                let by = column(&|row| row.by_lower.clone());
                let tools = column(&|row| Some(row.tool.to_string()));
                let actions = column(&|row| Some(row.action.clone()));
                let counts: Vec<i32> = chunk
                    .iter()
                    .map(|row| i32::try_from(row.user_count).unwrap_or(i32::MAX))
                    .collect();
                let heads = column(&|row| Some(row.head.clone()));
                let firsts = column(&|row| row.first_change.clone());
                tx.execute(
                    &format!(
                        "INSERT INTO {ENTRIES} (id, at_us, deployment, by_lower, tool, action,
                             user_count, head, first_change)
                         SELECT * FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[],
                             $5::text[], $6::text[], $7::int4[], $8::text[], $9::text[])"
                    ),
                    &[
                        &ids,
                        &at,
                        &deployments,
                        &by,
                        &tools,
                        &actions,
                        &counts,
                        &heads,
                        &firsts,
                    ],
                )
                .await
                .map_err(db_error)?;
            }
            let users: Vec<(&str, &super::rows::UserRow)> = rows
                .iter()
                .flat_map(|row| row.users.iter().map(move |user| (row.id.as_str(), user)))
                .collect();
            for chunk in users.chunks(USERS_AT_ONCE) {
                let entry_ids: Vec<&str> = chunk.iter().map(|(id, _)| *id).collect();
                let positions: Vec<i32> = chunk
                    .iter()
                    .map(|(_, user)| i32::try_from(user.position).unwrap_or(i32::MAX))
                    .collect();
                let ids: Vec<Option<i64>> = chunk.iter().map(|(_, user)| user.user_id).collect();
                let names: Vec<Option<&str>> = chunk
                    .iter()
                    .map(|(_, user)| user.username_lower.as_deref())
                    .collect();
                let changes: Vec<&str> =
                    chunk.iter().map(|(_, user)| user.change.as_str()).collect();
                tx.execute(
                    &format!(
                        "INSERT INTO {USERS} (entry_id, position, user_id, username_lower, change)
                         SELECT * FROM UNNEST($1::text[], $2::int4[], $3::int8[], $4::text[],
                             $5::text[])"
                    ),
                    &[&entry_ids, &positions, &ids, &names, &changes],
                )
                .await
                .map_err(db_error)?;
            }
            tx.commit().await.map_err(db_error)
        })
    }

    /// Streams the rows of `sql` to `each` as they come, on this thread, while the database
    /// is read on the store's.
    fn stream(
        &self,
        sql: String,
        params: Vec<Param>,
        each: &mut dyn FnMut(Row) -> ControlFlow<()>,
    ) -> io::Result<()> {
        let (sender, rows) = mpsc::sync_channel::<Row>(ROWS_AHEAD);
        std::thread::scope(|scope| {
            let producer = scope.spawn(move || {
                self.with(async move |client| {
                    let borrowed = params
                        .iter()
                        .map(|param| param.as_ref() as &(dyn ToSql + Sync));
                    let stream = client.query_raw(&sql, borrowed).await.map_err(db_error)?;
                    let mut stream = std::pin::pin!(stream);
                    while let Some(row) = stream.next().await {
                        if sender.send(row.map_err(db_error)?).is_err() {
                            // The reader has what it wanted.
                            break;
                        }
                    }
                    Ok(())
                })
            });
            for row in rows {
                if each(row).is_break() {
                    break;
                }
            }
            match producer.join() {
                Ok(done) => done,
                Err(panicked) => std::panic::resume_unwind(panicked),
            }
        })
    }

    pub fn scan_briefs(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(Brief) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        let (sql, params) = select(filter, None);
        let provenance = self.provenance();
        let mut scanned = Scanned::default();
        self.stream(sql, params, &mut |row| {
            let head: String = row.get(1);
            let first: Option<String> = row.get(2);
            let count: i32 = row.get(3);
            let undone: Option<String> = row.get(4);
            match brief_of(&head, first.as_deref(), i64::from(count)) {
                Ok(mut brief) => {
                    brief.undone = undone.and_then(|text| serde_json::from_str(&text).ok());
                    brief.read_from = Some(provenance.clone());
                    each(brief)
                }
                Err(_) => {
                    scanned.skipped += 1;
                    ControlFlow::Continue(())
                }
            }
        })?;
        Ok(scanned)
    }

    pub fn scan_entries(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(Entry) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        let (inner, params) = select(filter, None);
        self.stream_whole(inner, params, each)
    }

    /// Whole entries: the entries `inner` selects, each with its users, one row a user.
    fn stream_whole(
        &self,
        inner: String,
        params: Vec<Param>,
        each: &mut dyn FnMut(Entry) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        let sql = format!(
            "SELECT e.seq, e.head, e.undone, u.change FROM ({inner}) e
             LEFT JOIN {USERS} u ON u.entry_id = e.id
             ORDER BY e.at_us DESC, e.seq DESC, u.position"
        );
        let provenance = self.provenance();
        let mut scanned = Scanned::default();
        let mut current: Option<(i64, String, Option<String>, Vec<String>)> = None;
        let mut stopped = false;
        let mut hand_over = |whole: (i64, String, Option<String>, Vec<String>),
                             scanned: &mut Scanned|
         -> ControlFlow<()> {
            let (_, head, undone, changes) = whole;
            match entry_of(&head, changes.iter().map(String::as_str)) {
                Ok(mut entry) => {
                    entry.undone = undone.and_then(|text| serde_json::from_str(&text).ok());
                    entry.read_from = Some(provenance.clone());
                    each(entry)
                }
                Err(_) => {
                    scanned.skipped += 1;
                    ControlFlow::Continue(())
                }
            }
        };
        self.stream(sql, params, &mut |row| {
            let seq: i64 = row.get(0);
            let change: Option<String> = row.get(3);
            if current.as_ref().is_some_and(|(at, ..)| *at != seq)
                && let Some(whole) = current.take()
                && hand_over(whole, &mut scanned).is_break()
            {
                stopped = true;
                return ControlFlow::Break(());
            }
            let entry = current.get_or_insert_with(|| (seq, row.get(1), row.get(2), Vec::new()));
            entry.3.extend(change);
            ControlFlow::Continue(())
        })?;
        if !stopped && let Some(whole) = current.take() {
            let _ = hand_over(whole, &mut scanned);
        }
        Ok(scanned)
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            store: format!("the team journal ({})", self.describe()),
            seal: Seal::TeamDatabase,
        }
    }

    pub fn find(&self, id: &str) -> io::Result<Lookup> {
        let wanted = id.trim().to_string();
        let (sql, params): (String, Vec<Param>) = match prefix_range(&wanted) {
            Some((from, to)) => (
                format!("SELECT id FROM {ENTRIES} WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 10"),
                vec![Box::new(from), Box::new(to)],
            ),
            None => (
                format!("SELECT id FROM {ENTRIES} WHERE id = $1"),
                vec![Box::new(wanted.clone())],
            ),
        };
        let mut ids: Vec<String> = Vec::new();
        self.stream(sql, params, &mut |row| {
            ids.push(row.get(0));
            ControlFlow::Continue(())
        })?;
        let chosen = if ids.contains(&wanted) {
            wanted
        } else {
            match ids.as_slice() {
                [] => return Ok(Lookup::Missing),
                [only] => only.clone(),
                _ => return Ok(Lookup::Ambiguous(ids)),
            }
        };
        let mut found = None;
        self.stream_whole(
            format!("SELECT seq, id, at_us, head, undone FROM {ENTRIES} WHERE id = $1"),
            vec![Box::new(chosen)],
            &mut |entry| {
                found = Some(entry);
                ControlFlow::Break(())
            },
        )?;
        Ok(found.map_or(Lookup::Missing, |entry| Lookup::Found(Box::new(entry))))
    }

    pub fn claim_undo(&self, id: &str, claim: &UndoClaim) -> io::Result<Claimed> {
        let (id, claim) = (id.to_string(), claim.clone());
        self.with(async move |client| {
            let tx = client.transaction().await.map_err(db_error)?;
            refuse_newer(&tx).await?;
            let claimed = tx
                .execute(
                    &format!(
                        "UPDATE {ENTRIES} SET claim_token = $1, claim_by = $2, claim_at_us = $3
                         WHERE id = $4 AND NOT undone_whole
                           AND (claim_token IS NULL OR claim_token = $1 OR claim_at_us < $5)"
                    ),
                    &[
                        &claim.token,
                        &claim.by,
                        &claim.time.timestamp_micros(),
                        &id,
                        &claim.lapsed_before().timestamp_micros(),
                    ],
                )
                .await
                .map_err(db_error)?;
            let answer = if claimed == 1 {
                Claimed::Yours
            } else {
                let found = tx
                    .query_opt(
                        &format!(
                            "SELECT undone, undone_whole, claim_by, claim_at_us FROM {ENTRIES}
                             WHERE id = $1"
                        ),
                        &[&id],
                    )
                    .await
                    .map_err(db_error)?;
                match found {
                    None => Claimed::Missing,
                    Some(row) if row.get::<_, bool>(1) => {
                        match row
                            .get::<_, Option<String>>(0)
                            .and_then(|text| serde_json::from_str::<Undone>(&text).ok())
                        {
                            Some(undone) => Claimed::AlreadyUndone(undone),
                            None => Claimed::Missing,
                        }
                    }
                    Some(row) => Claimed::Busy {
                        by: row
                            .get::<_, Option<String>>(2)
                            .unwrap_or_else(|| "someone".to_string()),
                        since: chrono::DateTime::from_timestamp_micros(
                            row.get::<_, Option<i64>>(3).unwrap_or_default(),
                        )
                        .unwrap_or_default(),
                    },
                }
            };
            tx.commit().await.map_err(db_error)?;
            Ok(answer)
        })
    }

    pub fn release_undo(&self, id: &str, claim: &UndoClaim) -> io::Result<()> {
        let (id, token) = (id.to_string(), claim.token.clone());
        self.with(async move |client| {
            client
                .execute(
                    &format!(
                        "UPDATE {ENTRIES} SET claim_token = NULL, claim_by = NULL,
                             claim_at_us = NULL WHERE id = $1 AND claim_token = $2"
                    ),
                    &[&id, &token],
                )
                .await
                .map_err(db_error)?;
            Ok(())
        })
    }
}

/// The query for a filter, of fixed pieces; every value the filter holds is a parameter.
fn select(filter: &Filter, extra: Option<&str>) -> (String, Vec<Param>) {
    let mut sql = format!(
        "SELECT seq, head, first_change, user_count, undone, id, at_us FROM {ENTRIES} WHERE TRUE"
    );
    let mut params: Vec<Param> = Vec::new();
    let mut bind = |sql: &mut String, piece: &str, param: Param| {
        params.push(param);
        sql.push_str(&piece.replace('?', &format!("${}", params.len())));
    };
    if let Some(deployment) = &filter.deployment {
        bind(
            &mut sql,
            " AND deployment = ?",
            Box::new(deployment.key().to_string()),
        );
    }
    if let Some(since) = filter.since {
        bind(
            &mut sql,
            " AND at_us >= ?",
            Box::new(since.timestamp_micros()),
        );
    }
    if let Some(by) = &filter.by {
        bind(
            &mut sql,
            " AND by_lower = ?",
            Box::new(by.trim().to_lowercase()),
        );
    }
    match &filter.user {
        Some(UserKey::Id(id)) => bind(
            &mut sql,
            &format!(" AND id IN (SELECT entry_id FROM {USERS} WHERE user_id = ?)"),
            Box::new(*id),
        ),
        Some(UserKey::Username(name)) => bind(
            &mut sql,
            &format!(" AND id IN (SELECT entry_id FROM {USERS} WHERE username_lower = ?)"),
            Box::new(name.to_lowercase()),
        ),
        None => {}
    }
    if let Some(extra) = extra {
        sql.push_str(extra);
    }
    sql.push_str(" ORDER BY at_us DESC, seq DESC");
    if let Some(limit) = filter.limit {
        bind(
            &mut sql,
            " LIMIT ?",
            Box::new(i64::try_from(limit).unwrap_or(i64::MAX)),
        );
    }
    (sql, params)
}

/// Entries of the demo stay on the machine whose demo it is: each admin's demo is their own.
pub(super) fn is_shared(entry: &Entry) -> bool {
    entry.deployment.as_ref() != Some(&Deployment::Demo)
}
