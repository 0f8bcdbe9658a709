//! The step loop: from a node, run steps until the run must wait for the outside
//! world, ends, or fails. Every step costs one unit of the per-event step cap, so a
//! loop without a wait fails the run with a clear error instead of spinning.

use std::collections::BTreeMap;

use journey_expr::{Budget, Env, EvalError, Value};
use journey_model::{
    CompiledJourney, EffectStep, HttpCall, MenuKind as ModelMenuKind, MenuOptions, Message,
    MessageKind, ScheduleTime, StepKind, Target, Transition,
};
use journey_project::FieldType;
use journey_syntax::Expr;
use petgraph::stable_graph::NodeIndex;

use crate::event::{Effect, Header, HttpRequest, Inbound, MenuKind, Outbound, TimerTarget};
use crate::scope::RunScope;
use crate::state::{Frame, RunState, Status};
use crate::{Contact, Runtime};

static EMPTY_CONFIG: BTreeMap<String, String> = BTreeMap::new();
type Tables = BTreeMap<String, Vec<BTreeMap<String, String>>>;
static EMPTY_TABLES: Tables = BTreeMap::new();

/// Steps one event may run before the run is stopped as a runaway loop.
pub const STEP_CAP: u32 = 1_000;
/// Default HTTP timeout, in milliseconds (Turn's default; its cap is 20 s).
const HTTP_TIMEOUT_MS: u64 = 5_000;
const REPROMPT: &str = "Sorry, I didn't understand that. Please try again.";

/// One event's worth of execution.
pub(crate) struct Machine<'a> {
    pub(crate) rt: &'a Runtime<'a>,
    pub(crate) state: RunState,
    /// The contact as this step sees it: `update_contact` applies at once.
    pub(crate) contact: Contact,
    pub(crate) now: jiff::Timestamp,
    pub(crate) inbound: Option<Inbound>,
    pub(crate) effects: Vec<Effect>,
    /// The cards entered, in order, as `(journey, card)`: what the console's funnel
    /// counts.
    pub(crate) visits: Vec<(String, String)>,
    steps: u32,
}

/// Why the loop stopped early.
pub(crate) enum Stop {
    /// A failed expression or a runaway loop: the run fails with this message.
    Fail(String),
}

impl<'a> Machine<'a> {
    pub(crate) fn new(
        rt: &'a Runtime<'a>,
        state: RunState,
        contact: Contact,
        now: jiff::Timestamp,
        inbound: Option<Inbound>,
    ) -> Self {
        Machine {
            rt,
            state,
            contact,
            now,
            inbound,
            effects: Vec::new(),
            visits: Vec::new(),
            steps: 0,
        }
    }

    /// The version of the journey the run is pinned to.
    pub(crate) fn journey(&self) -> Result<&'a CompiledJourney, Stop> {
        let (name, version) = (&self.state.journey, &self.state.version);
        self.rt.journey_version(name, version).ok_or_else(|| {
            Stop::Fail(match self.rt.journey(name) {
                Some(_) => format!(
                    "version {version} of journey `{name}` is no longer deployed; the run cannot go on"
                ),
                None => format!("journey `{name}` is not deployed"),
            })
        })
    }

    /// Runs from `node` until the run waits, ends or fails.
    pub(crate) fn run_from(&mut self, node: NodeIndex) {
        if let Err(Stop::Fail(message)) = self.run(node) {
            self.fail(message);
        }
    }

    /// Ends the run with an error that operators see.
    pub(crate) fn fail(&mut self, message: String) {
        self.effects.push(Effect::Error {
            message: message.clone(),
        });
        self.state.status = Status::Failed { error: message };
    }

    fn run(&mut self, mut node: NodeIndex) -> Result<(), Stop> {
        loop {
            self.steps += 1;
            if self.steps > STEP_CAP {
                return Err(Stop::Fail(format!(
                    "stopped after {STEP_CAP} steps without waiting for the contact: the journey loops \
                     (see `journey rule J202`)"
                )));
            }
            match self.execute(node)? {
                Some(next) => node = next,
                None => return Ok(()),
            }
        }
    }

    /// Performs one step; returns the next node, or `None` when the run stops here.
    fn execute(&mut self, node: NodeIndex) -> Result<Option<NodeIndex>, Stop> {
        let journey = self.journey()?;
        let step = &journey.graph[node];
        match &step.kind {
            StepKind::CardEntry => {
                let card = journey.card(step.card).name.clone();
                self.visits.push((journey.name.clone(), card));
                self.branch(journey, node).map(Some)
            }
            StepKind::Branch => self.branch(journey, node).map(Some),
            StepKind::Assign { var, value } => {
                let value = self.eval(value)?;
                self.state.vars.insert(var.clone(), value);
                Ok(self.follow(journey, node, &Transition::Next))
            }
            StepKind::Send(message) => {
                let outbound = self.message(message)?;
                self.effects.push(Effect::Send(outbound));
                Ok(self.follow(journey, node, &Transition::Next))
            }
            StepKind::Ask { prompt, input, .. } => {
                let outbound = self.message(prompt)?;
                self.effects.push(Effect::Send(outbound));
                self.wait(
                    node,
                    input.retries.as_ref(),
                    input.timeout.as_ref(),
                    Vec::new(),
                )?;
                Ok(None)
            }
            StepKind::Menu(menu) => {
                let (outbound, choices) = self.menu(menu)?;
                self.effects.push(Effect::Send(outbound));
                self.wait(
                    node,
                    menu.input.retries.as_ref(),
                    menu.input.timeout.as_ref(),
                    choices,
                )?;
                Ok(None)
            }
            StepKind::Template(template) => {
                let params = template
                    .params
                    .iter()
                    .map(|p| self.eval(p).map(|v| v.to_text()))
                    .collect::<Result<Vec<_>, _>>()?;
                let name = self.eval(&template.name)?.to_text();
                let language = self.eval(&template.language)?.to_text();
                // Quick replies show the titles registered in journey.toml; the card
                // each leads to is the reply's id.
                let registered = self.rt.config.template(&name, &language);
                let choices: Vec<(String, String)> = template
                    .buttons
                    .iter()
                    .enumerate()
                    .map(|(i, &card)| {
                        let title = registered
                            .and_then(|t| t.buttons.get(i))
                            .map_or_else(|| journey.card(card).title(), |b| b.text.clone());
                        (journey.card(card).name.clone(), title)
                    })
                    .collect();
                self.effects.push(Effect::Send(Outbound::Template {
                    name,
                    language,
                    params,
                    buttons: choices.iter().map(|(_, title)| title.clone()).collect(),
                }));
                if choices.is_empty() {
                    return Ok(self.follow(journey, node, &Transition::Next));
                }
                self.wait(node, None, None, choices)?;
                Ok(None)
            }
            StepKind::Effect(effect) => {
                self.effect(effect)?;
                Ok(self.follow(journey, node, &Transition::Next))
            }
            StepKind::Http {
                method, request, ..
            } => {
                let request = self.http_request(method, request)?;
                let id = request.id.clone();
                self.effects.push(Effect::Http(request));
                self.state.status = Status::Http {
                    node: node.index() as u32,
                    request: id,
                };
                Ok(None)
            }
            StepKind::Schedule { target, when } => {
                self.schedule(journey, target, when)?;
                Ok(self.follow(journey, node, &Transition::Next))
            }
            StepKind::Cancel { target } => {
                let target = target.as_ref().map(|t| timer_target(journey, t));
                self.effects.push(Effect::CancelTimers { target });
                Ok(self.follow(journey, node, &Transition::Next))
            }
            StepKind::RunJourney { journey: callee } => {
                let Some(child) = self.rt.journey(&callee.name) else {
                    return Err(Stop::Fail(format!(
                        "`run_stack` names journey `{}`, which is not deployed",
                        callee.name
                    )));
                };
                let resume = self.follow(journey, node, &Transition::Next);
                if let Some(resume) = resume {
                    self.state.stack.push(Frame {
                        journey: self.state.journey.clone(),
                        version: self.state.version.clone(),
                        resume: resume.index() as u32,
                    });
                }
                self.state.journey = child.name.clone();
                self.state.version = short_hash(&child.hash);
                Ok(child.entry)
            }
            StepKind::Handoff(handoff) => {
                let queue = self
                    .text_of(handoff.queue.as_ref())?
                    .unwrap_or_else(|| "default".to_owned());
                let note = self.text_of(handoff.note.as_ref())?.unwrap_or_default();
                let template = self.text_of(handoff.template.as_ref())?;
                self.effects.push(Effect::Handoff {
                    queue,
                    note,
                    template,
                });
                let timer = match &handoff.timeout {
                    Some(timeout) => Some(self.schedule_timeout(timeout)?),
                    None => None,
                };
                self.state.status = Status::Handoff {
                    node: node.index() as u32,
                    timer,
                };
                Ok(None)
            }
            StepKind::End { explicit } => Ok(self.end(*explicit)),
        }
    }

    /// Guards in order, then the default edge.
    fn branch(&mut self, journey: &CompiledJourney, node: NodeIndex) -> Result<NodeIndex, Stop> {
        let mut default = None;
        for (_, transition, target) in journey.edges_from(node) {
            match transition {
                Transition::Guard { expr, .. } if self.condition(expr)? => return Ok(target),
                Transition::Default => default = default.or(Some(target)),
                _ => {}
            }
        }
        default.ok_or_else(|| Stop::Fail("no guard held and the card has no fallback".to_owned()))
    }

    /// The target of the first edge of this kind, if any.
    pub(crate) fn follow(
        &self,
        journey: &CompiledJourney,
        node: NodeIndex,
        want: &Transition,
    ) -> Option<NodeIndex> {
        journey
            .edges_from(node)
            .into_iter()
            .find(|(_, transition, _)| *transition == want)
            .map(|(_, _, target)| target)
    }

    /// The end of a journey: back to the caller of a sub-journey, or, for
    /// `end_journey()` or the outermost journey, the end of the run.
    fn end(&mut self, explicit: bool) -> Option<NodeIndex> {
        if explicit {
            self.state.stack.clear();
        }
        match self.state.stack.pop() {
            Some(frame) => {
                self.state.journey = frame.journey;
                self.state.version = frame.version;
                Some(NodeIndex::new(frame.resume as usize))
            }
            None => {
                self.state.status = Status::Ended;
                self.effects.push(Effect::Ended);
                None
            }
        }
    }

    fn wait(
        &mut self,
        node: NodeIndex,
        retries: Option<&Expr>,
        timeout: Option<&Expr>,
        choices: Vec<(String, String)>,
    ) -> Result<(), Stop> {
        let retries = match retries {
            Some(expr) => self.eval(expr)?.as_count(),
            None => 0,
        };
        let timer = match timeout {
            Some(expr) => Some(self.schedule_timeout(expr)?),
            None => None,
        };
        self.state.status = Status::Waiting {
            node: node.index() as u32,
            retries,
            timer,
            choices,
        };
        Ok(())
    }

    fn schedule_timeout(&mut self, timeout: &Expr) -> Result<String, Stop> {
        let seconds = self.eval(timeout)?.as_count();
        let id = self.state.next_id("timeout");
        self.effects.push(Effect::ScheduleTimer {
            id: id.clone(),
            at: self.later(i64::from(seconds)),
            target: TimerTarget::Timeout,
        });
        Ok(id)
    }

    fn later(&self, seconds: i64) -> jiff::Timestamp {
        self.now
            .checked_add(jiff::SignedDuration::from_secs(seconds))
            .unwrap_or(jiff::Timestamp::MAX)
    }

    fn schedule(
        &mut self,
        journey: &CompiledJourney,
        target: &Target,
        when: &ScheduleTime,
    ) -> Result<(), Stop> {
        let at = match when {
            ScheduleTime::In { delay, .. } => {
                let seconds = self.eval(delay)?;
                let Value::Number(seconds) = seconds else {
                    return Err(Stop::Fail(format!(
                        "`in:` must be a duration, not {}",
                        seconds.to_text()
                    )));
                };
                self.later(seconds as i64)
            }
            ScheduleTime::At(at) => match self.eval(at)? {
                Value::DateTime(at) => at,
                other => {
                    return Err(Stop::Fail(format!(
                        "`at:` must be a date-time, not `{}`",
                        other.to_text()
                    )));
                }
            },
        };
        let id = self.state.next_id("timer");
        self.effects.push(Effect::ScheduleTimer {
            id,
            at,
            target: timer_target(journey, target),
        });
        Ok(())
    }

    /// What a field declared in journey.toml stores: its type's value (`"1990"` in a
    /// number field is 1990, `"false"` in a boolean field is `false`), as Turn's typed
    /// fields do.
    fn field_value(&self, field: &str, value: Value) -> Value {
        let kind = self.rt.config.field(field).map(|spec| spec.kind);
        value.typed(
            kind == Some(FieldType::Number),
            kind == Some(FieldType::Boolean),
        )
    }

    fn effect(&mut self, effect: &EffectStep) -> Result<(), Stop> {
        match effect {
            EffectStep::UpdateContact(fields) => {
                for (field, value) in fields {
                    let value = self.field_value(&field.name, self.eval(value)?);
                    self.contact
                        .fields
                        .insert(field.name.clone(), value.clone());
                    self.effects.push(Effect::UpdateContact {
                        field: field.name.clone(),
                        value,
                    });
                }
            }
            EffectStep::WriteResult { key, value, .. } => {
                let key = self.eval(key)?.to_text();
                let value = self.eval(value)?;
                self.effects.push(Effect::WriteResult { key, value });
            }
            EffectStep::AddLabel(label) => {
                let label = self.eval(label)?.to_text();
                self.effects.push(Effect::AddLabel { label });
            }
            EffectStep::Log(text) => {
                let text = self.eval(text)?.to_text();
                self.effects.push(Effect::Log { text });
            }
            EffectStep::SendContent(_) => self.effects.push(Effect::Log {
                text: "`send_content` (Turn's content library) is not supported; skipped"
                    .to_owned(),
            }),
            // A project helper called for its own sake, or an unknown function: evaluate
            // it like any call, so that an unknown one fails the run with its name.
            EffectStep::Evaluate(call) => {
                self.eval(call)?;
            }
        }
        Ok(())
    }

    fn http_request(&mut self, method: &str, call: &HttpCall) -> Result<HttpRequest, Stop> {
        let url = self.eval(&call.url)?.to_text();
        let pairs = |m: &mut Self, arg: &Option<Expr>| -> Result<Vec<(String, String)>, Stop> {
            let Some(arg) = arg else {
                return Ok(Vec::new());
            };
            Ok(match m.eval(arg)? {
                Value::List(items) => items
                    .iter()
                    .filter_map(|pair| match pair {
                        Value::List(kv) if kv.len() == 2 => {
                            Some((kv[0].to_text(), kv[1].to_text()))
                        }
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            })
        };
        let headers = pairs(self, &call.headers)?;
        let query = pairs(self, &call.query)?;
        let body = self.text_of(call.body.as_ref())?;
        let timeout = match &call.timeout {
            Some(timeout) => self.eval(timeout)?.as_count().into(),
            None => HTTP_TIMEOUT_MS,
        };
        Ok(HttpRequest {
            id: self.state.next_id("http"),
            method: method.to_owned(),
            url,
            headers,
            query,
            body,
            timeout,
        })
    }

    /// A text, media or footer message, in the contact's language when a variant exists.
    fn message(&mut self, message: &Message) -> Result<Outbound, Stop> {
        let body = self.localised(message)?;
        Ok(match message.kind {
            MessageKind::Text | MessageKind::Footer | MessageKind::Header => {
                Outbound::Text { body }
            }
            kind => {
                let caption = self.text_of(message.caption.as_ref())?;
                Outbound::Media {
                    kind: kind.name().to_owned(),
                    url: body,
                    caption,
                }
            }
        })
    }

    /// The variant for `contact.language`, else the default text.
    fn localised(&mut self, message: &Message) -> Result<String, Stop> {
        let language = self.contact.language();
        let chosen = message
            .translations
            .iter()
            .find(|(lang, _)| Some(lang.as_str()) == language.as_deref())
            .map_or(&message.body, |(_, expr)| expr);
        Ok(self.eval(chosen)?.to_text())
    }

    fn menu(
        &mut self,
        menu: &journey_model::Menu,
    ) -> Result<(Outbound, Vec<(String, String)>), Stop> {
        let journey = self.journey()?;
        let mut header = None;
        let mut footer = None;
        let mut body = String::new();
        for message in &menu.body {
            match message.kind {
                MessageKind::Text => body = self.localised(message)?,
                MessageKind::Footer => footer = Some(self.localised(message)?),
                MessageKind::Header => header = Some(Header::Text(self.localised(message)?)),
                kind => {
                    header = Some(Header::Media {
                        kind: kind.name().to_owned(),
                        url: self.localised(message)?,
                    })
                }
            }
        }
        let (options, choices) = match &menu.options {
            MenuOptions::Static(options) => {
                let mut shown = Vec::new();
                for (option, id) in options.iter().zip(option_ids(journey, options)) {
                    shown.push((id, self.option_title(journey, option)?));
                }
                (shown, Vec::new())
            }
            MenuOptions::Dynamic { choices } => {
                let shown = self.dynamic_choices(choices)?;
                (shown.clone(), shown)
            }
        };
        let button = self.text_of(menu.button_text.as_ref())?;
        let kind = match menu.kind {
            ModelMenuKind::Buttons => MenuKind::Buttons,
            ModelMenuKind::List => MenuKind::List,
        };
        Ok((
            Outbound::Interactive {
                kind,
                header,
                body,
                footer,
                button,
                options,
            },
            choices,
        ))
    }

    /// `[[value, label], …]` (or plain values, each its own label).
    fn dynamic_choices(&mut self, choices: &Expr) -> Result<Vec<(String, String)>, Stop> {
        match self.eval(choices)? {
            Value::List(items) => Ok(items
                .iter()
                .map(|item| match item {
                    Value::List(pair) if pair.len() >= 2 => (pair[0].to_text(), pair[1].to_text()),
                    other => (other.to_text(), other.to_text()),
                })
                .collect()),
            other => Err(Stop::Fail(format!(
                "menu choices must be a list, not `{}`",
                other.to_text()
            ))),
        }
    }

    /// An optional argument's value as text.
    fn text_of(&self, expr: Option<&Expr>) -> Result<Option<String>, Stop> {
        expr.map(|e| self.eval(e).map(|v| v.to_text())).transpose()
    }

    /// A menu option's title: its inline label, else its card's display label, which may
    /// be an expression (`card ThisMonth, "@datevalue(m, \"%B\")"`) evaluated as it is
    /// offered; else the card's name.
    pub(crate) fn option_title(
        &self,
        journey: &CompiledJourney,
        option: &journey_model::MenuOption,
    ) -> Result<String, Stop> {
        let card = journey.card(option.card);
        match option.label.as_ref().or_else(|| card.label()) {
            Some(label) => Ok(self.eval(label)?.to_text()),
            None => Ok(card.name.clone()),
        }
    }

    pub(crate) fn eval(&self, expr: &Expr) -> Result<Value, Stop> {
        self.with_env(|env, budget| journey_expr::eval(expr, env, budget))
    }

    pub(crate) fn condition(&self, expr: &Expr) -> Result<bool, Stop> {
        self.with_env(|env, budget| journey_expr::condition(expr, env, budget))
    }

    fn with_env<T>(
        &self,
        f: impl FnOnce(&Env<'_>, &mut Budget) -> Result<T, EvalError>,
    ) -> Result<T, Stop> {
        let journey = self.journey().ok();
        let scope = RunScope {
            vars: &self.state.vars,
            contact: &self.contact,
            inbound: self.inbound.as_ref(),
            secrets: &self.rt.secrets,
            journey: &self.state.journey,
            config: journey.map_or(&EMPTY_CONFIG, |j| &j.config),
            tables: journey.map_or(&EMPTY_TABLES, |j| &j.tables),
            globals: &self.rt.globals,
        };
        let env = Env {
            scope: &scope,
            now: self.now,
            time_zone: self.rt.time_zone(&self.contact),
            functions: self.rt.functions,
            seed: self.contact.seed() ^ u64::from(self.state.seq),
        };
        let mut budget = Budget::default();
        f(&env, &mut budget).map_err(|e| Stop::Fail(e.message))
    }

    /// Re-prompts after an invalid answer, or takes the `Invalid` edge when no
    /// re-prompt is left.
    pub(crate) fn invalid(&mut self, node: NodeIndex) -> Result<Option<NodeIndex>, Stop> {
        let journey = self.journey()?;
        let Status::Waiting { retries, .. } = &mut self.state.status else {
            return Ok(None);
        };
        if *retries > 0 {
            *retries -= 1;
            let text = match &journey.graph[node].kind {
                StepKind::Ask { input, .. } => input.error.as_ref(),
                StepKind::Menu(menu) => menu.input.error.as_ref(),
                _ => None,
            };
            let body = match text {
                Some(expr) => self.eval(expr)?.to_text(),
                None => REPROMPT.to_owned(),
            };
            self.effects.push(Effect::Send(Outbound::Text { body }));
            let prompt = match &journey.graph[node].kind {
                StepKind::Ask { prompt, .. } => Some(self.message(prompt)?),
                StepKind::Menu(menu) => Some(self.menu(menu)?.0),
                _ => None,
            };
            if let Some(prompt) = prompt {
                self.effects.push(Effect::Send(prompt));
            }
            return Ok(None);
        }
        self.cancel_wait_timer();
        Ok(self.follow(journey, node, &Transition::Invalid))
    }

    /// The pending timeout of the current wait is no longer needed.
    pub(crate) fn cancel_wait_timer(&mut self) {
        let timer = match &mut self.state.status {
            Status::Waiting { timer, .. } | Status::Handoff { timer, .. } => timer.take(),
            _ => None,
        };
        if let Some(id) = timer {
            self.effects.push(Effect::CancelTimer { id });
        }
    }
}

/// The reply ids of a menu's options: each card's name, with `#2`, `#3`… when several
/// options lead to one card (WhatsApp refuses a message whose ids repeat).
pub(crate) fn option_ids(
    journey: &CompiledJourney,
    options: &[journey_model::MenuOption],
) -> Vec<String> {
    let mut ids: Vec<String> = Vec::with_capacity(options.len());
    for option in options {
        let name = &journey.card(option.card).name;
        let earlier = ids
            .iter()
            .filter(|id| id.split('#').next() == Some(name.as_str()))
            .count();
        ids.push(if earlier == 0 {
            name.clone()
        } else {
            format!("{name}#{}", earlier + 1)
        });
    }
    ids
}

fn timer_target(journey: &CompiledJourney, target: &Target) -> TimerTarget {
    match target {
        Target::Card(card) => TimerTarget::Card {
            journey: journey.name.clone(),
            card: journey.card(*card).name.clone(),
        },
        Target::Journey(reference) => TimerTarget::Journey {
            journey: reference.name.clone(),
        },
    }
}

pub(crate) fn short_hash(hash: &str) -> String {
    hash.chars().take(16).collect()
}

/// Values as counts: numbers rounded down and clamped; anything else is 0.
trait AsCount {
    fn as_count(&self) -> u32;
}

impl AsCount for Value {
    fn as_count(&self) -> u32 {
        match self {
            Value::Number(n) if n.is_finite() && *n > 0.0 => n.min(f64::from(u32::MAX)) as u32,
            _ => 0,
        }
    }
}
