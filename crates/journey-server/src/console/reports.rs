//! Reports (issue 16, part 6; docs/reports.md): the JSON the console's Reports view
//! draws, computed here from the store's report tables. Admins and builders only
//! (`Agent<Reports>`); operators are refused. Every report takes a range of days,
//! `from` and `to` (`YYYY-MM-DD`, both included, in the project's time zone; by
//! default the last 7 days).
//!
//! ```text
//!  GET /console/api/reports/conversations   per day: contacts who wrote in, runs begun and ended
//!  GET /console/api/reports/handoffs        per queue: opened, assigned, closed, still open;
//!                                           time to first agent reply and to resolution
//!  GET /console/api/reports/messages        per origin: sent, delivered, read, failed
//!  GET /console/api/reports/funnel?journey= each card in order: contacts reached, stopped
//!  GET /console/api/reports/results.csv?key=  write_result rows as CSV, page by page
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::ToSpan;
use jiff::civil::Date;
use journey_expr::Value as JourneyValue;
use journey_store::{HandoffRecord, MessageFigures, Millis, ResultQuery, ResultRow};
use serde::Deserialize;
use serde_json::{Value, json};

use super::contacts_csv::guarded_csv;
use super::guard::{Agent, Reports};
use super::inbox::unavailable;
use crate::App;
use crate::clock::{millis_to_timestamp, project_day};
use crate::routes::error;

/// The longest range a report covers.
const MAX_DAYS: i32 = 366;
/// The range when none is given: the last 7 days, today included.
const DEFAULT_DAYS: i32 = 7;
/// Results an export reads from the store at a time.
const EXPORT_PAGE: usize = 1_000;

pub fn router() -> Router<Arc<App>> {
    let reports = "/console/api/reports";
    Router::new()
        .route(&format!("{reports}/conversations"), get(conversations))
        .route(&format!("{reports}/handoffs"), get(handoffs))
        .route(&format!("{reports}/messages"), get(messages))
        .route(&format!("{reports}/funnel"), get(funnel))
        .route(&format!("{reports}/results.csv"), get(results))
}

#[derive(Deserialize)]
struct RangeParams {
    from: Option<String>,
    to: Option<String>,
    /// The funnel's journey (default: the first deployed).
    journey: Option<String>,
    /// The results export's key (default: every key).
    key: Option<String>,
}

/// A range of whole days in the project's time zone, and the instants it spans.
struct Range {
    first: Date,
    last: Date,
    /// The first day's midnight, and the midnight after the last day.
    start: Millis,
    end: Millis,
    zone: String,
}

impl Range {
    fn json(&self) -> Value {
        json!({
            "from": self.first.to_string(),
            "to": self.last.to_string(),
            "time_zone": self.zone,
            "start": millis_to_timestamp(self.start).to_string(),
            "end": millis_to_timestamp(self.end).to_string(),
        })
    }

    /// Every day of the range, in order.
    fn days(&self) -> impl Iterator<Item = Date> + '_ {
        std::iter::successors(Some(self.first), |day| day.tomorrow().ok())
            .take_while(|day| *day <= self.last)
    }
}

/// The parameters, and the range they name (or why they name none).
fn range(
    app: &App,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Result<(Range, RangeParams), Response> {
    let Query(params) = params.map_err(|e| error(StatusCode::BAD_REQUEST, e.body_text()))?;
    let refuse = |why: String| error(StatusCode::UNPROCESSABLE_ENTITY, why);
    let config = &app.deployed().config;
    let zone_name = &config.project.timezone;
    let zone = jiff::tz::TimeZone::get(zone_name).unwrap_or(jiff::tz::TimeZone::UTC);
    let zone_name = if zone.iana_name().is_some() {
        zone_name.clone()
    } else {
        "UTC".to_owned()
    };
    let day = |name: &str, text: &Option<String>| -> Result<Option<Date>, Response> {
        match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => text
                .parse::<Date>()
                .map(Some)
                .map_err(|_| refuse(format!("`{name}` is a day as YYYY-MM-DD, not `{text}`"))),
        }
    };
    let today = project_day(config, app.clock.now());
    let last = day("to", &params.to)?.unwrap_or(today);
    let first = match day("from", &params.from)? {
        Some(first) => first,
        None => last
            .checked_sub((DEFAULT_DAYS - 1).days())
            .map_err(|e| refuse(e.to_string()))?,
    };
    if first > last {
        return Err(refuse(format!(
            "the range starts ({first}) after it ends ({last})"
        )));
    }
    let span = first
        .until(last)
        .map(|span| span.get_days())
        .map_err(|e| refuse(e.to_string()))?;
    if span >= MAX_DAYS {
        return Err(refuse(format!(
            "a report covers at most {MAX_DAYS} days; this range has {}",
            span + 1
        )));
    }
    let midnight = |day: Date| -> Result<Millis, Response> {
        day.to_zoned(zone.clone())
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|e| refuse(e.to_string()))
    };
    let after = last.tomorrow().map_err(|e| refuse(e.to_string()))?;
    let range = Range {
        first,
        last,
        start: midnight(first)?,
        end: midnight(after)?,
        zone: zone_name,
    };
    Ok((range, params))
}

async fn conversations(
    State(app): State<Arc<App>>,
    _agent: Agent<Reports>,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Response {
    let (range, _) = match range(&app, params) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let found = app
        .store
        .activity(range.first.to_string(), range.last.to_string())
        .await;
    let active = match found {
        Ok(active) => active,
        Err(e) => return unavailable(e),
    };
    let mut by_day: BTreeMap<String, _> = active.into_iter().map(|d| (d.day.clone(), d)).collect();
    let days: Vec<Value> = range
        .days()
        .map(|day| {
            let d = by_day.remove(&day.to_string()).unwrap_or_default();
            json!({
                "day": day.to_string(),
                "contacts": d.contacts,
                "messages": d.messages,
                "started": d.started,
                "finished": d.finished,
            })
        })
        .collect();
    let total = |key: &str| days.iter().filter_map(|d| d[key].as_i64()).sum::<i64>();
    Json(json!({
        "range": range.json(),
        "totals": {
            "messages": total("messages"),
            "started": total("started"),
            "finished": total("finished"),
        },
        "days": days,
    }))
    .into_response()
}

/// The nearest-rank percentile `p` (0–100) of sorted durations, in seconds.
fn percentile(sorted: &[Millis], p: usize) -> Option<f64> {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).map(|ms| *ms as f64 / 1000.0)
}

/// Median and 90th percentile of the durations, and how many there are.
fn times(mut durations: Vec<Millis>) -> Value {
    durations.sort_unstable();
    json!({
        "count": durations.len(),
        "median_seconds": percentile(&durations, 50),
        "p90_seconds": percentile(&durations, 90),
    })
}

/// One queue's figures (or every queue's) for handoffs opened in the range.
fn handoff_figures(records: &[&HandoffRecord]) -> Value {
    let replies = records
        .iter()
        .filter_map(|h| Some(h.first_reply_at? - h.since))
        .collect();
    let resolutions = records
        .iter()
        .filter_map(|h| Some(h.closed_at? - h.since))
        .collect();
    json!({
        "opened": records.len(),
        "assigned": records.iter().filter(|h| h.assigned_at.is_some()).count(),
        "closed": records.iter().filter(|h| h.closed_at.is_some()).count(),
        "open": records.iter().filter(|h| h.closed_at.is_none()).count(),
        "first_reply": times(replies),
        "resolution": times(resolutions),
    })
}

async fn handoffs(
    State(app): State<Arc<App>>,
    _agent: Agent<Reports>,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Response {
    let (range, _) = match range(&app, params) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let records = match app.store.handoff_history(range.start, range.end).await {
        Ok(records) => records,
        Err(e) => return unavailable(e),
    };
    let mut queues: BTreeMap<&str, Vec<&HandoffRecord>> = BTreeMap::new();
    for record in &records {
        queues.entry(&record.queue).or_default().push(record);
    }
    let all: Vec<&HandoffRecord> = records.iter().collect();
    Json(json!({
        "range": range.json(),
        "queues": queues.iter().map(|(queue, records)| {
            let mut figures = handoff_figures(records);
            figures["queue"] = json!(queue);
            figures
        }).collect::<Vec<_>>(),
        "total": handoff_figures(&all),
    }))
    .into_response()
}

fn delivery(f: &MessageFigures) -> Value {
    json!({
        "total": f.total,
        "pending": f.pending,
        "sent": f.sent,
        "delivered": f.delivered,
        "read": f.read,
        "failed": f.failed,
    })
}

/// Messages per origin (the bot, agents, broadcasts) and in all, by what became of
/// them (the store's [`MessageFigures`] says how each is counted).
async fn messages(
    State(app): State<Arc<App>>,
    _agent: Agent<Reports>,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Response {
    let (range, _) = match range(&app, params) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let origins = match app.store.message_figures(range.start, range.end).await {
        Ok(origins) => origins,
        Err(e) => return unavailable(e),
    };
    let total = origins
        .iter()
        .fold(MessageFigures::default(), |t, f| MessageFigures {
            origin: String::new(),
            total: t.total + f.total,
            pending: t.pending + f.pending,
            sent: t.sent + f.sent,
            delivered: t.delivered + f.delivered,
            read: t.read + f.read,
            failed: t.failed + f.failed,
        });
    let listed: Vec<Value> = origins
        .iter()
        .map(|f| {
            let mut figures = delivery(f);
            figures["origin"] = json!(f.origin);
            figures
        })
        .collect();
    Json(json!({
        "range": range.json(),
        "origins": listed,
        "total": delivery(&total),
    }))
    .into_response()
}

async fn funnel(
    State(app): State<Arc<App>>,
    _agent: Agent<Reports>,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Response {
    let (range, params) = match range(&app, params) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let deployed = app.deployed();
    let journeys = deployed.journey_names();
    let name = match params.journey.filter(|j| !j.is_empty()) {
        Some(name) if journeys.contains(&name) => name,
        Some(name) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "no journey `{name}` is deployed; the journeys: {}",
                    journeys.join(", ")
                ),
            );
        }
        None => match journeys.first() {
            Some(first) => first.clone(),
            None => return error(StatusCode::CONFLICT, "no journey is deployed"),
        },
    };
    let counts = match app.store.funnel(name.clone(), range.start, range.end).await {
        Ok(counts) => counts,
        Err(e) => return unavailable(e),
    };
    let mut counts: BTreeMap<String, _> = counts.into_iter().map(|c| (c.card.clone(), c)).collect();
    let runtime = deployed.runtime();
    // The deployed journey's cards in their order, then any card a contact reached in
    // an earlier version that this one no longer has.
    let mut cards: Vec<Value> = runtime
        .journey(&name)
        .map(|journey| journey.cards.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_else(Vec::<String>::new)
        .into_iter()
        .map(|card| {
            let count = counts.remove(&card).unwrap_or_default();
            json!({"card": card, "reached": count.reached, "stopped": count.stopped, "deployed": true})
        })
        .collect();
    cards.extend(counts.into_values().map(|count| {
        json!({"card": count.card, "reached": count.reached, "stopped": count.stopped, "deployed": false})
    }));
    Json(json!({
        "range": range.json(),
        "journey": name,
        "journeys": journeys,
        "cards": cards,
    }))
    .into_response()
}

/// The columns of the results export.
const RESULT_COLUMNS: [&str; 4] = ["contact", "key", "value", "at"];

fn result_record(row: &ResultRow) -> Vec<String> {
    // Values are stored as the runtime's values serialised: shown as text.
    let value = serde_json::from_str::<JourneyValue>(&row.value)
        .map(|v| v.to_text())
        .unwrap_or_else(|_| row.value.clone());
    vec![
        row.contact.clone(),
        row.key.clone(),
        value,
        millis_to_timestamp(row.at).to_string(),
    ]
}

/// The results written in the range (of one key, if given) as CSV, oldest first,
/// written a page at a time as the client reads.
async fn results(
    State(app): State<Arc<App>>,
    agent: Agent<Reports>,
    params: Result<Query<RangeParams>, QueryRejection>,
) -> Response {
    let (range, params) = match range(&app, params) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let key = params.key.filter(|k| !k.trim().is_empty());
    let detail = format!(
        "exported results{} from {} to {} as CSV",
        key.as_ref()
            .map(|k| format!(" of `{k}`"))
            .unwrap_or_default(),
        range.first,
        range.last
    );
    let entry = agent.audit("results_exported", None, detail);
    if let Err(e) = app.store.audit(entry, app.clock.real_now()).await {
        return unavailable(e);
    }
    let query = ResultQuery {
        from: range.start,
        to: range.end,
        key,
        after: None,
        limit: EXPORT_PAGE,
    };
    let header: Vec<String> = RESULT_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    let pages = futures_util::stream::unfold(Some((app, query, true)), move |state| {
        let header = header.clone();
        async move {
            let (app, query, first) = state?;
            let rows = match app.store.results(query.clone()).await {
                Ok(rows) => rows,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let bytes = guarded_csv(first.then_some(&header[..]), rows.iter().map(result_record))
                .map_err(std::io::Error::other);
            let next = (rows.len() == query.limit)
                .then(|| rows.last().map(|r| (r.at, r.id)))
                .flatten()
                .map(|after| {
                    let query = ResultQuery {
                        after: Some(after),
                        ..query
                    };
                    (app, query, false)
                });
            Some((bytes, next))
        }
    });
    let filename = format!(
        "attachment; filename=\"results-{}-{}.csv\"",
        range.first, range.last
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        Body::from_stream(pages),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let ms: Vec<Millis> = (1..=10).map(|s| s * 1000).collect();
        assert_eq!(percentile(&ms, 50), Some(5.0));
        assert_eq!(percentile(&ms, 90), Some(9.0));
        assert_eq!(percentile(&[4_500], 90), Some(4.5));
        assert_eq!(percentile(&[], 50), None);
        // Two values: the median is the lower, the 90th the higher.
        assert_eq!(percentile(&[1_000, 3_000], 50), Some(1.0));
        assert_eq!(percentile(&[1_000, 3_000], 90), Some(3.0));
    }
}
