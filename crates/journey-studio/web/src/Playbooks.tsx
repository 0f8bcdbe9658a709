// The playbook library as a gallery; a playbook is imported into the project with a form
// for its parameters.

import { useEffect, useState } from "react";
import { api, ApiError } from "./api";
import type { Playbook } from "./api";
import { useStudio } from "./store";

function PlaybookForm({ playbook, done }: { playbook: Playbook; done: (message: string) => void }) {
  const { apply } = useStudio();
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(playbook.parameters.map((p) => [p.name, p.default == null ? "" : String(p.default)])),
  );
  const [problems, setProblems] = useState<string[]>([]);
  return (
    <form
      className="playbook-form"
      onSubmit={async (e) => {
        e.preventDefault();
        const typed: Record<string, unknown> = {};
        for (const p of playbook.parameters) {
          const v = values[p.name];
          if (v === "") continue;
          typed[p.name] = p.type === "number" || p.type === "integer" ? Number(v) : p.type === "boolean" ? v === "true" : v;
        }
        try {
          const change = await api.importPlaybook(playbook.name, typed);
          apply(change);
          const todo = change.todo?.length ? ` Still to do: ${change.todo.join("; ")}` : "";
          done(`Imported ${playbook.name}.${todo}`);
        } catch (error) {
          setProblems([(error as Error).message, ...(error instanceof ApiError ? error.details : [])]);
        }
      }}
    >
      {playbook.parameters.map((p) => (
        <label className="field" key={p.name}>
          <span>
            {p.name} <em>({p.type})</em>
          </span>
          <input value={values[p.name]} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })} />
          <span className="hint">{p.help}</span>
        </label>
      ))}
      {problems.map((p) => (
        <div className="limit-warning" key={p}>
          {p}
        </div>
      ))}
      <button type="submit" className="primary">
        Add to my project
      </button>
    </form>
  );
}

export function Playbooks({ close }: { close: () => void }) {
  const { say } = useStudio();
  const [list, setList] = useState<Playbook[] | null>(null);
  const [chosen, setChosen] = useState<Playbook | null>(null);
  useEffect(() => {
    api.playbooks().then(setList, (error: Error) => say(error.message));
  }, [say]);
  return (
    <div className="modal" role="dialog" onClick={close}>
      <div className="modal-body gallery" onClick={(e) => e.stopPropagation()}>
        <h3>Playbooks: ready-made journeys</h3>
        {!list && <div className="empty">Loading…</div>}
        {chosen ? (
          <>
            <button onClick={() => setChosen(null)}>← All playbooks</button>
            <h4>{chosen.name}</h4>
            <p>{chosen.summary}</p>
            <PlaybookForm
              playbook={chosen}
              done={(message) => {
                say(message);
                close();
              }}
            />
          </>
        ) : (
          <div className="tiles">
            {list?.map((p) => (
              <button key={p.name} className="tile" onClick={() => setChosen(p)}>
                <strong>{p.name}</strong>
                <span>{p.summary}</span>
              </button>
            ))}
          </div>
        )}
        <button onClick={close}>Close</button>
      </div>
    </div>
  );
}
