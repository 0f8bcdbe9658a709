//! The console's reports (issue 16, docs/reports.md): what they read, and what a step,
//! an assignment and a broadcast write for them in their own transactions, so that the
//! figures cannot disagree with what happened.
//!
//! - `handoff_history`: one row a handoff, `(contact, since)`: opened by the step that
//!   hands the contact over, assigned by an operator or the queue's rules, first
//!   answered by the step that sends an agent's reply, closed by the step that gives
//!   the contact back to the bot (however: close, return, the handoff's timeout, reset);
//! - `card_visits`: a contact's first and latest entry of each card, one row per
//!   journey, card and contact; `journey_places`: their latest card per journey, where
//!   they stopped or wait;
//! - `contact_days`: per day (the project's time zone) and active contact, messages in
//!   and runs begun and ended;
//! - the outbox's `origin` (`bot`, `agent`, `broadcast`) beside its delivery state.
//!
//! Every read is a range scan of one index (`reports_scale.rs` measures them).

use std::collections::BTreeMap;

use crate::types::StepReport;
use crate::{Millis, StoreFuture};

/// One day of the conversations report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayActivity {
    /// `YYYY-MM-DD` in the project's time zone.
    pub day: String,
    /// Contacts who wrote in that day.
    pub contacts: i64,
    /// Their messages.
    pub messages: i64,
    /// Runs begun, and ended (not failed).
    pub started: i64,
    pub finished: i64,
}

/// A handoff as its history keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoffRecord {
    pub contact: String,
    /// Its queue: the journey's, or the one an operator moved it to.
    pub queue: String,
    /// When it opened.
    pub since: Millis,
    /// The latest assignee, and when it was first assigned to a person.
    pub assignee: Option<String>,
    pub assigned_at: Option<Millis>,
    pub first_reply_at: Option<Millis>,
    pub closed_at: Option<Millis>,
}

/// Who writes outbox messages: the journeys, an agent, a broadcast.
pub const ORIGINS: [&str; 3] = ["bot", "agent", "broadcast"];

/// The messages of one origin the outbox took in a range, by what became of them.
/// `sent` counts those WhatsApp took and did not report failed later (delivered and
/// read ones too), `delivered` those delivered (read or not), `read` those read;
/// `failed` those refused, dead, or reported failed; `pending` those not sent yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageFigures {
    pub origin: String,
    pub total: i64,
    pub pending: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
}

/// The outbox states a message can be in.
const STATES: [&str; 4] = ["queued", "sending", "sent", "dead"];
/// The status webhooks' ranks: 0 none yet, 1 sent, 2 delivered, 3 read (or played).
const RANKS: [i32; 5] = [0, 1, 2, 3, FAILED];
/// The rank of a `failed` status.
const FAILED: i32 = 9;

/// Every (origin, state, rank) a message can have, and how many in the range have it:
/// one count per combination, each a range of the index `outbox_report` (origin,
/// state and rank equal, `created_at` in the range), so that only the range's entries
/// are read and nothing is grouped or sorted.
fn messages_sql(text: &str, int: &str, from: &str, to: &str) -> String {
    let mut groups = Vec::new();
    for origin in ORIGINS {
        for state in STATES {
            for rank in RANKS {
                groups.push(format!("('{origin}'{text}, '{state}'{text}, {rank}{int})"));
            }
        }
    }
    format!(
        "WITH g(origin, state, rank) AS (VALUES {}) \
         SELECT g.origin, g.state, g.rank, (SELECT COUNT(*) FROM outbox o \
            WHERE o.kind = 'message' AND o.origin = g.origin AND o.state = g.state \
              AND o.delivery_rank = g.rank AND o.created_at >= {from} \
              AND o.created_at < {to}) \
         FROM g",
        groups.join(", ")
    )
}

/// Each origin's figures from the counts of its (state, rank) combinations.
fn message_figures(
    counts: impl IntoIterator<Item = (String, String, i32, i64)>,
) -> Vec<MessageFigures> {
    let mut figures: Vec<MessageFigures> = ORIGINS
        .iter()
        .map(|origin| MessageFigures {
            origin: (*origin).to_owned(),
            ..MessageFigures::default()
        })
        .collect();
    for (origin, state, rank, n) in counts {
        let Some(f) = figures.iter_mut().find(|f| f.origin == origin) else {
            continue;
        };
        f.total += n;
        match state.as_str() {
            _ if state == "dead" || rank == FAILED => f.failed += n,
            "queued" | "sending" => f.pending += n,
            "sent" => {
                f.sent += n;
                f.delivered += if rank >= 2 { n } else { 0 };
                f.read += if rank >= 3 { n } else { 0 };
            }
            _ => {}
        }
    }
    figures
}

/// A card of a journey's funnel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardCount {
    pub card: String,
    /// Contacts who entered the card.
    pub reached: i64,
    /// Of them, those whose latest card in the journey it is.
    pub stopped: i64,
}

/// A page of `write_result` rows, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultQuery {
    pub from: Millis,
    pub to: Millis,
    /// Only this key.
    pub key: Option<String>,
    /// Rows after this `(at, id)`: the last of the page before.
    pub after: Option<(Millis, i64)>,
    pub limit: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultRow {
    pub id: i64,
    pub contact: String,
    pub key: String,
    /// The value as JSON.
    pub value: String,
    pub at: Millis,
}

/// The reports' reads. Ranges are `[from, to)`.
pub trait ReportStore {
    /// Each day from `first` to `last` (inclusive, `YYYY-MM-DD`) with any activity.
    fn activity(&self, first: String, last: String) -> StoreFuture<'_, Vec<DayActivity>>;

    /// Handoffs opened in the range, oldest first.
    fn handoff_history(&self, from: Millis, to: Millis) -> StoreFuture<'_, Vec<HandoffRecord>>;

    /// Messages the outbox took in the range, per origin ([`ORIGINS`]' order).
    fn message_figures(&self, from: Millis, to: Millis) -> StoreFuture<'_, Vec<MessageFigures>>;

    /// Per card of `journey` that anyone ever reached, in name order: contacts who were
    /// at it in the range (their first visit before `to`, their latest at or after
    /// `from`), and those who stopped there in it.
    fn funnel(&self, journey: String, from: Millis, to: Millis) -> StoreFuture<'_, Vec<CardCount>>;

    /// A page of results written in the range.
    fn results(&self, query: ResultQuery) -> StoreFuture<'_, Vec<ResultRow>>;
}

/// The latest card of each journey a step entered.
fn places(report: &StepReport) -> BTreeMap<&str, &str> {
    report
        .visits
        .iter()
        .map(|(journey, card)| (journey.as_str(), card.as_str()))
        .collect()
}

/// The funnel's query: the journey's cards found by a loose scan of the index (one
/// lookup per card, not per visit), then per card two counts over index ranges, so
/// that no visit outside the range is read and nothing is grouped in a temporary table.
/// A contact's latest card is one they visited: `card_visits` has every card.
macro_rules! funnel_sql {
    ($journey:literal, $from:literal, $to:literal) => {
        concat!(
            "WITH RECURSIVE cards(card) AS (",
            "SELECT (SELECT MIN(card) FROM card_visits WHERE journey = ",
            $journey,
            ") ",
            "UNION ALL SELECT (SELECT MIN(card) FROM card_visits ",
            "WHERE journey = ",
            $journey,
            " AND card > cards.card) ",
            "FROM cards WHERE cards.card IS NOT NULL) ",
            "SELECT card, ",
            "(SELECT COUNT(*) FROM card_visits v WHERE v.journey = ",
            $journey,
            " AND v.card = cards.card AND v.last_at >= ",
            $from,
            " AND v.first_at < ",
            $to,
            "), ",
            "(SELECT COUNT(*) FROM journey_places p WHERE p.journey = ",
            $journey,
            " AND p.card = cards.card AND p.at >= ",
            $from,
            " AND p.at < ",
            $to,
            ") ",
            "FROM cards WHERE card IS NOT NULL"
        )
    };
}

// ------------------------------------------------------------------------ SQLite

pub(crate) mod sqlite {
    use rusqlite::{Connection, params};

    use super::*;
    use crate::sqlite::SqliteStore;
    use crate::types::StepCommit;

    /// A step's writes for the reports, after the contact row (its handoff's `since`).
    pub(crate) fn record_step(
        conn: &Connection,
        step: &StepCommit,
        now: Millis,
    ) -> rusqlite::Result<()> {
        let (c, report) = (&step.contact, &step.report);
        if step.inbox_change && c.handoff.is_some() {
            conn.prepare_cached(
                "INSERT INTO handoff_history (contact, since, queue) \
                 SELECT id, handoff_since, handoff FROM contacts WHERE id = ?1 \
                 ON CONFLICT DO NOTHING",
            )?
            .execute([&c.id])?;
        } else if step.inbox_change {
            conn.prepare_cached(
                "UPDATE handoff_history SET closed_at = ?2 \
                 WHERE contact = ?1 AND closed_at IS NULL",
            )?
            .execute(params![c.id, now])?;
        }
        if report.agent_reply {
            conn.prepare_cached(
                "UPDATE handoff_history SET first_reply_at = ?2 \
                 WHERE contact = ?1 AND closed_at IS NULL AND first_reply_at IS NULL",
            )?
            .execute(params![c.id, now])?;
        }
        for (journey, card) in &report.visits {
            conn.prepare_cached(
                "INSERT INTO card_visits (journey, card, contact, first_at, last_at) \
                 VALUES (?1, ?2, ?3, ?4, ?4) \
                 ON CONFLICT (journey, card, contact) DO UPDATE SET last_at = excluded.last_at",
            )?
            .execute(params![journey, card, c.id, now])?;
        }
        for (journey, card) in places(report) {
            conn.prepare_cached(
                "INSERT INTO journey_places (journey, contact, card, at) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (journey, contact) DO UPDATE SET card = excluded.card, \
                    at = excluded.at",
            )?
            .execute(params![journey, c.id, card, now])?;
        }
        if report.messages + report.started + report.finished > 0 && !report.day.is_empty() {
            conn.prepare_cached(
                "INSERT INTO contact_days (day, contact, messages, started, finished) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (day, contact) DO UPDATE SET \
                    messages = messages + excluded.messages, \
                    started = started + excluded.started, \
                    finished = finished + excluded.finished",
            )?
            .execute(params![
                report.day,
                c.id,
                report.messages,
                report.started,
                report.finished
            ])?;
        }
        Ok(())
    }

    /// An assignment of the handoff that began at `since`: its queue, its assignee,
    /// and when it first had one.
    pub(crate) fn record_assignment(
        conn: &Connection,
        contact: &str,
        since: Millis,
        queue: &str,
        assignee: Option<&str>,
        now: Millis,
    ) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "UPDATE handoff_history SET queue = ?3, assignee = COALESCE(?4, assignee), \
                assigned_at = CASE WHEN ?4 IS NULL THEN assigned_at \
                                   ELSE COALESCE(assigned_at, ?5) END \
             WHERE contact = ?1 AND since = ?2",
        )?
        .execute(params![contact, since, queue, assignee, now])?;
        Ok(())
    }

    impl ReportStore for SqliteStore {
        fn activity(&self, first: String, last: String) -> StoreFuture<'_, Vec<DayActivity>> {
            Box::pin(async move {
                self.read(|conn| {
                    conn.prepare_cached(
                        "SELECT day, SUM(messages > 0), SUM(messages), SUM(started), \
                            SUM(finished) FROM contact_days WHERE day >= ?1 AND day <= ?2 \
                         GROUP BY day ORDER BY day",
                    )?
                    .query_map([first, last], |r| {
                        Ok(DayActivity {
                            day: r.get(0)?,
                            contacts: r.get(1)?,
                            messages: r.get(2)?,
                            started: r.get(3)?,
                            finished: r.get(4)?,
                        })
                    })?
                    .collect()
                })
            })
        }

        fn handoff_history(&self, from: Millis, to: Millis) -> StoreFuture<'_, Vec<HandoffRecord>> {
            Box::pin(async move {
                self.read(|conn| {
                    conn.prepare_cached(
                        "SELECT contact, queue, since, assignee, assigned_at, first_reply_at, \
                            closed_at FROM handoff_history WHERE since >= ?1 AND since < ?2 \
                         ORDER BY since, contact",
                    )?
                    .query_map([from, to], |r| {
                        Ok(HandoffRecord {
                            contact: r.get(0)?,
                            queue: r.get(1)?,
                            since: r.get(2)?,
                            assignee: r.get(3)?,
                            assigned_at: r.get(4)?,
                            first_reply_at: r.get(5)?,
                            closed_at: r.get(6)?,
                        })
                    })?
                    .collect()
                })
            })
        }

        fn message_figures(
            &self,
            from: Millis,
            to: Millis,
        ) -> StoreFuture<'_, Vec<MessageFigures>> {
            Box::pin(async move {
                let sql = messages_sql("", "", "?1", "?2");
                self.read(|conn| {
                    let counts = conn
                        .prepare_cached(&sql)?
                        .query_map([from, to], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    Ok(message_figures(counts))
                })
            })
        }

        fn funnel(
            &self,
            journey: String,
            from: Millis,
            to: Millis,
        ) -> StoreFuture<'_, Vec<CardCount>> {
            Box::pin(async move {
                self.read(|conn| {
                    conn.prepare_cached(funnel_sql!("?1", "?2", "?3"))?
                        .query_map(params![journey, from, to], |r| {
                            Ok(CardCount {
                                card: r.get(0)?,
                                reached: r.get(1)?,
                                stopped: r.get(2)?,
                            })
                        })?
                        .collect()
                })
            })
        }

        fn results(&self, query: ResultQuery) -> StoreFuture<'_, Vec<ResultRow>> {
            Box::pin(async move {
                let (after_at, after_id) = query.after.unwrap_or((i64::MIN, i64::MIN));
                self.read(|conn| {
                    conn.prepare_cached(
                        "SELECT rowid, contact, key, value, at FROM results \
                         WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR key = ?3) \
                           AND (at, rowid) > (?4, ?5) \
                         ORDER BY at, rowid LIMIT ?6",
                    )?
                    .query_map(
                        params![
                            query.from,
                            query.to,
                            query.key,
                            after_at,
                            after_id,
                            query.limit as i64
                        ],
                        |r| {
                            Ok(ResultRow {
                                id: r.get(0)?,
                                contact: r.get(1)?,
                                key: r.get(2)?,
                                value: r.get(3)?,
                                at: r.get(4)?,
                            })
                        },
                    )?
                    .collect()
                })
            })
        }
    }
}

// ------------------------------------------------------------------------ PostgreSQL

pub(crate) mod postgres {
    use deadpool_postgres::GenericClient;

    use super::*;
    use crate::StoreResult;
    use crate::postgres::{PgStore, exec};
    use crate::types::StepCommit;

    /// A step's writes for the reports (the SQLite store's [`super::sqlite::record_step`]).
    pub(crate) async fn record_step(
        client: &impl GenericClient,
        step: &StepCommit,
        now: Millis,
    ) -> StoreResult<()> {
        let (c, report) = (&step.contact, &step.report);
        if step.inbox_change && c.handoff.is_some() {
            exec(
                client,
                "INSERT INTO handoff_history (contact, since, queue) \
                 SELECT id, handoff_since, handoff FROM contacts WHERE id = $1 \
                 ON CONFLICT DO NOTHING",
                &[&c.id],
            )
            .await?;
        } else if step.inbox_change {
            exec(
                client,
                "UPDATE handoff_history SET closed_at = $2 \
                 WHERE contact = $1 AND closed_at IS NULL",
                &[&c.id, &now],
            )
            .await?;
        }
        if report.agent_reply {
            exec(
                client,
                "UPDATE handoff_history SET first_reply_at = $2 \
                 WHERE contact = $1 AND closed_at IS NULL AND first_reply_at IS NULL",
                &[&c.id, &now],
            )
            .await?;
        }
        if !report.visits.is_empty() {
            let (journeys, cards): (Vec<&str>, Vec<&str>) = report
                .visits
                .iter()
                .map(|(j, c)| (j.as_str(), c.as_str()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .unzip();
            exec(
                client,
                "INSERT INTO card_visits (journey, card, contact, first_at, last_at) \
                 SELECT v.journey, v.card, $3, $4, $4 \
                 FROM unnest($1::TEXT[], $2::TEXT[]) AS v(journey, card) \
                 ON CONFLICT (journey, card, contact) DO UPDATE SET last_at = excluded.last_at",
                &[&journeys, &cards, &c.id, &now],
            )
            .await?;
            let (journeys, cards): (Vec<&str>, Vec<&str>) = places(report).into_iter().unzip();
            exec(
                client,
                "INSERT INTO journey_places (journey, contact, card, at) \
                 SELECT p.journey, $3, p.card, $4 \
                 FROM unnest($1::TEXT[], $2::TEXT[]) AS p(journey, card) \
                 ON CONFLICT (journey, contact) DO UPDATE SET card = excluded.card, \
                    at = excluded.at",
                &[&journeys, &cards, &c.id, &now],
            )
            .await?;
        }
        if report.messages + report.started + report.finished > 0 && !report.day.is_empty() {
            exec(
                client,
                "INSERT INTO contact_days (day, contact, messages, started, finished) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (day, contact) DO UPDATE SET \
                    messages = contact_days.messages + excluded.messages, \
                    started = contact_days.started + excluded.started, \
                    finished = contact_days.finished + excluded.finished",
                &[
                    &report.day,
                    &c.id,
                    &report.messages,
                    &report.started,
                    &report.finished,
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// An assignment (the SQLite store's [`super::sqlite::record_assignment`]).
    pub(crate) async fn record_assignment(
        client: &impl GenericClient,
        contact: &str,
        since: Millis,
        queue: &str,
        assignee: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        exec(
            client,
            "UPDATE handoff_history SET queue = $3, assignee = COALESCE($4, assignee), \
                assigned_at = CASE WHEN $4::TEXT IS NULL THEN assigned_at \
                                   ELSE COALESCE(assigned_at, $5) END \
             WHERE contact = $1 AND since = $2",
            &[&contact, &since, &queue, &assignee, &now],
        )
        .await?;
        Ok(())
    }

    impl ReportStore for PgStore {
        fn activity(&self, first: String, last: String) -> StoreFuture<'_, Vec<DayActivity>> {
            Box::pin(async move {
                Ok(self
                    .query(
                        "SELECT day, COUNT(*) FILTER (WHERE messages > 0), \
                            SUM(messages)::BIGINT, SUM(started)::BIGINT, SUM(finished)::BIGINT \
                         FROM contact_days WHERE day >= $1 AND day <= $2 \
                         GROUP BY day ORDER BY day",
                        &[&first, &last],
                    )
                    .await?
                    .iter()
                    .map(|r| DayActivity {
                        day: r.get(0),
                        contacts: r.get(1),
                        messages: r.get(2),
                        started: r.get(3),
                        finished: r.get(4),
                    })
                    .collect())
            })
        }

        fn handoff_history(&self, from: Millis, to: Millis) -> StoreFuture<'_, Vec<HandoffRecord>> {
            Box::pin(async move {
                Ok(self
                    .query(
                        "SELECT contact, queue, since, assignee, assigned_at, first_reply_at, \
                            closed_at FROM handoff_history WHERE since >= $1 AND since < $2 \
                         ORDER BY since, contact",
                        &[&from, &to],
                    )
                    .await?
                    .iter()
                    .map(|r| HandoffRecord {
                        contact: r.get(0),
                        queue: r.get(1),
                        since: r.get(2),
                        assignee: r.get(3),
                        assigned_at: r.get(4),
                        first_reply_at: r.get(5),
                        closed_at: r.get(6),
                    })
                    .collect())
            })
        }

        fn message_figures(
            &self,
            from: Millis,
            to: Millis,
        ) -> StoreFuture<'_, Vec<MessageFigures>> {
            Box::pin(async move {
                let sql = messages_sql("::TEXT", "::INTEGER", "$1", "$2");
                let rows = self.query(&sql, &[&from, &to]).await?;
                Ok(message_figures(
                    rows.iter()
                        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))),
                ))
            })
        }

        fn funnel(
            &self,
            journey: String,
            from: Millis,
            to: Millis,
        ) -> StoreFuture<'_, Vec<CardCount>> {
            Box::pin(async move {
                Ok(self
                    .query(funnel_sql!("$1", "$2", "$3"), &[&journey, &from, &to])
                    .await?
                    .iter()
                    .map(|r| CardCount {
                        card: r.get(0),
                        reached: r.get(1),
                        stopped: r.get(2),
                    })
                    .collect())
            })
        }

        fn results(&self, query: ResultQuery) -> StoreFuture<'_, Vec<ResultRow>> {
            Box::pin(async move {
                let (after_at, after_id) = query.after.unwrap_or((i64::MIN, i64::MIN));
                let limit = query.limit as i64;
                Ok(self
                    .query(
                        "SELECT id, contact, key, value, at FROM results \
                         WHERE at >= $1 AND at < $2 AND ($3::TEXT IS NULL OR key = $3) \
                           AND (at, id) > ($4, $5) \
                         ORDER BY at, id LIMIT $6",
                        &[
                            &query.from,
                            &query.to,
                            &query.key,
                            &after_at,
                            &after_id,
                            &limit,
                        ],
                    )
                    .await?
                    .iter()
                    .map(|r| ResultRow {
                        id: r.get(0),
                        contact: r.get(1),
                        key: r.get(2),
                        value: r.get(3),
                        at: r.get(4),
                    })
                    .collect())
            })
        }
    }
}
