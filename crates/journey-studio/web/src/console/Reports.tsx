// Reports (admins and builders; docs/reports.md): conversations per day, handoffs by
// queue, messages by origin, a journey's funnel as a bar chart, and the results as CSV,
// for a range of days. The server computes every figure, and the funnel's cards come in
// the journey's order from it; this page only draws them. Operators see the refusal.

import { useEffect, useState, type FormEvent } from "react";
import {
  ApiError,
  api,
  type ConversationsReport,
  type DeliveryFigures,
  type Durations,
  type FunnelReport,
  type HandoffFigures,
  type HandoffsReport,
  type MessagesReport,
  type ReportQuery,
} from "./api";
import { Failure } from "./Failure";

interface Loaded {
  conversations: ConversationsReport;
  handoffs: HandoffsReport;
  messages: MessagesReport;
  funnel: FunnelReport;
}

export function Reports({ onError }: { onError: (error: unknown) => void }) {
  // What the form holds, and the query last asked (empty: the server's default range).
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [journey, setJourney] = useState("");
  const [key, setKey] = useState("");
  const [query, setQuery] = useState<ReportQuery>({});
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);

  useEffect(() => {
    let current = true;
    Promise.all([
      api.conversationsReport(query),
      api.handoffsReport(query),
      api.messagesReport(query),
      api.funnelReport(query),
    ]).then(
      ([conversations, handoffs, messages, funnel]) => {
        if (!current) return;
        setFailure(null);
        setLoaded({ conversations, handoffs, messages, funnel });
        setFrom(conversations.range.from);
        setTo(conversations.range.to);
        setJourney(funnel.journey);
      },
      (error) => {
        if (!current) return;
        onError(error);
        setFailure(error instanceof ApiError ? error : new ApiError(String(error), 0));
      },
    );
    return () => {
      current = false;
    };
  }, [query, onError]);

  // A refusal (operators) replaces the page; a bad range keeps the form to correct it.
  if (failure && (failure.status === 403 || !loaded)) return <Failure error={failure} />;
  if (!loaded) return <div className="empty">Loading the reports…</div>;
  const { conversations, handoffs, messages, funnel } = loaded;
  const show = (event: FormEvent) => {
    event.preventDefault();
    setQuery({ from, to, journey });
  };
  return (
    <section className="reports" data-testid="reports">
      <form className="report-range row" onSubmit={show}>
        <h2>Reports</h2>
        <label className="field">
          <span>From</span>
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-label="From" />
        </label>
        <label className="field">
          <span>To</span>
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-label="To" />
        </label>
        <button type="submit">Show</button>
        <span className="hint">Days in {conversations.range.time_zone}, the project's time zone</span>
      </form>
      {failure && (
        <p className="form-error" role="alert">
          {failure.message}
        </p>
      )}
      <Conversations report={conversations} />
      <Handoffs report={handoffs} />
      <Messages report={messages} />
      <section className="report" data-testid="funnel">
        <h3>Funnel</h3>
        <label className="row">
          <span>Journey</span>
          <select
            value={journey}
            aria-label="Journey"
            onChange={(e) => {
              setJourney(e.target.value);
              setQuery({ ...query, journey: e.target.value });
            }}
          >
            {funnel.journeys.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <p className="hint">
          Contacts who were at each card in the range; the dark part stopped there (their run ended there or
          waits there).
        </p>
        <FunnelChart report={funnel} />
      </section>
      <section className="report" data-testid="results">
        <h3>Results</h3>
        <p className="hint">Every <code>write_result</code> of the range as CSV, oldest first.</p>
        <div className="row">
          <input placeholder="key (all when empty)" value={key} onChange={(e) => setKey(e.target.value)} aria-label="Key" />
          <a className="export" href={api.resultsUrl({ ...query, journey: undefined, key })} download="results.csv">
            Download results CSV
          </a>
        </div>
      </section>
    </section>
  );
}

function Conversations({ report }: { report: ConversationsReport }) {
  return (
    <section className="report" data-testid="conversations">
      <h3>Conversations</h3>
      <table className="figures">
        <thead>
          <tr>
            <th>Day</th>
            <th>Contacts who wrote</th>
            <th>Messages in</th>
            <th>Journeys started</th>
            <th>Journeys finished</th>
          </tr>
        </thead>
        <tbody>
          {report.days.map((day) => (
            <tr key={day.day}>
              <td>{day.day}</td>
              <td>{day.contacts}</td>
              <td>{day.messages}</td>
              <td>{day.started}</td>
              <td>{day.finished}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="conversation-totals">
            <th>Total</th>
            <td />
            <td>{report.totals.messages}</td>
            <td>{report.totals.started}</td>
            <td>{report.totals.finished}</td>
          </tr>
        </tfoot>
      </table>
    </section>
  );
}

/** "2 min 05 s", "1 h 10 min", "—" for none. */
function duration(seconds: number | null): string {
  if (seconds === null) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, "0")} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
}

function times(d: Durations) {
  return `${duration(d.median_seconds)} / ${duration(d.p90_seconds)}`;
}

function Handoffs({ report }: { report: HandoffsReport }) {
  const row = (name: string, f: HandoffFigures, total = false) => (
    <tr key={name} data-queue={total ? undefined : name}>
      {total ? <th>{name}</th> : <td>{name}</td>}
      <td>{f.opened}</td>
      <td>{f.assigned}</td>
      <td>{f.closed}</td>
      <td>{f.open}</td>
      <td>{times(f.first_reply)}</td>
      <td>{times(f.resolution)}</td>
    </tr>
  );
  return (
    <section className="report" data-testid="handoffs">
      <h3>Handoffs by queue</h3>
      <p className="hint">Handoffs opened in the range; times are median / 90th percentile.</p>
      <table className="figures">
        <thead>
          <tr>
            <th>Queue</th>
            <th>Opened</th>
            <th>Assigned</th>
            <th>Closed</th>
            <th>Still open</th>
            <th>First agent reply</th>
            <th>Resolution</th>
          </tr>
        </thead>
        <tbody>{report.queues.map((q) => row(q.queue ?? "", q))}</tbody>
        <tfoot>{row("All queues", report.total, true)}</tfoot>
      </table>
    </section>
  );
}

function Messages({ report }: { report: MessagesReport }) {
  const row = (name: string, f: DeliveryFigures, total = false) => (
    <tr key={name} data-origin={total ? undefined : name}>
      {total ? <th>{name}</th> : <td>{name}</td>}
      <td>{f.total}</td>
      <td>{f.sent}</td>
      <td>{f.delivered}</td>
      <td>{f.read}</td>
      <td>{f.failed}</td>
      <td>{f.pending}</td>
    </tr>
  );
  return (
    <section className="report" data-testid="messages">
      <h3>Messages</h3>
      <table className="figures">
        <thead>
          <tr>
            <th>From</th>
            <th>Total</th>
            <th>Sent</th>
            <th>Delivered</th>
            <th>Read</th>
            <th>Failed</th>
            <th>Not sent yet</th>
          </tr>
        </thead>
        <tbody>{report.origins.map((o) => row(o.origin ?? "", o))}</tbody>
        <tfoot>{row("All", report.total, true)}</tfoot>
      </table>
    </section>
  );
}

const BAR_HEIGHT = 22;
const LABEL_WIDTH = 160;
const CHART_WIDTH = 720;
const COUNT_WIDTH = 180;

/** Horizontal bars, one a card in the journey's order: contacts who reached it, and
 * the darker part those who stopped there. */
function FunnelChart({ report }: { report: FunnelReport }) {
  const most = Math.max(1, ...report.cards.map((c) => c.reached));
  const span = CHART_WIDTH - LABEL_WIDTH - COUNT_WIDTH;
  const height = report.cards.length * (BAR_HEIGHT + 6) + 6;
  return (
    <svg
      className="funnel-chart"
      width={CHART_WIDTH}
      height={height}
      role="img"
      aria-label={`Funnel of ${report.journey}`}
    >
      {report.cards.map((card, n) => {
        const y = 6 + n * (BAR_HEIGHT + 6);
        const reached = (card.reached / most) * span;
        const stopped = (card.stopped / most) * span;
        return (
          <g
            key={card.card}
            data-testid="funnel-bar"
            data-card={card.card}
            data-reached={card.reached}
            data-stopped={card.stopped}
          >
            <text x={LABEL_WIDTH - 8} y={y + BAR_HEIGHT / 2 + 4} textAnchor="end" className={card.deployed ? "" : "retired"}>
              {card.card}
            </text>
            <rect className="reached" x={LABEL_WIDTH} y={y} width={reached} height={BAR_HEIGHT} />
            <rect className="stopped" x={LABEL_WIDTH} y={y} width={stopped} height={BAR_HEIGHT} />
            <text x={LABEL_WIDTH + reached + 6} y={y + BAR_HEIGHT / 2 + 4} className="bar-count">
              {card.reached} reached, {card.stopped} stopped
            </text>
          </g>
        );
      })}
    </svg>
  );
}
