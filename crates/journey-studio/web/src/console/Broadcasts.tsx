// Broadcasts (docs/broadcasts.md): the list with each one's figures, a form for a new one
// (a template from the registry with its parameters, a segment, a time), the server's
// count before sending, and a broadcast's report. The server decides who receives it
// (the opt-in rule, the segment) and how fast (the tier); the page shows its answers.

import { useCallback, useEffect, useState, type FormEvent } from "react";
import {
  ApiError,
  api,
  localTime,
  type Broadcast,
  type BroadcastCount,
  type BroadcastFigures,
  type BroadcastRequest,
  type Broadcasts as List,
  type Condition,
} from "./api";
import { Failure } from "./Failure";
import { navigate } from "./route";

interface Props {
  id: number | null;
  onError: (error: unknown) => void;
}

export function Broadcasts({ id, onError }: Props) {
  const [list, setList] = useState<List | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const refused = useCallback(
    (error: unknown) => {
      onError(error);
      setFailure(error instanceof ApiError ? error : new ApiError(String(error), 0));
    },
    [onError],
  );
  const reload = useCallback(() => api.broadcasts().then(setList, refused), [refused]);
  useEffect(() => {
    void reload();
  }, [reload, id]);

  if (failure) return <Failure error={failure} />;
  if (!list) return <div className="empty">Loading broadcasts…</div>;
  return (
    <section className="broadcasts">
      <div className="broadcast-list">
        <h2>Broadcasts</h2>
        <a href="#/broadcasts">New broadcast</a>
        <ul>
          {list.broadcasts.map((b) => (
            <li key={b.id}>
              <a href={`#/broadcasts/${b.id}`} aria-current={b.id === id ? "page" : undefined}>
                #{b.id} {b.template} · {b.state}
                {b.figures ? ` · ${b.figures.sent}/${b.figures.recipients} sent` : ""}
              </a>
            </li>
          ))}
        </ul>
      </div>
      {id === null ? (
        <BroadcastForm list={list} onError={onError} />
      ) : (
        <Report key={id} id={id} onError={onError} onChanged={reload} />
      )}
    </section>
  );
}

const OPS: Condition["op"][] = ["is", "is_not", "contains", "set", "not_set"];

function BroadcastForm({ list, onError }: { list: List; onError: (error: unknown) => void }) {
  const [template, setTemplate] = useState(0);
  const [params, setParams] = useState<string[]>([]);
  const [conditions, setConditions] = useState<Condition[]>([]);
  const [labels, setLabels] = useState("");
  const [at, setAt] = useState("");
  const [count, setCount] = useState<BroadcastCount | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const chosen = list.templates[template];

  const request = (): BroadcastRequest => ({
    template: chosen?.name ?? "",
    language: chosen?.language ?? "",
    params: (chosen?.parameters ?? []).map((_, i) => params[i] ?? ""),
    segment: {
      fields: conditions,
      labels: labels
        .split(",")
        .map((l) => l.trim())
        .filter((l) => l !== ""),
    },
    ...(at ? { at } : {}),
  });
  const attempt = async (what: () => Promise<void>) => {
    setProblem(null);
    try {
      await what();
    } catch (error) {
      onError(error);
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  const counted = () => attempt(async () => setCount(await api.countBroadcast(request())));
  const create = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => navigate(`/broadcasts/${(await api.createBroadcast(request())).id}`));
  };
  const change = (i: number, part: Partial<Condition>) =>
    setConditions(conditions.map((c, j) => (j === i ? { ...c, ...part } : c)));

  if (!chosen) return <p className="empty">No approved template in journey.toml's registry.</p>;
  return (
    <form className="broadcast-form column" onSubmit={create} aria-label="New broadcast">
      <h3>New broadcast</h3>
      <label>
        Template
        <select
          aria-label="Template"
          value={template}
          onChange={(e) => {
            setTemplate(Number(e.target.value));
            setParams([]);
            setCount(null);
          }}
        >
          {list.templates.map((t, i) => (
            <option key={`${t.name}/${t.language}`} value={i}>
              {t.name} ({t.language}, {t.category})
            </option>
          ))}
        </select>
      </label>
      <p className="hint">{chosen.body}</p>
      {chosen.quick_replies.length > 0 && (
        <p className="hint">Quick replies: {chosen.quick_replies.join(", ")}</p>
      )}
      {chosen.parameters.map((name, i) => (
        <label key={name}>
          {name}
          <input
            aria-label={`Parameter ${name}`}
            placeholder="text, or @contact.FIELD"
            value={params[i] ?? ""}
            onChange={(e) => setParams(chosen.parameters.map((_, j) => (j === i ? e.target.value : params[j] ?? "")))}
          />
        </label>
      ))}
      <fieldset>
        <legend>Segment (opted-in contacts only, always)</legend>
        {conditions.map((c, i) => (
          <div className="row" key={i}>
            <input aria-label="Field" value={c.field} onChange={(e) => change(i, { field: e.target.value })} />
            <select aria-label="Condition" value={c.op} onChange={(e) => change(i, { op: e.target.value as Condition["op"] })}>
              {OPS.map((op) => (
                <option key={op} value={op}>
                  {op.replace("_", " ")}
                </option>
              ))}
            </select>
            {c.op !== "set" && c.op !== "not_set" && (
              <input aria-label="Value" value={c.value} onChange={(e) => change(i, { value: e.target.value })} />
            )}
            <button type="button" onClick={() => setConditions(conditions.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setConditions([...conditions, { field: "", op: "is", value: "" }])}>
          Add a field condition
        </button>
        <label>
          Labels (all of them)
          <input aria-label="Labels" placeholder="pregnant, soweto" value={labels} onChange={(e) => setLabels(e.target.value)} />
        </label>
      </fieldset>
      <label>
        When (empty: now; else a local time in each contact's `{list.timezone_field}` field, or{" "}
        {list.project_timezone})
        <input aria-label="When" type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
      </label>
      <div className="row">
        <button type="button" onClick={() => void counted()}>
          Count
        </button>
        <button type="submit">Save as draft</button>
      </div>
      {problem && (
        <p className="problem" role="alert">
          {problem}
        </p>
      )}
      {count && <CountView count={count} />}
    </form>
  );
}

function CountView({ count }: { count: BroadcastCount }) {
  return (
    <div className="broadcast-count" data-testid="broadcast-count">
      <p>
        <strong data-testid="recipients">{count.recipients}</strong> will receive it;{" "}
        <span data-testid="excluded">{count.excluded}</span> left out.
      </p>
      {Object.entries(count.excluded_by_reason).map(([reason, n]) => (
        <p key={reason} className="hint">
          {n} {reason}
        </p>
      ))}
      <p className="hint">
        Messaging limit: {count.tier} contacts per 24 hours; room now for {count.tier_room_now}
        {count.later_by_tier > 0 ? `, so ${count.later_by_tier} will go as the 24-hour window frees` : ""}.
      </p>
    </div>
  );
}

const FIGURES: [keyof BroadcastFigures, string][] = [
  ["recipients", "Recipients"],
  ["waiting", "Waiting"],
  ["queued", "Queued"],
  ["sent", "Sent"],
  ["delivered", "Delivered"],
  ["read", "Read"],
  ["failed", "Failed"],
];

function Report({ id, onError, onChanged }: { id: number; onError: (error: unknown) => void; onChanged: () => void }) {
  const [broadcast, setBroadcast] = useState<Broadcast | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const load = useCallback(
    () =>
      api.broadcast(id).then(setBroadcast, (error) => {
        onError(error);
        setProblem(error instanceof Error ? error.message : String(error));
      }),
    [id, onError],
  );
  useEffect(() => {
    void load();
    // Progress moves as the dispatcher sends and the status webhooks come in.
    const timer = window.setInterval(() => void load(), 2000);
    return () => window.clearInterval(timer);
  }, [load]);
  const act = async (what: () => Promise<unknown>) => {
    setProblem(null);
    try {
      await what();
      await load();
      onChanged();
    } catch (error) {
      onError(error);
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };

  if (!broadcast) return problem ? <p role="alert">{problem}</p> : <div className="empty">Loading…</div>;
  const figures = broadcast.figures;
  return (
    <div className="broadcast-report" data-testid="broadcast-report" data-state={broadcast.state}>
      <h3>
        Broadcast #{broadcast.id}: {broadcast.template} ({broadcast.language}) · {broadcast.state}
      </h3>
      <p className="hint">
        By {broadcast.author}, {localTime(broadcast.created_at)}
        {broadcast.sent_at ? `; sent ${localTime(broadcast.sent_at)}` : ""}
      </p>
      {broadcast.count && <CountView count={broadcast.count} />}
      {figures && (
        <table className="figures">
          <tbody>
            {FIGURES.map(([key, label]) => (
              <tr key={key}>
                <th>{label}</th>
                <td data-testid={`figure-${key}`}>{String(figures[key] ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {figures?.failures && figures.failures.length > 0 && (
        <table className="failures" aria-label="Failures">
          <thead>
            <tr>
              <th>Contact</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {figures.failures.map((f) => (
              <tr key={f.contact}>
                <td>{f.contact}</td>
                <td>{f.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="row">
        {broadcast.state === "draft" && (
          <button onClick={() => void act(() => api.sendBroadcast(id))}>Send</button>
        )}
        {broadcast.state !== "cancelled" && (
          <button onClick={() => void act(() => api.cancelBroadcast(id))}>Cancel broadcast</button>
        )}
      </div>
      {problem && (
        <p className="problem" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
