// The selected card as forms: each change is one edit operation. Statements without a form
// are shown as their code, editable as code.

import { useEffect, useRef, useState } from "react";
import type { CardView, Completion, StatementView, TemplateSetting, Translation } from "./api";
import { api, sliceBytes } from "./api";
import { EXIT_WORDS } from "./layout";
import { languageName } from "./Settings";
import { exitRef, literal, ops } from "./ops";
import type { At, Base, ExitRef } from "./ops";
import { useStudio } from "./store";

/** Where a statement is, for the operations that change it. */
interface Place {
  base: Base;
  at: At;
}

/** WhatsApp's limits on interactive messages. */
export const LIMITS = {
  buttons: { count: 3, title: 20, noun: "buttons" },
  list: { count: 10, title: 24, noun: "rows" },
  rowDescription: 72,
} as const;

/** The named arguments each form offers, whether the statement has them yet or not. */
const FIELDS: Record<string, { name: string; label: string; text?: boolean; card?: boolean }[]> = {
  ask: [
    { name: "timeout", label: "No answer after (e.g. 2h)" },
    { name: "on_timeout", label: "Then go to", card: true },
    { name: "validate", label: "A valid answer is (expression)" },
    { name: "error", label: "Message after an invalid answer", text: true },
    { name: "retries", label: "Ask again at most (times)" },
    { name: "on_invalid", label: "After the last try go to", card: true },
  ],
  buttons: [
    { name: "timeout", label: "No answer after (e.g. 4h)" },
    { name: "on_timeout", label: "Then go to", card: true },
  ],
  list: [
    { name: "timeout", label: "No answer after (e.g. 4h)" },
    { name: "on_timeout", label: "Then go to", card: true },
  ],
  handoff: [
    { name: "queue", label: "Team", text: true },
    { name: "note", label: "Note for the person", text: true },
    { name: "on_return", label: "When handed back go to", card: true },
    { name: "timeout", label: "Nobody answers within (e.g. 30m)" },
    { name: "on_timeout", label: "Then go to (fallback)", card: true },
  ],
  schedule: [{ name: "in", label: "After (e.g. 23h)" }],
};

const TEMPLATES: { label: string; source: string }[] = [
  { label: "Message", source: 'text("Hello!")' },
  { label: "Buttons", source: 'buttons(Yes: "Yes", No: "No") do\n    text("Choose one")\n  end' },
  { label: "Question", source: 'answer = ask("Your question?")' },
  { label: "Hand to a person", source: 'handoff(queue: "team")' },
  { label: "Follow-up timer", source: "schedule(Reminder, in: 23h)" },
  { label: "WhatsApp template", source: 'send_message_template("", "en")' },
  { label: "End the conversation", source: "end_journey()" },
];

/**
 * A field's text while it is being edited, and whether it is new: `changed()` is true once
 * per edit, so that Enter followed by leaving the field sends one operation, not two (the
 * second would be based on a version the first replaced).
 */
function useDraft(value: string): [string, (v: string) => void, () => boolean, (sent: string) => void] {
  const [draft, setDraft] = useState(value);
  const sent = useRef<string | null>(null);
  useEffect(() => {
    setDraft(value);
    sent.current = null;
  }, [value]);
  const changed = () => {
    if (draft === value || draft === sent.current) return false;
    sent.current = draft;
    return true;
  };
  // Text sent some other way (the personalisation picker): leaving the field sends it again only if it changes.
  const sentAs = (text: string) => {
    sent.current = text;
  };
  return [draft, setDraft, changed, sentAs];
}

function Counter({ used, limit, noun }: { used: number; limit: number; noun: string }) {
  const over = used > limit;
  return (
    <span className={`counter${over ? " over" : ""}`} data-counter={noun}>
      {used}/{limit} {noun}
      {over && ` — WhatsApp allows at most ${limit}`}
    </span>
  );
}

function CardNames() {
  const { view } = useStudio();
  return (
    <datalist id="card-names">
      {view?.cards.map((c) => <option key={c.name} value={c.name} />)}
    </datalist>
  );
}

/** The statement whose words a form edits: a menu's words are the `text(…)` of its block. */
function wordsOf(place: Place, statement: StatementView): { source: StatementView; at: At } {
  const inner = statement.block?.findIndex((s) => s.kind === "text") ?? -1;
  return inner >= 0
    ? { source: statement.block![inner], at: { ...place.at, inner: statement.block![inner].index } }
    : { source: statement, at: place.at };
}

/**
 * Contact fields and run variables to put into a message, as the analysis host lists them
 * for this place in the file; choosing one inserts it (`@contact.name`) at the cursor.
 */
function Personalise({ offset, insert }: { offset: number; insert: (token: string) => void }) {
  const { view, versions } = useStudio();
  const file = view!.file;
  const version = versions[file];
  const [choices, setChoices] = useState<Completion[]>([]);
  useEffect(() => {
    let current = true;
    api.personalisations(file, offset).then((c) => current && setChoices(c), () => current && setChoices([]));
    return () => {
      current = false;
    };
  }, [file, offset, version]);
  if (choices.length === 0) return null;
  return (
    <label className="picker">
      <span>Personalise:</span>
      <select
        aria-label="Personalise"
        value=""
        onChange={(e) => {
          if (e.target.value) insert(e.target.value);
        }}
      >
        <option value="">insert a contact field or answer…</option>
        {choices.map((c) => (
          <option key={`${c.kind}/${c.label}`} value={c.insert}>
            {c.kind === "field" ? `${c.label} (${c.detail ?? "field"})` : `${c.label} (an answer kept earlier)`}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The words a statement sends, personalisations included (`@contact.name`), as the server
 * gives them for `set_text`: it quotes them. A string the server cannot give as words stays
 * code.
 */
function MessageField({ place, statement }: { place: Place; statement: StatementView }) {
  const { run } = useStudio();
  const { source, at } = wordsOf(place, statement);
  const first = source.args.find((a) => !a.name);
  const value = first?.text ?? null;
  const [draft, setDraft, changed, sentAs] = useDraft(value ?? "");
  // The cursor stays in the box while the picker is used: insert there.
  const area = useRef<HTMLTextAreaElement>(null);
  if (value === null) {
    return first?.source.startsWith('"') ? <CodeField statement={source} label="Message (as code)" /> : null;
  }
  const save = () => {
    if (changed()) void run(ops.setText(place.base, at, draft));
  };
  const insert = (token: string) => {
    const cursor = area.current?.selectionStart ?? draft.length;
    // Right after a letter or digit an `@` is plain text (as in an e-mail address): a space first.
    const spaced = /[\p{L}\p{N}]$/u.test(draft.slice(0, cursor)) ? ` ${token}` : token;
    const next = draft.slice(0, cursor) + spaced + draft.slice(cursor);
    setDraft(next);
    sentAs(next);
    if (next !== value) void run(ops.setText(place.base, at, next));
  };
  return (
    <label className="field">
      <span>Message</span>
      <textarea
        className="message"
        value={draft}
        rows={3}
        ref={area}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={save}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) save();
        }}
      />
      <span className="hint">{draft.length} characters</span>
      <Personalise offset={source.span[0]} insert={insert} />
    </label>
  );
}

/** One language's version of a message: empty when there is none yet. */
function TranslationField({ place, at, translation }: { place: Place; at: At; translation: Translation }) {
  const { run } = useStudio();
  const [draft, setDraft, changed] = useDraft(translation.text ?? "");
  const label = `${languageName(translation.language)} (${translation.language})`;
  if (translation.source) {
    return (
      <label className="field translation" data-language={translation.language}>
        <span>{label}: written as code, change it in the Code tab</span>
        <code>{translation.source}</code>
      </label>
    );
  }
  const save = () => {
    if (!changed()) return;
    const text = draft.trim() === "" ? null : draft;
    if (text === null && translation.text === null) return;
    void run(ops.setTranslation(place.base, at, translation.language, text));
  };
  return (
    <label className="field translation" data-language={translation.language}>
      <span>{label}</span>
      <textarea value={draft} rows={2} placeholder={`Not translated into ${languageName(translation.language)} yet`}
        onChange={(e) => setDraft(e.target.value)} onBlur={save} />
    </label>
  );
}

/** The message in each of the project's other languages, side by side with the main one. */
function Translations({ place, statement }: { place: Place; statement: StatementView }) {
  const { source, at } = wordsOf(place, statement);
  const translations = source.translations ?? [];
  if (translations.length === 0) return null;
  return (
    <div className="translations">
      <div className="section-head">Translations</div>
      {translations.map((t) => (
        <TranslationField key={`${t.language}/${t.text ?? ""}/${t.source ?? ""}`} place={place} at={at} translation={t} />
      ))}
    </div>
  );
}

function NamedField({
  place,
  statement,
  field,
}: {
  place: Place;
  statement: StatementView;
  field: { name: string; label: string; text?: boolean; card?: boolean };
}) {
  const { run } = useStudio();
  const arg = statement.args.find((a) => a.name === field.name);
  const value = arg ? (field.text && arg.value != null ? arg.value : arg.source) : "";
  const [draft, setDraft, changed] = useDraft(value);
  const save = () => {
    if (!changed()) return;
    if (draft.trim() === "") {
      if (arg) void run(ops.clearArgument(place.base, place.at, field.name));
      return;
    }
    void run(ops.setArgument(place.base, place.at, field.name, field.text ? literal(draft) : draft.trim()));
  };
  return (
    <label className="field" data-arg={field.name}>
      <span>{field.label}</span>
      <input
        value={draft}
        list={field.card ? "card-names" : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={save}
        onKeyDown={(e) => {
          if (e.key === "Enter") save();
        }}
      />
    </label>
  );
}

/** One button or row: its title (counted against WhatsApp's limit) and where it goes. */
function OptionRow({ place, index, label, target, limit }: { place: Place; index: number; label: string; target: string; limit: number }) {
  const { run } = useStudio();
  const [draft, setDraft, changed] = useDraft(label);
  const save = () => {
    if (draft.length <= limit && draft.trim() !== "" && changed()) {
      void run(ops.setOptionLabel(place.base, place.at, index, draft));
    }
  };
  return (
    <div className="option" data-option={index}>
      <input value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={save}
        onKeyDown={(e) => { if (e.key === "Enter") save(); }} />
      <Counter used={draft.length} limit={limit} noun="characters" />
      <span className="exit-target">→ {target}</span>
      <button title="Remove" onClick={() => void run(ops.removeOption(place.base, place.at, index))}>
        ✕
      </button>
    </div>
  );
}

/** Buttons or list rows: live counters against WhatsApp's limits, checked before saving. */
function OptionsField({ place, statement }: { place: Place; statement: StatementView }) {
  const { run } = useStudio();
  const limits = statement.kind === "list" ? LIMITS.list : LIMITS.buttons;
  const options = statement.options ?? [];
  const [adding, setAdding] = useState<{ label: string; target: string } | null>(null);
  const count = options.length + (adding ? 1 : 0);
  const tooMany = count > limits.count;
  return (
    <div className="options">
      <div className="options-head">
        <span>{statement.kind === "list" ? "Rows" : "Buttons"}</span>
        <Counter used={count} limit={limits.count} noun={limits.noun} />
      </div>
      {options.map((option, i) => (
        <OptionRow key={i} place={place} index={i} label={option.label} target={option.target ?? "?"} limit={limits.title} />
      ))}
      {adding ? (
        <div className="option adding">
          <input
            placeholder="Title"
            autoFocus
            value={adding.label}
            onChange={(e) => setAdding({ ...adding, label: e.target.value })}
          />
          <Counter used={adding.label.length} limit={limits.title} noun="characters" />
          <input
            placeholder="Goes to card"
            list="card-names"
            value={adding.target}
            onChange={(e) => setAdding({ ...adding, target: e.target.value })}
          />
          <button
            className="save-option"
            disabled={tooMany || adding.label.trim() === "" || adding.label.length > limits.title || adding.target === ""}
            onClick={async () => {
              if (await run(ops.addOption(place.base, place.at, adding.target, adding.label))) setAdding(null);
            }}
          >
            Save
          </button>
          <button onClick={() => setAdding(null)}>Cancel</button>
        </div>
      ) : (
        <button className="add-option" onClick={() => setAdding({ label: "", target: "" })}>
          Add {statement.kind === "list" ? "row" : "button"}
        </button>
      )}
      {tooMany && (
        <div className="limit-warning" role="alert">
          WhatsApp shows at most {limits.count} {limits.noun} in one message.
          {statement.kind === "buttons" && " Use a list for more choices."}
        </div>
      )}
    </div>
  );
}

/** A statement without a form: its code, saved back at its place in the file. */
function CodeField({ statement, label = "Code" }: { statement: StatementView; label?: string }) {
  const { view, texts, versions, apply, say } = useStudio();
  const file = view!.file;
  const text = texts[file] ?? "";
  const source = text ? sliceBytes(text, statement.span) : "";
  const [draft, setDraft, changed] = useDraft(source);
  const save = async () => {
    if (!text || !changed()) return;
    const [start, end] = statement.span;
    try {
      apply(await api.edits([{ path: file, start, end, text: draft }], { [file]: versions[file] }));
    } catch (error) {
      say((error as Error).message);
    }
  };
  return (
    <label className="field">
      <span>{label}</span>
      <textarea
        className="code"
        value={draft}
        rows={Math.min(8, draft.split("\n").length + 1)}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => void save()}
        spellCheck={false}
      />
    </label>
  );
}

function Statement({ place, statement }: { place: Place; statement: StatementView }) {
  const { run } = useStudio();
  // Kinds without a form of their own: a field for each named argument the statement has.
  const fields =
    FIELDS[statement.kind] ??
    statement.args
      .filter((a) => a.name)
      .map((a) => ({ name: a.name!, label: a.name!.replace(/_/g, " "), text: a.value != null }));
  return (
    <div className={`statement kind-${statement.kind}`} data-statement={statement.index} data-kind={statement.kind}>
      <div className="statement-head">
        <span className="kind">{statement.kind}</span>
        <span className="summary">{statement.summary}</span>
        <button className="remove-statement" title="Remove this step" onClick={() => void run(ops.removeStatement(place.base, place.at))}>
          ✕
        </button>
      </div>
      {statement.form ? (
        <>
          {statement.kind === "send_message_template" ? (
            <TemplateField place={place} statement={statement} />
          ) : (
            <>
              <MessageField place={place} statement={statement} />
              <Translations place={place} statement={statement} />
            </>
          )}
          {(statement.kind === "buttons" || statement.kind === "list") && <OptionsField place={place} statement={statement} />}
          {fields.map((field) => (
            <NamedField key={field.name} place={place} statement={statement} field={field} />
          ))}
        </>
      ) : (
        <CodeField statement={statement} />
      )}
    </div>
  );
}

/**
 * A WhatsApp template: picked from the registry in journey.toml (its status shown: only
 * approved templates can be sent), its words with the places the values go, and the
 * values as a list of expressions.
 */
function TemplateField({ place, statement }: { place: Place; statement: StatementView }) {
  const { run, target, versions } = useStudio();
  const [registry, setRegistry] = useState<TemplateSetting[]>([]);
  useEffect(() => {
    let current = true;
    api.settings().then((s) => current && setRegistry(s.templates), () => current && setRegistry([]));
    return () => {
      current = false;
    };
  }, [versions["journey.toml"]]);
  const positional = statement.args.filter((a) => !a.name);
  const name = positional[0]?.value ?? "";
  const language = positional[1]?.value ?? "";
  const chosen = registry.find((t) => t.name === name && t.language === language);
  const values = positional[2]?.source ?? "";
  const [draft, setDraft, changed] = useDraft(values);
  const pick = async (key: string) => {
    const template = registry.find((t) => `${t.name}/${t.language}` === key);
    const base = target();
    if (!template || !base) return;
    if (!(await run(ops.setArgument(base, place.at, 0, literal(template.name))))) return;
    const next = target();
    if (next) await run(ops.setArgument(next, place.at, 1, literal(template.language)));
  };
  const saveValues = () => {
    const base = target();
    if (!base || !changed()) return;
    if (draft.trim() === "") {
      if (positional[2]) void run(ops.clearArgument(base, place.at, 2));
      return;
    }
    void run(ops.setArgument(base, place.at, 2, draft.trim()));
  };
  return (
    <div className="template">
      <label className="field">
        <span>Template (from the registry in the settings)</span>
        <select aria-label="Template" value={chosen ? `${name}/${language}` : ""} onChange={(e) => void pick(e.target.value)}>
          <option value="">{name ? `${name} (${language}): not in the registry` : "choose a template…"}</option>
          {registry.map((t) => (
            <option key={`${t.name}/${t.language}`} value={`${t.name}/${t.language}`}>
              {t.name} ({t.language}) — {t.status}
            </option>
          ))}
        </select>
      </label>
      {chosen && (
        <div className="template-body">
          {chosen.status !== "approved" && (
            <div className="limit-warning">WhatsApp sends only approved templates; this one is {chosen.status}.</div>
          )}
          <span className="hint">{chosen.body}</span>
        </div>
      )}
      <label className="field" data-arg="values">
        <span>
          Values for {"{{1}}"}, {"{{2}}"}… in order, as a list (e.g. <code>[contact.name, "Soweto Clinic"]</code>)
        </span>
        <input value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={saveValues}
          onKeyDown={(e) => { if (e.key === "Enter") saveValues(); }} />
      </label>
    </div>
  );
}

/** A guarded version of a card: when it applies, and a way to remove it. */
function Guard({ card, definition, guard, removable }: { card: string; definition: number; guard: string; removable: boolean }) {
  const { run, target } = useStudio();
  return (
    <div className="guard">
      <span>{guard ? <>Only when <code>{guard}</code></> : "Otherwise"}</span>
      {removable && (
        <button
          title="Remove this version of the card"
          onClick={() => {
            const base = target();
            if (base) void run(ops.removeDefinition(base, card, definition));
          }}
        >
          Remove version
        </button>
      )}
    </div>
  );
}

function CardHeader({ card }: { card: CardView }) {
  const { run, target, select } = useStudio();
  const [name, setName, changed] = useDraft(card.name);
  const rename = async () => {
    const t = target();
    if (t && name.trim() !== "" && changed() && (await run(ops.renameCard(t, card.name, name.trim())))) {
      select(name.trim());
    }
  };
  return (
    <div className="inspector-head">
      <input className="card-title" value={name} onChange={(e) => setName(e.target.value)} onBlur={() => void rename()}
        onKeyDown={(e) => { if (e.key === "Enter") void rename(); }} aria-label="Card name" />
      <button
        className="danger"
        onClick={() => {
          const t = target();
          if (t && window.confirm(`Delete the card ${card.name}?`)) {
            void run(ops.deleteCard(t, card.name)).then((done) => done && select(null));
          }
        }}
      >
        Delete card
      </button>
    </div>
  );
}

function AddStatement({ card, definition, count }: { card: string; definition: number; count: number }) {
  const { run, target } = useStudio();
  return (
    <select
      className="add-statement"
      aria-label="Add a step"
      value=""
      onChange={(e) => {
        const base = target();
        const at = { journey: base?.journey ?? "", card, definition, statement: count };
        if (base && e.target.value) void run(ops.addStatement(base, at, e.target.value));
      }}
    >
      <option value="">Add a step…</option>
      {TEMPLATES.map((template) => (
        <option key={template.label} value={template.source}>
          {template.label}
        </option>
      ))}
    </select>
  );
}

/** Exits that are a named setting: choosing "not connected" removes the setting. */
const REMOVABLE_EXITS = new Set(["next", "timeout", "invalid", "error", "return"]);

/**
 * Where each of the card's exits goes, as a choice of card: the same operation as dragging
 * an exit on the canvas, for builders who prefer a list (and for keyboards). "then" is
 * offered even when the card has no next card yet.
 */
function GoesTo({ card }: { card: CardView }) {
  const { view, run, target } = useStudio();
  const journey = view!.name;
  const exits: { key: string; label: string; target: string; ref: ExitRef | null }[] = card.exits.map((exit, i) => ({
    key: exit.kind === "next" ? "then" : `exit-${i}`,
    label: exit.label || EXIT_WORDS[exit.kind] || exit.kind,
    target: exit.target ?? "",
    ref: exitRef(journey, card, exit),
  }));
  if (!card.exits.some((e) => e.kind === "next")) {
    exits.push({ key: "then", label: "then", target: "", ref: { kind: "next", journey, card: card.name, definition: 0 } });
  }
  const others = view!.cards.filter((c) => c.name !== card.name).map((c) => c.name);
  return (
    <div className="goes-to">
      <div className="section-head">Goes to</div>
      {exits.map(({ key, label, target: to, ref }) => (
        <label className="field exit-choice" key={key} data-exit={key}>
          <span>{label}</span>
          <select
            value={to}
            disabled={!ref}
            title={ref ? undefined : "This exit is set in the card's code; change it there."}
            onChange={(e) => {
              const base = target();
              if (base && ref) void run(ops.connectExit(base, ref, e.target.value || null));
            }}
          >
            {(to === "" || (ref && REMOVABLE_EXITS.has(ref.kind))) && <option value="">not connected</option>}
            {to && !others.includes(to) && <option value={to}>{to}</option>}
            {others.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      ))}
    </div>
  );
}

/** With "Way to a person" on: the cards a contact passes to reach a person from this one. */
function PersonPathLine({ card }: { card: CardView }) {
  const { personPaths, personPath } = useStudio();
  if (!personPaths || !personPath || personPath.card !== card.name) return null;
  if (!personPath.person) {
    return <div className="person-path">No way to a person from this card.</div>;
  }
  const cards = [card.name, ...personPath.steps.map((s) => s.target)];
  const replies = personPath.replies === 1 ? "1 message" : `${personPath.replies} messages`;
  return (
    <div className="person-path">
      Way to a person: {cards.join(" → ")}
      {personPath.person !== cards[cards.length - 1] ? ` → ${personPath.person}` : ""} (the contact sends {replies} on the way)
    </div>
  );
}

/** The comparisons a guard built with the form can make, in words. */
const COMPARISONS: [string, string][] = [
  ["==", "is"],
  ["!=", "is not"],
  ["<", "is less than"],
  ["<=", "is at most"],
  [">", "is more than"],
  [">=", "is at least"],
];

/**
 * A new version of the card that applies only when a condition holds: built as
 * field / comparison / value from the contact fields and answers the analysis host lists
 * here, or written as an expression. The server checks what is sent like any edit.
 */
function GuardBuilder({ card }: { card: CardView }) {
  const { view, versions, run, target } = useStudio();
  const [written, setWritten] = useState(false);
  const [expression, setExpression] = useState("");
  const [field, setField] = useState("");
  const [comparison, setComparison] = useState("==");
  const [value, setValue] = useState("");
  const [choices, setChoices] = useState<Completion[]>([]);
  const file = view!.file;
  useEffect(() => {
    let current = true;
    api.personalisations(file, card.span[0]).then((c) => current && setChoices(c), () => current && setChoices([]));
    return () => {
      current = false;
    };
  }, [file, card.span, versions[file]]);
  // A number or yes/no is written as it is; anything else is text, quoted.
  const operand = /^-?\d+(\.\d+)?$|^(true|false)$/.test(value.trim()) ? value.trim() : literal(value);
  const built = field ? `${field} ${comparison} ${operand}` : "";
  const guard = written ? expression.trim() : built;
  const add = async () => {
    const base = target();
    if (base && guard && (await run(ops.addDefinition(base, card.name, guard)))) {
      setExpression("");
      setValue("");
    }
  };
  return (
    <div className="add-guard">
      <span className="section-head">Add a version of this card only when…</span>
      {written ? (
        <input aria-label="Condition" placeholder="e.g. contact.age >= 18" value={expression}
          onChange={(e) => setExpression(e.target.value)} />
      ) : (
        <div className="guard-form">
          <select aria-label="Field" value={field} onChange={(e) => setField(e.target.value)}>
            <option value="">a contact field or answer…</option>
            {choices.map((c) => (
              <option key={`${c.kind}/${c.label}`} value={c.insert.replace(/^@/, "")}>
                {c.label}
              </option>
            ))}
          </select>
          <select aria-label="Comparison" value={comparison} onChange={(e) => setComparison(e.target.value)}>
            {COMPARISONS.map(([op, words]) => (
              <option key={op} value={op}>
                {words}
              </option>
            ))}
          </select>
          <input aria-label="Value" placeholder="value" value={value} onChange={(e) => setValue(e.target.value)} />
        </div>
      )}
      <div className="guard-actions">
        <button className="link" onClick={() => setWritten(!written)}>
          {written ? "build it from a field instead" : "write it as an expression"}
        </button>
        <button disabled={!guard} onClick={() => void add()}>
          Add
        </button>
      </div>
    </div>
  );
}

export function Inspector() {
  const { view, selected, target } = useStudio();
  const card = view?.cards.find((c) => c.name === selected);
  if (!view || !card) {
    return <div className="empty">Click a card on the canvas to change it.</div>;
  }
  const base = target();
  return (
    <div className="inspector" data-inspecting={card.name}>
      <CardNames />
      <CardHeader card={card} />
      {card.definitions.map((definition, d) => (
        <div className="definition" key={d} data-definition={d}>
          {card.definitions.length > 1 && (
            <Guard card={card.name} definition={d} guard={definition.guard ?? ""} removable />
          )}
          {base &&
            definition.statements.map((statement) => (
              <Statement
                key={`${d}/${statement.index}/${statement.kind}`}
                place={{ base, at: { journey: base.journey, card: card.name, definition: d, statement: statement.index } }}
                statement={statement}
              />
            ))}
          <AddStatement card={card.name} definition={d} count={definition.statements.length} />
        </div>
      ))}
      <GoesTo card={card} />
      <PersonPathLine card={card} />
      <GuardBuilder card={card} />
    </div>
  );
}
