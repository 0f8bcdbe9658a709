//! The rows the store keeps and the requests it takes. Payloads are opaque JSON text.

use crate::Millis;

/// Something a webhook or the admin API hands over for a contact.
#[derive(Clone, Debug, PartialEq)]
pub enum Intake {
    /// A message from a contact, de-duplicated by `provider_id` (the wamid).
    Message {
        provider_id: String,
        contact: String,
        payload: String,
    },
    /// A delivery report for a message we sent: matched by the provider's message id,
    /// else by our callback key; a status never moves backwards.
    Status {
        provider_id: String,
        callback: Option<String>,
        status: String,
        /// sent 1 < delivered 2 < read 3 (played 3); failed 9.
        rank: i32,
        error: Option<String>,
    },
    /// The contact stopped (`true`) or resumed marketing messages.
    MarketingOptOut { contact: String, stop: bool },
    /// Any other event for a contact's inbox (an operator's start, return or reset).
    Event {
        contact: String,
        kind: String,
        payload: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Stored (a message or event), or applied (a status, a preference).
    New,
    /// A message already received: nothing changed.
    Duplicate,
    /// A status for a message we do not know (or an older status than we have).
    Ignored,
}

/// An event waiting in a contact's inbox.
#[derive(Clone, Debug, PartialEq)]
pub struct InboxEvent {
    pub id: i64,
    pub contact: String,
    /// `message`, `timer`, `http`, or an admin event's kind.
    pub kind: String,
    pub payload: String,
    pub created_at: Millis,
}

/// A contact and their run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactRow {
    pub id: String,
    /// Bumped by every step: the fence.
    pub version: i64,
    /// Counts runs: timer ids are unique within a run only.
    pub run: i64,
    /// JSON object of contact fields.
    pub fields: String,
    /// JSON run state, `None` before the first run.
    pub state: Option<String>,
    /// Has written to us before (for `FIRST VISIT` triggers).
    pub visited: bool,
    /// The last message from the contact: the 24-hour window runs from it.
    pub last_inbound_at: Option<Millis>,
    /// Opted out of every business-initiated message.
    pub opted_out: bool,
    /// Stopped marketing messages in WhatsApp (the `user_preferences` webhook).
    pub marketing_opt_out: bool,
    /// The agents' queue while the contact is with a person.
    pub handoff: Option<String>,
    pub handoff_note: Option<String>,
}

/// A step's writes, applied in one transaction if the contact is still at
/// `expected_version` (0: a new contact) and the inbox event is still there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepCommit {
    pub expected_version: i64,
    /// The inbox event this step consumed.
    pub consumed: i64,
    /// The contact after the step; its `version` is ignored (the store sets it).
    pub contact: ContactRow,
    /// A fired timer this step handled, deleted with the step.
    pub fired_timer: Option<i64>,
    pub timers: Vec<TimerOp>,
    pub outbox: Vec<NewOutbox>,
    /// Drop queued messages the contact did not ask for (they opted out).
    pub suppress_business_initiated: bool,
    pub results: Vec<(String, String)>,
    pub labels: Vec<String>,
    /// The journal entry: what happened, for audits and replay.
    pub journal: JournalEntry,
    /// The console's inbox shows this contact (with an agent before or after the
    /// step): record a change for its live updates. The store also opens the
    /// handoff's history row then, or closes it when the contact left the agent.
    pub inbox_change: bool,
    /// What the console's reports count of the step.
    pub report: StepReport,
}

/// What a step did that the console's reports count (docs/reports.md).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepReport {
    /// The step's day in the project's time zone, `YYYY-MM-DD`.
    pub day: String,
    /// Messages from the contact the step took.
    pub messages: i64,
    /// Runs the step began, and runs it ended (not failed).
    pub started: i64,
    pub finished: i64,
    /// The cards the run entered, in order, as `(journey, card)`.
    pub visits: Vec<(String, String)>,
    /// The step sends an agent's reply: the handoff's first reply, if it has none,
    /// and the outbox row's origin.
    pub agent_reply: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct JournalEntry {
    pub kind: String,
    pub event: String,
    pub effects: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TimerOp {
    Schedule {
        run: i64,
        timer: String,
        /// JSON of the timer's target.
        target: String,
        fire_at: Millis,
    },
    /// Every timer of the contact.
    CancelAll,
    /// Every timer of the contact with this target (JSON, compared as text).
    CancelTarget(String),
    /// One timer of one run.
    CancelTimer { run: i64, timer: String },
}

/// A message (or HTTP request) to send for a contact.
#[derive(Clone, Debug, PartialEq)]
pub struct NewOutbox {
    /// `message` or `http`.
    pub kind: String,
    pub body: String,
    /// The contact's own message caused it: allowed after an opt-out.
    pub by_contact: bool,
    pub not_before: Millis,
}

/// A claimed outbox row.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub contact: String,
    /// `contact:version:n`: stable across retries; sent as `biz_opaque_callback_data`.
    pub idem_key: String,
    pub kind: String,
    pub body: String,
    pub by_contact: bool,
    /// Attempts so far, this one included: the claim's fencing token.
    pub attempts: i64,
    pub created_at: Millis,
    /// The claim holds the row until then; a send must not start after it (another
    /// claim may have taken the row by then).
    pub leased_until: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutboxResult {
    pub id: i64,
    /// The claim's `attempts`: a result of an older claim than the row's latest changes
    /// nothing (its lease ran out and the row was claimed again).
    pub attempt: i64,
    pub outcome: OutboxOutcome,
    /// An event for the contact's inbox, committed with the result (an HTTP response).
    pub event: Option<(String, String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OutboxOutcome {
    /// Delivered to the provider; `reached` marks a business-initiated message counted
    /// against the messaging limit.
    Sent {
        provider_id: String,
        reached: bool,
    },
    /// Try again at `at`; `attempted` says whether this counts as an attempt (a row held
    /// back by a rate limit does not).
    Retry {
        at: Millis,
        error: String,
        attempted: bool,
    },
    /// Never to be sent: a permanent error, or a rule forbids it (window, opt-out).
    Dead {
        error: String,
    },
    Done,
}

/// What the admin API shows of a contact.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactView {
    pub row: ContactRow,
    pub timers: Vec<TimerRow>,
    pub outbox: Vec<OutboxSummary>,
    pub journal: Vec<JournalRow>,
    pub results: Vec<(String, String)>,
    pub labels: Vec<String>,
    pub pending_events: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TimerRow {
    pub id: i64,
    pub run: i64,
    pub timer: String,
    pub target: String,
    pub fire_at: Millis,
    pub fired_at: Option<Millis>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutboxSummary {
    pub id: i64,
    pub idem_key: String,
    pub kind: String,
    pub body: String,
    pub state: String,
    pub attempts: i64,
    pub provider_id: Option<String>,
    pub delivery: Option<String>,
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JournalRow {
    pub version: i64,
    pub kind: String,
    pub event: String,
    pub effects: String,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Handoff {
    pub contact: String,
    pub queue: String,
    pub note: String,
    pub since: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    pub id: i64,
    pub digest: String,
    pub bundle: String,
    pub at: Millis,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub contacts: i64,
    pub inbox: i64,
    pub timers_pending: i64,
    pub outbox_queued: i64,
    pub outbox_sending: i64,
    pub outbox_sent: i64,
    pub outbox_dead: i64,
    pub handoffs: i64,
}

/// A person who signs in to the console (`journey users`). The role is the server's to
/// interpret (`admin`, `builder`, `operator`); the store keeps it as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRow {
    pub name: String,
    pub role: String,
    /// The password's argon2id hash as a PHC string (never the password).
    pub password_hash: String,
    /// Wrong passwords since the last sign-in or lock.
    pub failed_logins: i64,
    /// Sign-in is refused until then.
    pub locked_until: Option<Millis>,
    pub created_at: Millis,
}

/// A change to the people, applied with its audit row in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonChange {
    /// Refused (`false`) when the name is taken.
    Add {
        name: String,
        role: String,
        password_hash: String,
    },
    /// Ends the person's sessions too.
    Remove { name: String },
    /// Ends the person's sessions and lifts a lock.
    SetPassword { name: String, password_hash: String },
}

impl PersonChange {
    pub fn name(&self) -> &str {
        match self {
            PersonChange::Add { name, .. }
            | PersonChange::Remove { name }
            | PersonChange::SetPassword { name, .. } => name,
        }
    }
}

/// A signed-in browser: the session id is kept only as its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub id_hash: String,
    pub person: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// What an agent (or `journey users`) did: who, what, to whom, from where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditEntry {
    /// The person, or for the command line `cli:<system user>`; for a failed sign-in
    /// the name that was tried.
    pub actor: String,
    /// `login`, `logout`, `login_failed`, `login_refused`, `lockout`, `person_added`,
    /// `person_removed`, `password_reset`, …
    pub action: String,
    /// Whom or what it was done to.
    pub subject: Option<String>,
    /// The client's address, or `command line`.
    pub address: Option<String>,
    /// More, in plain words (never a password or token).
    pub detail: String,
}

/// A row of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: Millis,
    pub entry: AuditEntry,
}

/// A wrong password for a person (or a name nobody has), recorded with its audit row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginFailure {
    pub name: String,
    /// Wrong passwords in a row that lock the account…
    pub tries: i64,
    /// …for this long.
    pub lock_for: Millis,
    pub audit: AuditEntry,
    /// Written as well when this failure locks the account.
    pub lockout: AuditEntry,
}

/// An open handoff as the console's inbox lists it: the queue an operator moved it
/// to (else the journey's), and whom it is assigned to.
#[derive(Clone, Debug, PartialEq)]
pub struct InboxItem {
    pub contact: String,
    pub queue: String,
    pub note: String,
    /// When the handoff began: the waiting time runs from it.
    pub since: Millis,
    pub assignee: Option<String>,
    pub last_inbound_at: Option<Millis>,
}

/// An internal note on a contact, seen by the people of the console only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteRow {
    pub id: i64,
    pub author: String,
    pub text: String,
    pub at: Millis,
}

/// An operator's change to a conversation, applied with its audit row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboxChange {
    Note {
        author: String,
        text: String,
    },
    /// Added once: a label the contact has already changes nothing.
    AddLabel(String),
    RemoveLabel(String),
    /// The handoff that began at `since` (refused if another began since) goes to
    /// `queue`, assigned to `assignee` (none: unassigned).
    Assign {
        since: Millis,
        queue: String,
        assignee: Option<String>,
    },
    /// An event for the contact's inbox (an agent's reply or return, stepped like the
    /// admin API's), committed with its audit row.
    Event {
        kind: String,
        payload: String,
    },
}

// ------------------------------------------------------------------ the console's contacts

/// A search of the contacts (the console's Contacts view and its export): every
/// filter given must match; a page at a time, in id order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactQuery {
    /// Ids (phone numbers) that start with this.
    pub prefix: Option<String>,
    /// A field holding exactly this value: its name and the value's stored JSON.
    pub field: Option<(String, String)>,
    pub label: Option<String>,
    /// Opted out (`true`) or not (`false`).
    pub opted_out: Option<bool>,
    /// Ids after this one: the last id of the page before.
    pub after: Option<String>,
    pub limit: usize,
}

/// A contact as a search lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactListing {
    pub row: ContactRow,
    pub labels: Vec<String>,
}

/// One contact of an import: created, or updated with these fields set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactImport {
    pub id: String,
    /// Field names and their values' stored JSON; other fields stay as they are.
    pub fields: Vec<(String, String)>,
    /// Set when the import says (its `opted_in` column).
    pub opted_out: Option<bool>,
    /// Added unless the contact has them already.
    pub labels: Vec<String>,
}

impl ContactImport {
    /// The fields as one JSON object, for a shallow merge into the contact's: a field
    /// given replaces the contact's, the others stay.
    pub(crate) fn fields_object(&self) -> String {
        let members: Vec<String> = self
            .fields
            .iter()
            .map(|(name, value)| format!("{}:{value}", crate::json_string(name)))
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCount {
    pub created: usize,
    pub updated: usize,
}
