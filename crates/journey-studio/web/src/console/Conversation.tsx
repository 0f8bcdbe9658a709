// One conversation: the messages both ways, what the journey did, the contact's fields,
// labels and notes, and what an operator does with it (reply, note, label, assign, give
// back to the bot). Each change is sent with the session's CSRF token (api.ts); a refusal
// is shown in the server's words beside what was tried.

import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, api, localTime, type Conversation, type Message } from "./api";
import { Failure } from "./Failure";
import { ReplyBox } from "./Reply";

interface Props {
  contact: string;
  /** Bumped when the server says this contact changed, and every little while. */
  changes: number;
  /** The queues there are (another team's queue to move the conversation to). */
  teams: string[];
  onChanged: () => void;
  onError: (e: unknown) => void;
}

/** Runs an action, then reads the conversation again; what went wrong, in words. */
export type Act = (what: () => Promise<unknown>) => Promise<boolean>;

export function ConversationPane({ contact, changes, teams, onChanged, onError }: Props) {
  const [view, setView] = useState<Conversation | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api.conversation(contact).then(
      (found) => {
        setView(found);
        setFailure(null);
      },
      (error) => {
        onError(error);
        setFailure(error instanceof ApiError ? error : new ApiError(String(error), 0));
      },
    );
  }, [contact, onError]);

  useEffect(load, [load, changes]);

  const act: Act = async (what) => {
    setBusy(true);
    setProblem(null);
    try {
      await what();
      return true;
    } catch (error) {
      onError(error);
      setProblem(error instanceof Error ? error.message : String(error));
      return false;
    } finally {
      setBusy(false);
      load();
      onChanged();
    }
  };

  if (failure) return <Failure error={failure} />;
  if (!view) return <div className="empty">Loading {contact}…</div>;
  return (
    <main className="conversation" aria-label={`Conversation with ${contact}`} data-testid="conversation">
      <div className="conversation-main">
        <header className="conversation-head">
          <h2>{contact}</h2>
          <span className="handoff-state" data-testid="handoff-state">
            {view.handoff
              ? `In queue ${view.handoff.queue}, ${view.handoff.assignee ? `assigned to ${view.handoff.assignee}` : "unassigned"}`
              : "With the bot"}
          </span>
          {view.opted_out && <span className="badge badge-window">opted out</span>}
        </header>
        <MessageList messages={view.messages} />
        {problem && (
          <p className="form-error" role="alert" data-testid="problem">
            {problem}
          </p>
        )}
        {view.handoff ? (
          <ReplyBox view={view} busy={busy} act={act} />
        ) : (
          <p className="empty">The bot has this conversation: there is nothing to reply to.</p>
        )}
      </div>
      <aside className="conversation-side">
        {view.handoff && <Handling view={view} teams={teams} busy={busy} act={act} />}
        <Labels view={view} busy={busy} act={act} />
        <Notes view={view} busy={busy} act={act} />
        <Section title="Contact fields">
          <FieldList fields={view.fields} />
        </Section>
        <Section title={view.journey ? `Steps of ${view.journey}` : "Steps"}>
          <ol className="steps">
            {view.steps.map((step, i) => (
              <li key={i}>
                <span className="step-at">{localTime(step.at)}</span> {step.event}
                {step.did.length > 0 && `: ${step.did.join(", ")}`}
              </li>
            ))}
          </ol>
        </Section>
      </aside>
    </main>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="side-section" aria-label={title}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

interface Part {
  view: Conversation;
  busy: boolean;
  act: Act;
}

/** Assign (to me, a person, another team's queue) and give back to the bot. */
function Handling({ view, teams, busy, act }: Part & { teams: string[] }) {
  const contact = view.contact;
  const [person, setPerson] = useState("");
  const [team, setTeam] = useState("");
  const [card, setCard] = useState("");
  const submit = (event: FormEvent, what: () => Promise<unknown>, clear: () => void) => {
    event.preventDefault();
    void act(what).then((done) => done && clear());
  };
  return (
    <Section title="Handling">
      <div className="row">
        <button disabled={busy} onClick={() => void act(() => api.assign(contact, "me"))}>
          Assign to me
        </button>
        <button disabled={busy || !view.handoff?.assignee} onClick={() => void act(() => api.assign(contact, null))}>
          Unassign
        </button>
      </div>
      <form className="row" onSubmit={(e) => submit(e, () => api.assign(contact, person.trim()), () => setPerson(""))}>
        <input aria-label="Person to assign to" placeholder="a person's name" value={person} onChange={(e) => setPerson(e.target.value)} />
        <button disabled={busy || !person.trim()}>Assign</button>
      </form>
      <form className="row" onSubmit={(e) => submit(e, () => api.assign(contact, null, team.trim()), () => setTeam(""))}>
        <input aria-label="Team queue to move to" placeholder="a team's queue" list="teams" value={team} onChange={(e) => setTeam(e.target.value)} />
        <datalist id="teams">
          {teams.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <button disabled={busy || !team.trim()}>Move</button>
      </form>
      <form className="row" onSubmit={(e) => submit(e, () => api.returnTo(contact, card), () => setCard(""))}>
        <select aria-label="Card to return to" value={card} onChange={(e) => setCard(e.target.value)}>
          <option value="">{view.cards.length ? "a card of the journey…" : "no journey to return to"}</option>
          {view.cards.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <button disabled={busy || !card}>Return to the bot</button>
      </form>
      <button className="close" disabled={busy} onClick={() => void act(() => api.close(contact))}>
        Close: back to the bot as the journey says
      </button>
    </Section>
  );
}

function Labels({ view, busy, act }: Part) {
  const [label, setLabel] = useState("");
  const add = (event: FormEvent) => {
    event.preventDefault();
    void act(() => api.addLabel(view.contact, label.trim())).then((done) => done && setLabel(""));
  };
  return (
    <Section title="Labels">
      <ul className="labels">
        {view.labels.map((l) => (
          <li key={l} className="label-chip">
            {l}
            <button
              className="link"
              aria-label={`Remove label ${l}`}
              disabled={busy}
              onClick={() => void act(() => api.removeLabel(view.contact, l))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <form className="row" onSubmit={add}>
        <input aria-label="New label" value={label} onChange={(e) => setLabel(e.target.value)} />
        <button disabled={busy || !label.trim()}>Add label</button>
      </form>
    </Section>
  );
}

function Notes({ view, busy, act }: Part) {
  const [text, setText] = useState("");
  const add = (event: FormEvent) => {
    event.preventDefault();
    void act(() => api.note(view.contact, text)).then((done) => done && setText(""));
  };
  return (
    <Section title="Notes">
      <ul className="notes">
        {view.notes.map((note, i) => (
          <li key={i}>
            <p>{note.text}</p>
            <span className="message-meta">
              {note.author} · {localTime(note.at)}
            </span>
          </li>
        ))}
      </ul>
      <form className="column" onSubmit={add}>
        <textarea aria-label="New note" rows={2} placeholder="Only operators see notes" value={text} onChange={(e) => setText(e.target.value)} />
        <button disabled={busy || !text.trim()}>Add note</button>
      </form>
    </Section>
  );
}

/** The messages both ways, oldest first (the conversation, and a contact's profile). */
export function MessageList({ messages }: { messages: Message[] }) {
  return (
    <ol className="messages" aria-label="Messages">
      {messages.map((message, i) => (
        <li key={i} className={`message from-${message.from}`} data-from={message.from}>
          <span className="message-text">{message.text ?? `[${message.kind ?? "message"}]`}</span>
          <span className="message-meta">
            {message.from === "agent" ? (message.agent ?? "agent") : message.from} · {localTime(message.at)}
            {message.state && ` · ${message.delivery ?? message.state}`}
            {message.error && ` · ${message.error}`}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** A contact's fields as the server gives them. */
export function FieldList({ fields }: { fields: Record<string, unknown> }) {
  return (
    <dl className="contact-fields">
      {Object.entries(fields).map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{fieldText(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function fieldText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
