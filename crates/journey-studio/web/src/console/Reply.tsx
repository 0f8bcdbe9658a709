// The reply box. Inside the 24-hour window: free text (or a template). Outside it, as the
// server reports it (`window.open`), WhatsApp lets a business send only an approved
// template until the contact writes again: the box says so and offers only the registry's
// approved templates, with an input for each parameter.

import { useState, type FormEvent } from "react";
import { api, localTime, type Conversation } from "./api";
import type { Act } from "./Conversation";

interface Props {
  view: Conversation;
  busy: boolean;
  act: Act;
}

export function ReplyBox({ view, busy, act }: Props) {
  const [text, setText] = useState("");
  const send = (event: FormEvent) => {
    event.preventDefault();
    void act(() => api.reply(view.contact, { text })).then((done) => done && setText(""));
  };
  if (!view.window.open) {
    return (
      <section className="reply closed" aria-label="Reply" data-window="closed">
        <p className="window-closed" data-testid="window-closed">
          The 24-hour window is closed
          {view.window.closes_at ? ` (it closed at ${localTime(view.window.closes_at)})` : " (the contact has never written)"}.
          WhatsApp lets a business send only an approved template until the contact writes again.
        </p>
        <TemplateForm view={view} busy={busy} act={act} />
      </section>
    );
  }
  return (
    <section className="reply" aria-label="Reply" data-window="open">
      <form className="column" onSubmit={send}>
        <textarea aria-label="Reply text" rows={3} value={text} onChange={(e) => setText(e.target.value)} />
        <div className="row">
          <span className="hint">
            Free text until {view.window.closes_at ? localTime(view.window.closes_at) : "the window closes"}
          </span>
          <button className="primary" disabled={busy || !text.trim()}>
            Send reply
          </button>
        </div>
      </form>
      <details>
        <summary>Send a template instead</summary>
        <TemplateForm view={view} busy={busy} act={act} />
      </details>
    </section>
  );
}

function TemplateForm({ view, busy, act }: Props) {
  const [chosen, setChosen] = useState("");
  const [params, setParams] = useState<string[]>([]);
  const template = view.templates.find((t) => key(t) === chosen);
  if (view.templates.length === 0) {
    return <p className="empty">The project's registry has no approved template (journey.toml).</p>;
  }
  const choose = (value: string) => {
    setChosen(value);
    setParams(view.templates.find((t) => key(t) === value)?.parameters.map(() => "") ?? []);
  };
  const send = (event: FormEvent) => {
    event.preventDefault();
    if (!template) return;
    const reply = { template: { name: template.name, language: template.language, params } };
    void act(() => api.reply(view.contact, reply)).then((done) => done && choose(""));
  };
  return (
    <form className="column template-form" onSubmit={send}>
      <select aria-label="Template" value={chosen} onChange={(e) => choose(e.target.value)}>
        <option value="">an approved template…</option>
        {view.templates.map((t) => (
          <option key={key(t)} value={key(t)}>
            {t.name} ({t.language})
          </option>
        ))}
      </select>
      {template && <p className="template-body">{template.body}</p>}
      {template?.parameters.map((name, i) => (
        <label key={name} className="field">
          <span>{name}</span>
          <input
            aria-label={`Parameter ${name}`}
            value={params[i] ?? ""}
            onChange={(e) => setParams(params.map((p, j) => (j === i ? e.target.value : p)))}
          />
        </label>
      ))}
      <button className="primary" disabled={busy || !template || params.some((p) => !p.trim())}>
        Send template
      </button>
    </form>
  );
}

const key = (t: { name: string; language: string }) => `${t.name}/${t.language}`;
