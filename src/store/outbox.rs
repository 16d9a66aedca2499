//! The outbox table: one row per email, written in the transaction of the change that
//! causes it, claimed by a daemon's mail worker under a lease, and settled as `crate::outbox`
//! decides. A daemon that dies mid-send loses its lease and another (or the restarted one)
//! takes the row over.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use super::tx::WriteTx;
use super::{Backend, Store, StoreError, parse_time};
use crate::note::NoteId;
use crate::outbox::{ClaimedMail, DeliveryStatus, Next, QueuedMail};

/// One recipient of a note's distribution (`GET /api/notes/{id}/deliveries`).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub recipient: String,
    pub list: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

/// A statement with its parameters, on either backend.
type Query<'q> = sqlx::query::Query<'q, Any, <Any as sqlx::Database>::Arguments>;

trait BindOpen {
    /// Binds [`DeliveryStatus::OPEN`], so that which statuses are open is the domain's rule,
    /// not a list spelled out in each statement.
    fn bind_open(self) -> Self;
}

impl BindOpen for Query<'_> {
    fn bind_open(self) -> Self {
        DeliveryStatus::OPEN
            .iter()
            .fold(self, |query, status| query.bind(status.as_str()))
    }
}

/// Rows per multi-row statement: at most 800 parameters, well under SQLite's and
/// PostgreSQL's limits.
const ROWS_PER_STATEMENT: usize = 100;

/// The placeholders `$first`, `$first+1`, … of `count` parameters, for statements whose
/// length depends on how many rows they carry.
fn placeholders(first: usize, count: usize) -> Vec<String> {
    (first..first + count).map(|n| format!("${n}")).collect()
}

// A try is counted when its outcome is recorded, not when its row is claimed: a daemon
// that dies holding rows it never tried leaves their count as it was.
const CLAIM_SQLITE: &str = "UPDATE outbox SET claimed_by = $1, next_attempt_ms = $2 \
     WHERE id IN (SELECT id FROM outbox \
     WHERE status IN ($5, $6) AND next_attempt_ms <= $3 \
     ORDER BY next_attempt_ms, id LIMIT $4) \
     RETURNING id, note_id, kind, status, recipient, recipient_name, list, context, secret, \
     attempts + 1 AS attempts, created_ms";

/// The same on PostgreSQL, where several daemons claim at once: `SKIP LOCKED` lets each
/// take rows the others are not taking instead of queueing behind them.
const CLAIM_POSTGRES: &str = "UPDATE outbox SET claimed_by = $1, next_attempt_ms = $2 \
     WHERE id IN (SELECT id FROM outbox \
     WHERE status IN ($5, $6) AND next_attempt_ms <= $3 \
     ORDER BY next_attempt_ms, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, note_id, kind, status, recipient, recipient_name, list, context, secret, \
     attempts + 1 AS attempts, created_ms";

impl Store {
    /// Claims up to `limit` due rows for `worker` until `lease_end`.
    pub async fn claim_mail(
        &self,
        worker: &str,
        now: Timestamp,
        lease_end: Timestamp,
        limit: i64,
    ) -> Result<Vec<ClaimedMail>, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => CLAIM_SQLITE,
            Backend::Postgres => CLAIM_POSTGRES,
        };
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(sql)
            .bind(worker)
            .bind(lease_end.as_millisecond())
            .bind(now.as_millisecond())
            .bind(limit)
            .bind_open()
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut rows = rows.iter().map(claimed).collect::<Result<Vec<_>, _>>()?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Extends the lease on every row `worker` still holds.
    pub async fn renew_leases(&self, worker: &str, lease_end: Timestamp) -> Result<(), StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => "UPDATE outbox SET next_attempt_ms = $1 WHERE claimed_by = $2",
            // Rows being recorded at this moment are skipped (they are being released):
            // two multi-row updates locking in different orders could deadlock.
            Backend::Postgres => {
                "UPDATE outbox SET next_attempt_ms = $1 WHERE id IN (SELECT id FROM outbox \
                 WHERE claimed_by = $2 FOR UPDATE SKIP LOCKED)"
            }
        };
        sqlx::query(sql)
            .bind(lease_end.as_millisecond())
            .bind(worker)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Gives back the rows `worker` claimed but did not start (a clean stop), due at once,
    /// so that no one waits out the lease for them.
    pub async fn release_claims(&self, worker: &str, now: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET claimed_by = NULL, next_attempt_ms = $1 \
             WHERE claimed_by = $2 AND status IN ($3, $4)",
        )
        .bind(now.as_millisecond())
        .bind(worker)
        .bind_open()
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected())
    }

    /// The distribution of a note, in the order it was queued.
    pub async fn deliveries(&self, note: NoteId) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT recipient, list, status, attempts, last_error, sent_at FROM outbox \
             WHERE note_id = $1 AND kind = 'delivery' ORDER BY id",
        )
        .bind(note)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    recipient: r.try_get("recipient")?,
                    list: r.try_get("list")?,
                    status: status_of(r)?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    sent_at: r
                        .try_get::<Option<String>, _>("sent_at")?
                        .as_deref()
                        .map(parse_time)
                        .transpose()?,
                })
            })
            .collect()
    }

    /// How many rows of each status the outbox holds, for monitoring.
    pub async fn count_mail_by_status(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status ORDER BY status")
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }
}

impl WriteTx {
    pub async fn enqueue(&mut self, mail: &QueuedMail) -> Result<(), StoreError> {
        self.enqueue_all(std::slice::from_ref(mail)).await
    }

    /// Queues many emails with one statement per [`ROWS_PER_STATEMENT`] rows: a distribution's
    /// hundreds of rows cost a few statements, not one each.
    pub async fn enqueue_all(&mut self, mails: &[QueuedMail]) -> Result<(), StoreError> {
        for chunk in mails.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO outbox (note_id, kind, recipient, recipient_name, list, context, \
                 secret, status, created_ms, next_attempt_ms) VALUES ",
            );
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = placeholders(i * 8 + 1, 8);
                    format!(
                        "({}, 'queued', {now}, {now})",
                        p[..7].join(", "),
                        now = p[7]
                    )
                })
                .collect();
            sql.push_str(&rows.join(", "));
            // Audited: the statement is fixed text and numbered placeholders; every value
            // is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for mail in chunk {
                query = query
                    .bind(mail.note_id)
                    .bind(mail.kind.as_str())
                    .bind(mail.recipient.clone())
                    .bind(mail.recipient_name.clone())
                    .bind(mail.list.clone())
                    .bind(mail.context.to_string())
                    .bind(mail.secret.clone())
                    .bind(mail.now.as_millisecond());
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Writes what `outbox::next` decided for each attempt and releases the rows. A row
    /// already marked sent (by a daemon that took it over after this one's lease ran out)
    /// stays sent: the statements apply `Next::Unchanged` to rows that became sent since
    /// they were claimed. The sent rows, nearly all of them, take one statement per
    /// [`ROWS_PER_STATEMENT`]: each statement is a round trip to the database, and the
    /// worker's permits wait for the commit.
    pub async fn settle_mails(&mut self, settled: &[(i64, &Next)]) -> Result<(), StoreError> {
        let sent: Vec<(i64, &Timestamp)> = settled
            .iter()
            .filter_map(|(id, next)| match next {
                Next::Sent { at } => Some((*id, at)),
                _ => None,
            })
            .collect();
        for chunk in sent.chunks(ROWS_PER_STATEMENT) {
            // Parameters in pairs: a row's id, then its time.
            let p = placeholders(1, 2 * chunk.len());
            let cases: String = p
                .chunks(2)
                .map(|pair| format!(" WHEN {} THEN {}", pair[0], pair[1]))
                .collect();
            let ids: Vec<&str> = p.iter().step_by(2).map(String::as_str).collect();
            let sql = format!(
                "UPDATE outbox SET status = 'sent', sent_at = CASE id{cases} END, secret = NULL, \
                 claimed_by = NULL, last_error = NULL, attempts = attempts + 1 \
                 WHERE id IN ({})",
                ids.join(", ")
            );
            // Audited: fixed text and numbered placeholders; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, at) in chunk {
                query = query.bind(*id).bind(at.to_string());
            }
            query.execute(&mut *self.tx).await?;
        }
        for (id, next) in settled {
            let query = match next {
                Next::Sent { .. } | Next::Unchanged => continue,
                Next::Deferred { until, error } => sqlx::query(
                    "UPDATE outbox SET status = 'deferred', next_attempt_ms = $1, \
                     last_error = $2, claimed_by = NULL, attempts = attempts + 1 \
                     WHERE id = $3 AND status <> 'sent'",
                )
                .bind(until.as_millisecond())
                .bind(error.clone()),
                Next::Failed { error } => sqlx::query(
                    "UPDATE outbox SET status = 'failed', last_error = $1, secret = NULL, \
                     claimed_by = NULL, attempts = attempts + 1 WHERE id = $2 AND status <> 'sent'",
                )
                .bind(error.clone()),
            };
            query.bind(*id).execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Whether some delivery of a note is still to be sent or tried again.
    pub async fn deliveries_open(&mut self, note: NoteId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM outbox WHERE note_id = $1 AND kind = 'delivery' \
             AND status IN ($2, $3) LIMIT 1",
        )
        .bind(note)
        .bind_open()
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.is_some())
    }

    /// Sent and failed deliveries of a note.
    pub async fn delivery_tally(&mut self, note: NoteId) -> Result<Tally, StoreError> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM outbox WHERE note_id = $1 AND kind = 'delivery' \
             GROUP BY status",
        )
        .bind(note)
        .fetch_all(&mut *self.tx)
        .await?;
        let mut tally = Tally::default();
        for row in &rows {
            let n: i64 = row.try_get("n")?;
            match status_of(row)? {
                DeliveryStatus::Sent => tally.sent += n,
                DeliveryStatus::Failed => tally.failed += n,
                DeliveryStatus::Queued | DeliveryStatus::Deferred => {}
            }
        }
        Ok(tally)
    }

    /// Puts a failed delivery back in the queue; `false` if there was none to re-queue.
    pub async fn requeue_delivery(
        &mut self,
        note: NoteId,
        recipient: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET status = 'queued', next_attempt_ms = $1, created_ms = $1 \
             WHERE note_id = $2 AND kind = 'delivery' AND recipient = $3 AND status = 'failed'",
        )
        .bind(now.as_millisecond())
        .bind(note)
        .bind(recipient)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Where a note's distribution stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub sent: i64,
    pub failed: i64,
}

fn status_of(row: &AnyRow) -> Result<DeliveryStatus, StoreError> {
    row.try_get::<String, _>("status")?
        .parse()
        .map_err(|detail| StoreError::Corrupt {
            what: "delivery status",
            detail,
        })
}

fn claimed(row: &AnyRow) -> Result<ClaimedMail, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "outbox row",
        detail,
    };
    let created: i64 = row.try_get("created_ms")?;
    Ok(ClaimedMail {
        id: row.try_get("id")?,
        note_id: row.try_get("note_id")?,
        kind: row.try_get::<String, _>("kind")?.parse().map_err(corrupt)?,
        status: status_of(row)?,
        recipient: row.try_get("recipient")?,
        recipient_name: row.try_get("recipient_name")?,
        list: row.try_get("list")?,
        context: serde_json::from_str(&row.try_get::<String, _>("context")?)
            .map_err(|e| corrupt(e.to_string()))?,
        secret: row.try_get("secret")?,
        attempts: row.try_get("attempts")?,
        created: Timestamp::from_millisecond(created).map_err(|e| corrupt(e.to_string()))?,
    })
}
