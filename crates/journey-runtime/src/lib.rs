//! The interpreter (brief §5): a pure step function over compiled journeys.
//!
//! `(journeys, run state, contact, event, now) → (new state, effects)`. No I/O, no
//! clock, no randomness that is not seeded from the contact: the same events at the
//! same times give byte-identical states and effects. Around a run, the contact's
//! [`Session`] (triggers, handoffs, opt-out gates, timers) reduces the world's inputs
//! to actions; the containers (`journey run`, `journey test`, `journey serve`)
//! perform the actions and deliver the inputs.

mod engine;
mod event;
mod matching;
mod scope;
pub mod session;
mod state;
pub mod triggers;

use std::collections::BTreeMap;

use journey_expr::{Functions, Value};
use journey_model::{CompiledJourney, StepKind, Transition};
use journey_project::ProjectConfig;
use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};

pub use engine::STEP_CAP;
pub use event::{
    Effect, Event, Header, HttpRequest, Inbound, MenuKind, Outbound, TimerTarget,
    secret_placeholder,
};
pub use matching::{choose, says_keyword};
pub use session::{Action, Input, Reaction, Record, Session, Snapshot};
pub use state::{Frame, RunState, Status};

use engine::{Machine, short_hash};

/// The deployed journeys and what runs need from outside.
pub struct Runtime<'a> {
    pub journeys: &'a [CompiledJourney],
    /// The project's `journey.toml`: its time zone, the titles of template quick
    /// replies, the opt-out keywords.
    pub config: &'a ProjectConfig,
    pub functions: Option<&'a Functions>,
    /// Secret values by name. A run reads only their placeholders (`secret_placeholder`);
    /// the values are for the container that performs HTTP requests.
    pub secrets: BTreeMap<String, String>,
    /// Organisation-wide data, read as `global.<dictionary>.<key>` (Turn's Data tab).
    pub globals: Value,
    /// `[project] timezone`, for contacts without their own.
    time_zone: jiff::tz::TimeZone,
}

/// The contact a run belongs to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The WhatsApp id (phone number).
    pub id: String,
    pub fields: BTreeMap<String, Value>,
}

impl Contact {
    pub fn new(id: impl Into<String>) -> Self {
        Contact {
            id: id.into(),
            fields: BTreeMap::new(),
        }
    }

    /// `contact.language`, when set.
    pub fn language(&self) -> Option<String> {
        match self.fields.get("language") {
            Some(Value::Text(language)) if !language.is_empty() => Some(language.clone()),
            _ => None,
        }
    }

    /// `contact.timezone`, when it names a known IANA time zone.
    pub fn time_zone(&self) -> Option<jiff::tz::TimeZone> {
        match self.fields.get("timezone") {
            Some(Value::Text(name)) => jiff::tz::TimeZone::get(name).ok(),
            _ => None,
        }
    }

    /// What expressions see as `contact`: the fields plus `whatsapp_id`.
    pub fn as_value(&self) -> Value {
        let mut map = self.fields.clone();
        map.entry("whatsapp_id".to_owned())
            .or_insert_with(|| Value::Text(self.id.clone()));
        Value::Map(map)
    }

    /// A stable per-contact seed (FNV-1a of the id) for deterministic randomness.
    fn seed(&self) -> u64 {
        self.id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
            (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

/// The result of one start or step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub state: RunState,
    /// The contact with this step's `update_contact`s applied.
    pub contact: Contact,
    pub effects: Vec<Effect>,
    /// The cards entered, in order, as `(journey, card)` (not part of a step's
    /// serialised record).
    #[serde(skip)]
    pub visits: Vec<(String, String)>,
}

impl<'a> Runtime<'a> {
    pub fn new(journeys: &'a [CompiledJourney], config: &'a ProjectConfig) -> Self {
        Runtime {
            journeys,
            config,
            functions: None,
            secrets: BTreeMap::new(),
            globals: Value::Map(BTreeMap::new()),
            time_zone: jiff::tz::TimeZone::get(&config.project.timezone)
                .unwrap_or(jiff::tz::TimeZone::UTC),
        }
    }

    pub fn with_functions(mut self, functions: &'a Functions) -> Self {
        self.functions = Some(functions);
        self
    }

    pub fn with_secrets(mut self, secrets: BTreeMap<String, String>) -> Self {
        self.secrets = secrets;
        self
    }

    pub fn with_globals(mut self, globals: Value) -> Self {
        self.globals = globals;
        self
    }

    /// The contact's time zone (`contact.timezone`), else the project's.
    pub fn time_zone(&self, contact: &Contact) -> jiff::tz::TimeZone {
        contact
            .time_zone()
            .unwrap_or_else(|| self.time_zone.clone())
    }

    /// The latest deployed version of a journey: the last one with this name. New runs
    /// start on it.
    pub fn journey(&self, name: &str) -> Option<&'a CompiledJourney> {
        self.journeys.iter().rev().find(|j| j.name == name)
    }

    /// A specific version (the short content hash a run is pinned to). Runs in
    /// flight finish on their version while newer ones are deployed beside it.
    pub fn journey_version(&self, name: &str, version: &str) -> Option<&'a CompiledJourney> {
        self.journeys
            .iter()
            .rev()
            .find(|j| j.name == name && (version.is_empty() || j.hash.starts_with(version)))
    }

    /// Starts `journey` for a contact. `inbound` is the message that triggered it,
    /// if a message did (it is `event.message` for the first card).
    pub fn start(
        &self,
        journey: &str,
        contact: &Contact,
        inbound: Option<Inbound>,
        now: jiff::Timestamp,
    ) -> Outcome {
        let (version, entry) = match self.journey(journey) {
            Some(j) => (short_hash(&j.hash), j.entry),
            None => (String::new(), None),
        };
        let state = RunState {
            journey: journey.to_owned(),
            version,
            status: Status::Ended,
            vars: BTreeMap::new(),
            stack: Vec::new(),
            seq: 0,
        };
        let mut machine = Machine::new(self, state, contact.clone(), now, inbound);
        match entry {
            Some(entry) => machine.run_from(entry),
            None => machine.fail(format!(
                "journey `{journey}` is not deployed, or has no cards"
            )),
        }
        finish(machine)
    }

    /// Delivers one event to a run.
    pub fn step(
        &self,
        state: RunState,
        contact: &Contact,
        event: Event,
        now: jiff::Timestamp,
    ) -> Outcome {
        let inbound = match &event {
            Event::Message(inbound) => Some(inbound.clone()),
            _ => None,
        };
        let mut machine = Machine::new(self, state, contact.clone(), now, inbound);
        if machine.state.is_active()
            && let Err(engine::Stop::Fail(message)) = machine.journey()
        {
            machine.fail(message);
            return finish(machine);
        }
        if let Some(next) = resume(&mut machine, event) {
            machine.run_from(next);
        }
        finish(machine)
    }
}

fn finish(machine: Machine<'_>) -> Outcome {
    Outcome {
        state: machine.state,
        contact: machine.contact,
        effects: machine.effects,
        visits: machine.visits,
    }
}

/// Where an event takes a waiting run, if anywhere.
fn resume(m: &mut Machine<'_>, event: Event) -> Option<NodeIndex> {
    let journey = m.journey().ok()?;
    match (m.state.status.clone(), event) {
        // A follow-up timer for a card moves the run there, whatever it was doing,
        // and even after it ended (Turn's scheduled stacks start afresh).
        (
            _,
            Event::Timer {
                target:
                    TimerTarget::Card {
                        journey: name,
                        card,
                    },
                ..
            },
        ) => {
            let target = m.rt.journey(&name)?;
            let entry = target.card(target.card_by_name(&card)?).entry;
            m.cancel_wait_timer();
            m.state.journey = target.name.clone();
            m.state.version = short_hash(&target.hash);
            m.state.stack.clear();
            Some(entry)
        }
        (
            Status::Waiting {
                node,
                timer: Some(timer),
                ..
            },
            Event::Timer { id, .. },
        )
        | (
            Status::Handoff {
                node,
                timer: Some(timer),
                ..
            },
            Event::Timer { id, .. },
        ) if timer == id => {
            m.cancel_wait_timer();
            m.follow(journey, NodeIndex::new(node as usize), &Transition::Timeout)
        }
        (Status::Waiting { node, choices, .. }, Event::Message(inbound)) => {
            let node = NodeIndex::new(node as usize);
            if let Some(target) = interrupt(m, journey, node, &inbound) {
                m.cancel_wait_timer();
                return Some(target);
            }
            reply(m, journey, node, &inbound, &choices)
        }
        (
            Status::Http { node, request },
            Event::Http {
                request: id,
                status,
                body,
            },
        ) if id == request => {
            let node = NodeIndex::new(node as usize);
            if let StepKind::Http { var: Some(var), .. } = &journey.graph[node].kind {
                let response = Value::Map(BTreeMap::from([
                    ("status".to_owned(), Value::Number(f64::from(status))),
                    ("body".to_owned(), body),
                ]));
                m.state.vars.insert(var.clone(), response);
            }
            let failed = !(200..300).contains(&status);
            let error_edge = m.follow(journey, node, &Transition::Error);
            match (failed, error_edge) {
                (true, Some(target)) => Some(target),
                _ => m.follow(journey, node, &Transition::Next),
            }
        }
        // Opting out works even with an agent: WhatsApp requires it to be honoured.
        (Status::Handoff { .. }, Event::Message(inbound)) => {
            let target = opt_out(m, journey, &inbound)?;
            m.cancel_wait_timer();
            m.effects.push(Effect::Log {
                text: "the contact opted out during a handoff; the bot took the conversation back"
                    .to_owned(),
            });
            Some(target)
        }
        (Status::Handoff { node, .. }, Event::HandoffReturned) => {
            m.cancel_wait_timer();
            m.follow(journey, NodeIndex::new(node as usize), &Transition::Return)
        }
        // Anything else (a message during a handoff, a late HTTP response, a message
        // to a finished run) changes nothing.
        _ => None,
    }
}

/// A journey-level interrupt keyword said at a waiting step.
fn interrupt(
    m: &Machine<'_>,
    journey: &CompiledJourney,
    node: NodeIndex,
    inbound: &Inbound,
) -> Option<NodeIndex> {
    let index = journey
        .interrupts
        .iter()
        .position(|i| says_keyword(&inbound.text, &i.keywords))?;
    m.follow(
        journey,
        node,
        &Transition::Interrupt {
            index: index as u32,
        },
    )
}

/// The target of an interrupt that catches the project's opt-out keywords, when the
/// message says one of them.
fn opt_out(m: &Machine<'_>, journey: &CompiledJourney, inbound: &Inbound) -> Option<NodeIndex> {
    if !says_keyword(&inbound.text, &m.rt.config.keywords.opt_out) {
        return None;
    }
    let interrupt = journey
        .interrupts
        .iter()
        .find(|i| says_keyword(&inbound.text, &i.keywords))?;
    Some(journey.card(interrupt.target.as_ref()?.card).entry)
}

/// An answer to a question, menu or template.
fn reply(
    m: &mut Machine<'_>,
    journey: &CompiledJourney,
    node: NodeIndex,
    inbound: &Inbound,
    choices: &[(String, String)],
) -> Option<NodeIndex> {
    let step = &journey.graph[node];
    let chosen: Option<(Transition, Option<(String, Value)>)> = match &step.kind {
        StepKind::Ask { var, validate, .. } => {
            let valid = match validate {
                Some(expr) => m.condition(expr).unwrap_or(false),
                None => true,
            };
            valid.then(|| {
                let bound = var.clone().map(|v| (v, Value::Text(inbound.text.clone())));
                (Transition::Reply, bound)
            })
        }
        StepKind::Menu(menu) => match &menu.options {
            journey_model::MenuOptions::Static(options) => {
                let shown: Vec<(String, String)> = engine::option_ids(journey, options)
                    .into_iter()
                    .zip(menu_titles(m, journey, options))
                    .collect();
                choose(&shown, inbound.reply_id.as_deref(), &inbound.text).map(|index| {
                    // Turn stores the option's name, not its title (see `option_name`).
                    let bound = menu.var.clone().map(|v| {
                        let name = journey.card(options[index].card).option_name();
                        (v, Value::Text(name))
                    });
                    (
                        Transition::Option {
                            index: index as u32,
                        },
                        bound,
                    )
                })
            }
            journey_model::MenuOptions::Dynamic { .. } => {
                choose(choices, inbound.reply_id.as_deref(), &inbound.text).map(|index| {
                    let bound = menu
                        .var
                        .clone()
                        .map(|v| (v, Value::Text(choices[index].0.clone())));
                    (Transition::Reply, bound)
                })
            }
        },
        // The quick replies as the template showed them (titles from journey.toml), or
        // Turn's payload for one: its card's option name (`EDDGotIt` is `edd_got_it`).
        StepKind::Template(template) => {
            let payload = |said: &str| {
                template
                    .buttons
                    .iter()
                    .position(|&card| journey.card(card).option_name() == said.trim())
            };
            let reply_id = inbound.reply_id.as_deref();
            let chosen = choose(choices, reply_id, &inbound.text)
                .or_else(|| reply_id.and_then(payload))
                .or_else(|| payload(&inbound.text));
            chosen.map(|index| {
                (
                    Transition::Option {
                        index: index as u32,
                    },
                    None,
                )
            })
        }
        _ => None,
    };
    match chosen {
        Some((transition, bound)) => {
            m.cancel_wait_timer();
            if let Some((var, value)) = bound {
                m.state.vars.insert(var, value);
            }
            m.follow(journey, node, &transition)
        }
        None => {
            // Turn: a typed answer that matches no option is still the menu's value
            // (journeys read it after the `then:` fallback).
            if let StepKind::Menu(menu) = &step.kind
                && let Some(var) = &menu.var
            {
                m.state
                    .vars
                    .insert(var.clone(), Value::Text(inbound.text.clone()));
            }
            match m.invalid(node) {
                Ok(next) => next,
                Err(engine::Stop::Fail(message)) => {
                    m.fail(message);
                    None
                }
            }
        }
    }
}

/// The titles a static menu showed, for matching typed answers.
fn menu_titles(
    m: &Machine<'_>,
    journey: &CompiledJourney,
    options: &[journey_model::MenuOption],
) -> Vec<String> {
    options
        .iter()
        .map(|o| m.option_title(journey, o).unwrap_or_default())
        .collect()
}
