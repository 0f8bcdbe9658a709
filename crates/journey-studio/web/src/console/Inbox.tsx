// The inbox: the queues with their open handoffs, longest waiting first (the server's
// order), and the open conversation beside them. Live: `/console/api/events` names each
// contact that changed; the queues and that contact's conversation are read again, with
// no reload of the page.

import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, waited, type Me, type Queues } from "./api";
import { Failure } from "./Failure";
import { navigate } from "./route";
import { ConversationPane } from "./Conversation";

/**
 * Waiting times and the 24-hour window are the server's, and they change with no event:
 * the queues and the open conversation are read again this often.
 */
const REFRESH_MS = 15_000;

export function Inbox({ me, contact, onError }: { me: Me; contact: string | null; onError: (e: unknown) => void }) {
  const [queues, setQueues] = useState<Queues | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [live, setLive] = useState<"connecting" | "live" | "reconnecting">("connecting");
  // Bumped when the open conversation is to be read again.
  const [changes, setChanges] = useState(0);
  const shown = useRef(contact);
  useEffect(() => {
    shown.current = contact;
  }, [contact]);

  const load = useCallback(() => {
    api.queues().then(
      (found) => {
        setQueues(found);
        setFailure(null);
      },
      (error) => {
        onError(error);
        setFailure(error instanceof ApiError ? error : new ApiError(String(error), 0));
      },
    );
  }, [onError]);

  useEffect(() => {
    load();
    const timer = window.setInterval(() => {
      load();
      setChanges((n) => n + 1);
    }, REFRESH_MS);
    const events = new EventSource("api/events");
    events.addEventListener("ready", () => setLive("live"));
    events.addEventListener("change", (event) => {
      load();
      const changed = JSON.parse((event as MessageEvent).data)?.contact;
      if (changed === shown.current) setChanges((n) => n + 1);
    });
    events.onerror = () => setLive("reconnecting");
    return () => {
      window.clearInterval(timer);
      events.close();
    };
  }, [load]);

  if (failure && (failure.status === 403 || !queues)) return <Failure error={failure} />;
  const teams = queues?.queues.map((q) => q.queue) ?? [];
  return (
    <div className="inbox" data-live={live}>
      <aside className="queues" aria-label="Queues">
        <div className="live-state">
          {live === "live" ? "Live" : live === "connecting" ? "Connecting…" : "Reconnecting…"}
        </div>
        {queues && queues.open === 0 && <p className="empty">Nobody is waiting.</p>}
        {queues?.queues.map((queue) => (
          <section key={queue.queue} className="queue" data-testid={`queue-${queue.queue}`}>
            <h2>
              {queue.queue} <span className="count">{queue.open}</span>
            </h2>
            <p className="queue-figures">
              {queue.unassigned} unassigned · {queue.mine} yours
            </p>
            <ul>
              {queue.handoffs.map((handoff) => (
                <li key={handoff.contact}>
                  <button
                    className={handoff.contact === contact ? "handoff current" : "handoff"}
                    data-testid={`handoff-${handoff.contact}`}
                    onClick={() => navigate(`/c/${encodeURIComponent(handoff.contact)}`)}
                  >
                    <span className="handoff-contact">{handoff.contact}</span>
                    <span className="waiting" title={`waiting since ${handoff.since}`}>
                      waiting {waited(handoff.waiting_seconds)}
                    </span>
                    {handoff.note && <span className="handoff-note">{handoff.note}</span>}
                    <span className="assignee">
                      {handoff.assignee === me.name ? "yours" : (handoff.assignee ?? "unassigned")}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </aside>
      {contact ? (
        <ConversationPane
          key={contact}
          contact={contact}
          changes={changes}
          teams={teams}
          onChanged={load}
          onError={onError}
        />
      ) : (
        <p className="empty pick">Pick a conversation from a queue.</p>
      )}
    </div>
  );
}
