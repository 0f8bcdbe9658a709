//! Broadcasts (issue 16, docs/broadcasts.md): a template sent to a segment of contacts.
//! A broadcast is a row; sending it writes one waiting row per recipient
//! (`broadcast_queue`, due at the recipient's moment); [`BroadcastStore::release_broadcasts`]
//! moves due rows into the outbox a tier's worth at a time, each under the idempotency
//! key [`key`] (unique in the outbox: a contact gets a broadcast at most once). Waiting
//! rows stay out of the outbox so they hold up none of the contact's other messages.

use crate::types::{AuditEntry, ContactRow};
use crate::{Millis, StoreFuture, StoreResult};

/// A broadcast as stored: its request (`spec`, JSON the server reads) and its state.
#[derive(Clone, Debug, PartialEq)]
pub struct BroadcastRow {
    pub id: i64,
    pub author: String,
    pub spec: String,
    /// `draft`, `sending` (scheduled or under way) or `cancelled`.
    pub state: String,
    /// JSON the server wrote when it was sent: who was left out and why.
    pub summary: String,
    pub created_at: Millis,
    pub sent_at: Option<Millis>,
}

/// One recipient's message, due at `due`.
#[derive(Clone, Debug, PartialEq)]
pub struct BroadcastMessage {
    pub contact: String,
    /// The outbox body (the message as JSON).
    pub body: String,
    pub due: Millis,
}

/// What became of one recipient: `waiting` (not yet in the outbox), or the outbox row's
/// state (`queued`, `sending`, `sent`, `dead`), its delivery status and last error.
#[derive(Clone, Debug, PartialEq)]
pub struct BroadcastSend {
    pub contact: String,
    pub state: String,
    pub delivery: Option<String>,
    pub error: Option<String>,
}

/// A contact as a segment sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct AudienceMember {
    pub row: ContactRow,
    pub labels: Vec<String>,
}

/// The outbox idempotency key of broadcast `id`'s message to `contact`.
pub fn key(id: i64, contact: &str) -> String {
    format!("broadcast:{id}:{contact}")
}

/// The range of keys of broadcast `id` (`;` follows `:` in bytes), for SQLite's
/// index range scans.
fn key_range(id: i64) -> (String, String) {
    (format!("broadcast:{id}:"), format!("broadcast:{id};"))
}

/// Every broadcast key lies in this range.
const ALL_KEYS: (&str, &str) = ("broadcast:", "broadcast;");

/// The broadcasts' part of the store; every method is one transaction.
pub trait BroadcastStore {
    /// Saves a draft with its audit row; returns its id.
    fn create_broadcast(
        &self,
        author: String,
        spec: String,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, i64>;

    /// One broadcast (`Some(id)`) or all, newest first.
    fn broadcasts(&self, id: Option<i64>) -> StoreFuture<'_, Vec<BroadcastRow>>;

    /// Every contact with their labels.
    fn audience(&self) -> StoreFuture<'_, Vec<AudienceMember>>;

    /// Turns a draft into a sending broadcast with its recipients' messages; `false`
    /// (nothing written) when it is not a draft any more.
    fn send_broadcast(
        &self,
        id: i64,
        summary: String,
        messages: Vec<BroadcastMessage>,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, bool>;

    /// Cancels a draft or a sending broadcast: its waiting rows and its outbox rows not
    /// yet claimed are dropped. Returns how many were dropped; `None` when it was
    /// neither a draft nor sending.
    fn cancel_broadcast(
        &self,
        id: i64,
        audit: AuditEntry,
        now: Millis,
    ) -> StoreFuture<'_, Option<u64>>;

    /// Moves waiting rows due at `now` into the outbox, earliest first, as many as
    /// `room` less the broadcast rows already in the outbox unsent (the messaging
    /// tier's room, so that the outbox never holds more than it can send); returns how
    /// many moved.
    fn release_broadcasts(&self, now: Millis, room: u64) -> StoreFuture<'_, u64>;

    /// Whether any waiting row is due at `now`: a read, so that an idle server's
    /// pacing tick neither reads the tier's reach nor takes the writer.
    fn broadcasts_due(&self, now: Millis) -> StoreFuture<'_, bool>;

    /// Each recipient of broadcast `id` and what became of their message.
    fn broadcast_sends(&self, id: i64) -> StoreFuture<'_, Vec<BroadcastSend>>;
}

fn group_labels(rows: Vec<ContactRow>, labels: Vec<(String, String)>) -> Vec<AudienceMember> {
    let mut by_contact: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for (contact, label) in labels {
        by_contact.entry(contact).or_default().push(label);
    }
    rows.into_iter()
        .map(|row| AudienceMember {
            labels: by_contact.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect()
}

// ------------------------------------------------------------------------ SQLite

mod sqlite {
    use rusqlite::{Connection, OptionalExtension, params};

    use super::*;
    use crate::sqlite::{CONTACT_COLUMNS, SqliteStore, contact_row, insert_audit};

    fn broadcast_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BroadcastRow> {
        Ok(BroadcastRow {
            id: r.get(0)?,
            author: r.get(1)?,
            spec: r.get(2)?,
            state: r.get(3)?,
            summary: r.get(4)?,
            created_at: r.get(5)?,
            sent_at: r.get(6)?,
        })
    }

    fn state(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
        conn.prepare_cached("SELECT state FROM broadcasts WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()
    }

    impl BroadcastStore for SqliteStore {
        fn create_broadcast(
            &self,
            author: String,
            spec: String,
            audit: AuditEntry,
            now: Millis,
        ) -> StoreFuture<'_, i64> {
            Box::pin(self.write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO broadcasts (author, spec, state, summary, created_at) \
                     VALUES (?1, ?2, 'draft', '{}', ?3)",
                )?
                .execute(params![author, spec, now])?;
                let id = conn.last_insert_rowid();
                let audit = AuditEntry {
                    subject: Some(format!("broadcast {id}")),
                    ..audit
                };
                insert_audit(conn, &audit, now)?;
                Ok(id)
            }))
        }

        fn broadcasts(&self, id: Option<i64>) -> StoreFuture<'_, Vec<BroadcastRow>> {
            let result = self.read(|conn| {
                conn.prepare_cached(
                    "SELECT id, author, spec, state, summary, created_at, sent_at \
                     FROM broadcasts WHERE ?1 IS NULL OR id = ?1 ORDER BY id DESC",
                )?
                .query_map([id], broadcast_row)?
                .collect()
            });
            Box::pin(async move { result })
        }

        fn broadcasts_due(&self, now: Millis) -> StoreFuture<'_, bool> {
            let result = self.read(|conn| {
                conn.prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM broadcast_queue WHERE due <= ?1)",
                )?
                .query_row([now], |r| r.get(0))
            });
            Box::pin(async move { result })
        }

        fn audience(&self) -> StoreFuture<'_, Vec<AudienceMember>> {
            let result = self.read(|conn| {
                let rows = conn
                    .prepare_cached(&format!(
                        "SELECT {CONTACT_COLUMNS} FROM contacts ORDER BY id"
                    ))?
                    .query_map([], contact_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let labels = conn
                    .prepare_cached("SELECT contact, label FROM labels ORDER BY rowid")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(group_labels(rows, labels))
            });
            Box::pin(async move { result })
        }

        fn send_broadcast(
            &self,
            id: i64,
            summary: String,
            messages: Vec<BroadcastMessage>,
            audit: AuditEntry,
            now: Millis,
        ) -> StoreFuture<'_, bool> {
            Box::pin(self.write(move |conn| {
                if state(conn, id)?.as_deref() != Some("draft") {
                    return Ok(false);
                }
                conn.prepare_cached(
                    "UPDATE broadcasts SET state = 'sending', summary = ?2, sent_at = ?3 \
                     WHERE id = ?1",
                )?
                .execute(params![id, summary, now])?;
                for m in &messages {
                    conn.prepare_cached(
                        "INSERT INTO broadcast_queue (broadcast, contact, body, due) \
                         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![id, m.contact, m.body, m.due])?;
                }
                insert_audit(conn, &audit, now)?;
                Ok(true)
            }))
        }

        fn cancel_broadcast(
            &self,
            id: i64,
            audit: AuditEntry,
            now: Millis,
        ) -> StoreFuture<'_, Option<u64>> {
            Box::pin(self.write(move |conn| {
                if !matches!(state(conn, id)?.as_deref(), Some("draft" | "sending")) {
                    return Ok(None);
                }
                let (low, high) = key_range(id);
                let waiting = conn
                    .prepare_cached("DELETE FROM broadcast_queue WHERE broadcast = ?1")?
                    .execute([id])?;
                let queued = conn
                    .prepare_cached(
                        "DELETE FROM outbox WHERE idem_key >= ?1 AND idem_key < ?2 \
                         AND state = 'queued'",
                    )?
                    .execute(params![low, high])?;
                conn.prepare_cached("UPDATE broadcasts SET state = 'cancelled' WHERE id = ?1")?
                    .execute([id])?;
                let dropped = (waiting + queued) as u64;
                let audit = AuditEntry {
                    detail: format!("{dropped} unsent message(s) dropped"),
                    ..audit
                };
                insert_audit(conn, &audit, now)?;
                Ok(Some(dropped))
            }))
        }

        fn release_broadcasts(&self, now: Millis, room: u64) -> StoreFuture<'_, u64> {
            Box::pin(self.write(move |conn| {
                let pending: i64 = conn
                    .prepare_cached(
                        "SELECT COUNT(*) FROM outbox WHERE idem_key >= ?1 AND idem_key < ?2 \
                         AND state IN ('queued', 'sending')",
                    )?
                    .query_row(params![ALL_KEYS.0, ALL_KEYS.1], |r| r.get(0))?;
                let free = room.saturating_sub(pending.max(0) as u64);
                let due: Vec<(i64, String, String, Millis)> = conn
                    .prepare_cached(
                        "SELECT broadcast, contact, body, due FROM broadcast_queue \
                         WHERE due <= ?1 ORDER BY due, broadcast, contact LIMIT ?2",
                    )?
                    .query_map(params![now, free.min(i64::MAX as u64) as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                for (id, contact, body, due) in &due {
                    conn.prepare_cached(
                        "INSERT INTO outbox (contact, idem_key, kind, body, by_contact, state, \
                            next_attempt_at, created_at, origin) \
                         VALUES (?1, ?2, 'message', ?3, 0, 'queued', ?4, ?5, 'broadcast') \
                         ON CONFLICT (idem_key) DO NOTHING",
                    )?
                    .execute(params![
                        contact,
                        key(*id, contact),
                        body,
                        due.max(&now),
                        now
                    ])?;
                    conn.prepare_cached(
                        "DELETE FROM broadcast_queue WHERE broadcast = ?1 AND contact = ?2",
                    )?
                    .execute(params![id, contact])?;
                }
                Ok(due.len() as u64)
            }))
        }

        fn broadcast_sends(&self, id: i64) -> StoreFuture<'_, Vec<BroadcastSend>> {
            let (low, high) = key_range(id);
            let result = self.read(|conn| {
                conn.prepare_cached(
                    "SELECT contact, 'waiting', NULL, NULL FROM broadcast_queue \
                     WHERE broadcast = ?1 \
                     UNION ALL \
                     SELECT contact, state, delivery, last_error FROM outbox \
                     WHERE idem_key >= ?2 AND idem_key < ?3",
                )?
                .query_map(params![id, low, high], |r| {
                    Ok(BroadcastSend {
                        contact: r.get(0)?,
                        state: r.get(1)?,
                        delivery: r.get(2)?,
                        error: r.get(3)?,
                    })
                })?
                .collect()
            });
            Box::pin(async move { result })
        }
    }
}

// -------------------------------------------------------------------- PostgreSQL

mod postgres {
    use super::*;
    use crate::postgres::{
        CONTACT_COLUMNS, PgStore, contact_row, exec, insert_audit, maybe, one, rows,
    };

    /// The LIKE pattern of broadcast `id`'s keys: PostgreSQL's collation may order
    /// punctuation unlike bytes, so no range scan here.
    fn pattern(id: i64) -> String {
        format!("broadcast:{id}:%")
    }

    fn broadcast_row(r: &tokio_postgres::Row) -> BroadcastRow {
        BroadcastRow {
            id: r.get(0),
            author: r.get(1),
            spec: r.get(2),
            state: r.get(3),
            summary: r.get(4),
            created_at: r.get(5),
            sent_at: r.get(6),
        }
    }

    /// The broadcast's state, its row locked for the transaction.
    async fn state(
        tx: &deadpool_postgres::Transaction<'_>,
        id: i64,
    ) -> StoreResult<Option<String>> {
        Ok(maybe(
            tx,
            "SELECT state FROM broadcasts WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?
        .map(|r| r.get(0)))
    }

    impl BroadcastStore for PgStore {
        fn create_broadcast(
            &self,
            author: String,
            spec: String,
            audit: AuditEntry,
            now: Millis,
        ) -> StoreFuture<'_, i64> {
            Box::pin(self.transaction(async move |tx| {
                let id: i64 = one(
                    tx,
                    "INSERT INTO broadcasts (author, spec, state, summary, created_at) \
                     VALUES ($1, $2, 'draft', '{}', $3) RETURNING id",
                    &[&author, &spec, &now],
                )
                .await?
                .get(0);
                let audit = AuditEntry {
                    subject: Some(format!("broadcast {id}")),
                    ..audit
                };
                insert_audit(tx, &audit, now).await?;
                Ok(id)
            }))
        }

        fn broadcasts(&self, id: Option<i64>) -> StoreFuture<'_, Vec<BroadcastRow>> {
            Box::pin(async move {
                Ok(self
                    .query(
                        "SELECT id, author, spec, state, summary, created_at, sent_at \
                         FROM broadcasts WHERE $1::BIGINT IS NULL OR id = $1 ORDER BY id DESC",
                        &[&id],
                    )
                    .await?
                    .iter()
                    .map(broadcast_row)
                    .collect())
            })
        }

        fn broadcasts_due(&self, now: Millis) -> StoreFuture<'_, bool> {
            Box::pin(async move {
                Ok(self
                    .query(
                        "SELECT EXISTS (SELECT 1 FROM broadcast_queue WHERE due <= $1)",
                        &[&now],
                    )
                    .await?[0]
                    .get(0))
            })
        }

        fn audience(&self) -> StoreFuture<'_, Vec<AudienceMember>> {
            Box::pin(async move {
                let contacts = self
                    .query(
                        &format!("SELECT {CONTACT_COLUMNS} FROM contacts ORDER BY id"),
                        &[],
                    )
                    .await?
                    .iter()
                    .map(contact_row)
                    .collect();
                let labels = self
                    .query("SELECT contact, label FROM labels ORDER BY id", &[])
                    .await?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                Ok(group_labels(contacts, labels))
            })
        }

        fn send_broadcast(
            &self,
            id: i64,
            summary: String,
            messages: Vec<BroadcastMessage>,
            audit: AuditEntry,
            now: Millis,
        ) -> StoreFuture<'_, bool> {
            Box::pin(self.transaction(async move |tx| {
                if state(tx, id).await?.as_deref() != Some("draft") {
                    return Ok(false);
                }
                exec(
                    tx,
                    "UPDATE broadcasts SET state = 'sending', summary = $2, sent_at = $3 \
                     WHERE id = $1",
                    &[&id, &summary, &now],
                )
                .await?;
                for m in &messages {
                    exec(
                        tx,
                        "INSERT INTO broadcast_queue (broadcast, contact, body, due) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        &[&id, &m.contact, &m.body, &m.due],
                    )
                    .await?;
                }
                insert_audit(tx, &audit, now).await?;
                Ok(true)
            }))
        }

        fn cancel_broadcast(
            &self,
            id: i64,
            audit: AuditEntry,
            now: Millis,
        ) -> StoreFuture<'_, Option<u64>> {
            Box::pin(self.transaction(async move |tx| {
                if !matches!(state(tx, id).await?.as_deref(), Some("draft" | "sending")) {
                    return Ok(None);
                }
                let waiting = exec(
                    tx,
                    "DELETE FROM broadcast_queue WHERE broadcast = $1",
                    &[&id],
                )
                .await?;
                let queued = exec(
                    tx,
                    "DELETE FROM outbox WHERE idem_key LIKE $1 AND state = 'queued'",
                    &[&pattern(id)],
                )
                .await?;
                exec(
                    tx,
                    "UPDATE broadcasts SET state = 'cancelled' WHERE id = $1",
                    &[&id],
                )
                .await?;
                let dropped = waiting + queued;
                let audit = AuditEntry {
                    detail: format!("{dropped} unsent message(s) dropped"),
                    ..audit
                };
                insert_audit(tx, &audit, now).await?;
                Ok(Some(dropped))
            }))
        }

        fn release_broadcasts(&self, now: Millis, room: u64) -> StoreFuture<'_, u64> {
            Box::pin(self.transaction(async move |tx| {
                // One release at a time across processes, so that two cannot both
                // fill the same room.
                exec(tx, "LOCK TABLE broadcast_queue IN EXCLUSIVE MODE", &[]).await?;
                let pending: i64 = one(
                    tx,
                    "SELECT COUNT(*) FROM outbox WHERE idem_key LIKE 'broadcast:%' \
                     AND state IN ('queued', 'sending')",
                    &[],
                )
                .await?
                .get(0);
                let free = room
                    .saturating_sub(pending.max(0) as u64)
                    .min(i64::MAX as u64) as i64;
                let due = rows(
                    tx,
                    "SELECT broadcast, contact, body, due FROM broadcast_queue \
                     WHERE due <= $1 ORDER BY due, broadcast, contact LIMIT $2",
                    &[&now, &free],
                )
                .await?;
                for row in &due {
                    let (id, contact, body, due): (i64, String, String, Millis) =
                        (row.get(0), row.get(1), row.get(2), row.get(3));
                    exec(
                        tx,
                        "INSERT INTO outbox (contact, idem_key, kind, body, by_contact, state, \
                            next_attempt_at, created_at, origin) \
                         VALUES ($1, $2, 'message', $3, FALSE, 'queued', $4, $5, 'broadcast') \
                         ON CONFLICT (idem_key) DO NOTHING",
                        &[&contact, &key(id, &contact), &body, &due.max(now), &now],
                    )
                    .await?;
                    exec(
                        tx,
                        "DELETE FROM broadcast_queue WHERE broadcast = $1 AND contact = $2",
                        &[&id, &contact],
                    )
                    .await?;
                }
                Ok(due.len() as u64)
            }))
        }

        fn broadcast_sends(&self, id: i64) -> StoreFuture<'_, Vec<BroadcastSend>> {
            Box::pin(async move {
                Ok(self
                    .query(
                        "SELECT contact, 'waiting', NULL::TEXT, NULL::TEXT FROM broadcast_queue \
                         WHERE broadcast = $1 \
                         UNION ALL \
                         SELECT contact, state, delivery, last_error FROM outbox \
                         WHERE idem_key LIKE $2",
                        &[&id, &pattern(id)],
                    )
                    .await?
                    .iter()
                    .map(|r| BroadcastSend {
                        contact: r.get(0),
                        state: r.get(1),
                        delivery: r.get(2),
                        error: r.get(3),
                    })
                    .collect())
            })
        }
    }
}
