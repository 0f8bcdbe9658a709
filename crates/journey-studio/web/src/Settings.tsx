// journey.toml as forms: languages, keywords, contact fields, the template registry. Each
// form sends one change; the server edits the file in place (comments kept) and refuses a
// value that cannot work, in plain words.

import { useCallback, useEffect, useState } from "react";
import { api } from "./api";
import type { FieldSetting, Settings as SettingsView } from "./api";
import { useStudio } from "./store";

const names = new Intl.DisplayNames(["en"], { type: "language" });

/** A language's name for people ("Portuguese (Brazil)" for pt_BR), else its code. */
export function languageName(code: string): string {
  try {
    return names.of(code.replace("_", "-")) ?? code;
  } catch {
    return code;
  }
}

const words = (text: string) => text.split(",").map((w) => w.trim()).filter((w) => w !== "");

type Send = (change: object) => Promise<boolean>;

function Languages({ settings, send }: { settings: SettingsView; send: Send }) {
  const savedMain = settings.default_language;
  const savedOthers = settings.languages.slice(1).join(", ");
  const [main, setMain] = useState(savedMain);
  const [others, setOthers] = useState(savedOthers);
  // Back to what journey.toml says when that changes, not on every reload: a reload after
  // another section's change must not wipe what is being typed here.
  useEffect(() => {
    setMain(savedMain);
    setOthers(savedOthers);
  }, [savedMain, savedOthers]);
  return (
    <section className="settings-section" data-section="languages">
      <h4>Languages</h4>
      <label className="field">
        <span>Main language (messages without a translation are sent in it)</span>
        <input aria-label="Main language" value={main} onChange={(e) => setMain(e.target.value)} />
        <span className="hint">{languageName(main.trim())}</span>
      </label>
      <label className="field">
        <span>Other languages, separated by commas (two-letter codes, like pt or zu)</span>
        <input aria-label="Other languages" value={others} onChange={(e) => setOthers(e.target.value)} />
        <span className="hint">{words(others).map(languageName).join(", ") || "none"}</span>
      </label>
      <button
        className="save-languages"
        onClick={() => void send({ change: "languages", default_language: main.trim(), languages: words(others) })}
      >
        Save languages
      </button>
    </section>
  );
}

const KEYWORDS: { key: "help" | "opt_out" | "opt_in"; label: string }[] = [
  { key: "help", label: "Ask for a person" },
  { key: "opt_out", label: "Stop all messages" },
  { key: "opt_in", label: "Receive messages again" },
];

function Keywords({ settings, send }: { settings: SettingsView; send: Send }) {
  const initial = () => Object.fromEntries(KEYWORDS.map(({ key }) => [key, settings.keywords[key].join(", ")]));
  const [lists, setLists] = useState<Record<string, string>>(initial);
  // As for the languages: reset when the saved keywords change, not on every reload.
  const saved = JSON.stringify(initial());
  useEffect(() => setLists(JSON.parse(saved)), [saved]);
  return (
    <section className="settings-section" data-section="keywords">
      <h4>Keywords</h4>
      <p className="hint">Words a contact can send at any time, on their own. Separate them with commas.</p>
      {KEYWORDS.map(({ key, label }) => (
        <label className="field" key={key} data-keywords={key}>
          <span>{label}</span>
          <input value={lists[key]} onChange={(e) => setLists({ ...lists, [key]: e.target.value })} />
        </label>
      ))}
      <button
        className="save-keywords"
        onClick={() =>
          void send({ change: "keywords", help: words(lists.help), opt_out: words(lists.opt_out), opt_in: words(lists.opt_in) })
        }
      >
        Save keywords
      </button>
    </section>
  );
}

function FieldRow({ field, types, send, isNew }: { field: FieldSetting; types: string[]; send: Send; isNew?: boolean }) {
  const [draft, setDraft] = useState({
    name: field.name,
    type: field.type,
    max_length: field.max_length == null ? "" : String(field.max_length),
    choices: field.choices.join(", "),
    description: field.description ?? "",
    required: field.required,
  });
  const save = async () => {
    const done = await send({
      change: "field",
      name: draft.name.trim(),
      type: draft.type,
      max_length: draft.max_length.trim() === "" ? null : Number(draft.max_length),
      choices: words(draft.choices),
      description: draft.description.trim() === "" ? null : draft.description,
      required: draft.required,
    });
    if (done && isNew) setDraft({ name: "", type: "text", max_length: "", choices: "", description: "", required: false });
  };
  return (
    <tr data-field={isNew ? "new" : field.name}>
      <td>
        {isNew ? (
          <input aria-label="Field name" placeholder="new_field" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        ) : (
          <code>{field.name}</code>
        )}
        {field.builtin && <span className="badge">built in</span>}
      </td>
      <td>
        <select aria-label="Type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.target.value })}>
          {types.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </td>
      <td>
        <input aria-label="Longest length" className="narrow" value={draft.max_length} placeholder="—"
          onChange={(e) => setDraft({ ...draft, max_length: e.target.value })} />
      </td>
      <td>
        <input aria-label="Choices" value={draft.choices} placeholder="—" onChange={(e) => setDraft({ ...draft, choices: e.target.value })} />
      </td>
      <td>
        <input aria-label="Description" value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} />
      </td>
      <td>
        <input type="checkbox" aria-label="Every contact has one" checked={draft.required}
          onChange={(e) => setDraft({ ...draft, required: e.target.checked })} />
      </td>
      <td className="actions">
        <button className="save-field" onClick={() => void save()} disabled={isNew && draft.name.trim() === ""}>
          {isNew ? "Add" : "Save"}
        </button>
        {field.declared && (
          <button className="remove-field" title="Remove this field from journey.toml"
            onClick={() => void send({ change: "remove_field", name: field.name })}>
            ✕
          </button>
        )}
      </td>
    </tr>
  );
}

function Fields({ settings, send }: { settings: SettingsView; send: Send }) {
  const blank: FieldSetting = { name: "", type: "text", choices: [], required: false, builtin: false, declared: false };
  return (
    <section className="settings-section" data-section="fields">
      <h4>Contact fields</h4>
      <p className="hint">
        What the service knows about each contact, used as <code>@contact.name</code> in messages. A longest length lets the
        checker make sure personalised messages stay within WhatsApp's limits.
      </p>
      <table className="settings-table">
        <thead>
          <tr>
            <th>Name</th><th>Type</th><th>Longest</th><th>Choices</th><th>Description</th><th>Required</th><th />
          </tr>
        </thead>
        <tbody>
          {settings.fields.map((field) => (
            <FieldRow key={`${field.name}/${field.type}/${field.max_length}/${field.choices.join()}/${field.description}/${field.required}`}
              field={field} types={settings.field_types} send={send} />
          ))}
          <FieldRow key={`new/${settings.fields.length}`} field={blank} types={settings.field_types} send={send} isNew />
        </tbody>
      </table>
    </section>
  );
}

function Templates({ settings, send }: { settings: SettingsView; send: Send }) {
  return (
    <section className="settings-section" data-section="templates">
      <h4>Message templates</h4>
      <p className="hint">
        The templates WhatsApp approved for your number (needed to write first, or more than 24 hours after the contact's
        last message). Set the status Meta shows for each.
      </p>
      {settings.templates.length === 0 && <div className="empty">No templates registered.</div>}
      <table className="settings-table">
        <tbody>
          {settings.templates.map((t) => (
            <tr key={`${t.name}/${t.language}`} data-template={`${t.name}/${t.language}`}>
              <td>
                <code>{t.name}</code> <span className="hint">{languageName(t.language)}, {t.category}</span>
              </td>
              <td className="template-body">{t.body}</td>
              <td>
                <select aria-label="Status" value={t.status}
                  onChange={(e) => void send({ change: "template_status", name: t.name, language: t.language, status: e.target.value })}>
                  {settings.statuses.map((s) => (
                    <option key={s}>{s}</option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function Settings({ close }: { close: () => void }) {
  const { apply, versions } = useStudio();
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const version = versions["journey.toml"] ?? null;
  const load = useCallback(() => api.settings().then(setSettings, (error: Error) => setProblem(error.message)), []);
  // Read again whenever journey.toml changes: here, in the code pane, or on disk.
  useEffect(() => void load(), [load, version]);
  const send: Send = async (change) => {
    try {
      apply(await api.putSettings(change, settings?.version ?? null));
      setProblem(null);
      await load();
      return true;
    } catch (error) {
      setProblem((error as Error).message);
      await load();
      return false;
    }
  };
  return (
    <div className="modal" role="dialog" onClick={close}>
      <div className="modal-body settings" onClick={(e) => e.stopPropagation()}>
        <h3>Settings (journey.toml)</h3>
        {problem && (
          <div className="limit-warning settings-problem" role="alert">
            {problem}
          </div>
        )}
        {!settings ? (
          <div className="empty">Loading…</div>
        ) : (
          <>
            <Languages settings={settings} send={send} />
            <Keywords settings={settings} send={send} />
            <Fields settings={settings} send={send} />
            <Templates settings={settings} send={send} />
          </>
        )}
        <button onClick={close}>Close</button>
      </div>
    </div>
  );
}
