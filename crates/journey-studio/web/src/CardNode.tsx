// One card on the canvas: what it does at a glance, its exits as handles to drag from.

import { memo } from "react";
import { Handle, Position } from "@xyflow/react";
import type { Node, NodeProps } from "@xyflow/react";
import type { CardView, Diagnostic } from "./api";
import { CARD_WIDTH, cardExits, EXIT_WORDS } from "./layout";
import { useStudio } from "./store";

export interface CardData extends Record<string, unknown> {
  card: CardView;
  problems: Diagnostic[];
  running: boolean;
  matched: boolean;
  /** When the way to a person is shown: whether this card has one. */
  person: boolean | null;
  /** On the way to a person from the selected card. */
  onPath: boolean;
}

export type CardNodeType = Node<CardData, "card">;

const BADGE_WORDS: Record<string, string> = {
  handoff: "to a person",
  template: "template",
  buttons: "buttons",
  list: "list",
  schedule: "timer",
  run: "starts a journey",
  end: "ends",
  ask: "question",
  http: "web call",
  escalation: "escalation",
};

/** Statements whose first string argument is words the contact reads. */
const MESSAGES = new Set(["text", "buttons", "list", "ask", "send_message_template", "image", "video", "document", "audio"]);

/** What the card sends first, in the words the contact reads; else what its first step does. */
export function firstMessage(card: CardView): string {
  for (const definition of card.definitions) {
    for (const statement of definition.statements) {
      if (!MESSAGES.has(statement.kind)) continue;
      // A menu's words are in the `text(…)` of its block.
      const message = statement.block?.find((s) => s.kind === "text") ?? statement;
      const first = message.args.find((a) => !a.name);
      const words = first?.text ?? first?.value;
      // Words the server cannot give as text (an expression): its summary quotes them.
      return words ?? message.summary;
    }
  }
  return card.definitions[0]?.statements[0]?.summary ?? "";
}

/** An exit's words when the server gives it no label (a `then:`, a timeout…). */
function CardNodeView({ data, selected }: NodeProps<CardNodeType>) {
  const { card, problems, running, matched, person, onPath } = data;
  const { focusCard } = useStudio();
  const worst = problems.some((p) => p.severity === "error")
    ? "error"
    : problems.some((p) => p.severity === "warning")
      ? "warning"
      : problems.length > 0
        ? "info"
        : "";
  const classes = ["card-node", worst && `has-${worst}`, selected && "selected", running && "running", matched && "matched",
    person === true && "to-person", person === false && "no-person", onPath && "on-path"];
  return (
    <div className={classes.filter(Boolean).join(" ")} style={{ width: CARD_WIDTH }} data-card={card.name}>
      <Handle type="target" position={Position.Left} id="in" className="card-in" />
      <div className="card-head">
        <span className="card-name">{card.name}</span>
        {card.badges.map((badge) => (
          <span key={badge} className={`badge badge-${badge}`}>
            {BADGE_WORDS[badge] ?? badge}
          </span>
        ))}
        {card.window.worst_hours != null && card.window.worst_hours > 0 && (
          <span className="badge badge-hours" title="At worst, this long since the contact's last message when this card runs">
            ≤ {card.window.worst_hours}h
          </span>
        )}
        {card.window.outside && (
          <span className="badge badge-window" title="May send free-form text more than 24 hours after the contact's last message">
            outside 24h
          </span>
        )}
      </div>
      <div className="card-text">{firstMessage(card)}</div>
      {problems.length > 0 && (
        <div className={`card-problems ${worst}`}>
          {problems.slice(0, 2).map((p, i) => (
            <div key={i}>
              {p.code}: {p.message}
            </div>
          ))}
          {problems.length > 2 && <div>and {problems.length - 2} more</div>}
        </div>
      )}
      <div className="card-exits">
        {cardExits(card).map(({ exit, index: i }) => (
          <div key={i} className={`card-exit exit-${exit.kind}`} data-exit={i}>
            <span className="exit-label">{exit.label || EXIT_WORDS[exit.kind] || exit.kind}</span>
            {exit.target ? (
              <button className="exit-target nodrag" onClick={(e) => { e.stopPropagation(); focusCard(exit.target!); }}>
                → {exit.target}
              </button>
            ) : (
              <span className="exit-target">not connected</span>
            )}
            <Handle type="source" position={Position.Right} id={`exit-${i}`} className="card-out" />
          </div>
        ))}
        {!card.exits.some((e) => e.kind === "next") && (
          <div className="card-exit exit-then" title="Drag to the card that comes next">
            <span className="exit-label">then</span>
            <span className="exit-target">drag to connect</span>
            <Handle type="source" position={Position.Right} id="then" className="card-out" />
          </div>
        )}
      </div>
    </div>
  );
}

export const CardNode = memo(CardNodeView);
