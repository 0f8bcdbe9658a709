// Where each card goes: its saved position (the layout sidecar) or, for cards without one, a
// layered left-to-right layout in reading order (dagre).

import dagre from "@dagrejs/dagre";
import type { CardView, Exit } from "./api";

export const CARD_WIDTH = 250;

/**
 * The exits drawn on a card, with their index in the server's list (the handle's id).
 * Interrupts (keywords that work at every question) are the journey's, not one card's:
 * the canvas lists them once instead.
 */
export function cardExits(card: CardView): { exit: Exit; index: number }[] {
  return card.exits.map((exit, index) => ({ exit, index })).filter(({ exit }) => exit.kind !== "interrupt");
}

/** The height a card node takes: a header, its first message and one row per exit. */
export function cardHeight(card: CardView): number {
  const hasNext = card.exits.some((e) => e.kind === "next");
  return 78 + 22 * (cardExits(card).length + (hasNext ? 0 : 1));
}

export function layout(cards: CardView[]): Map<string, { x: number; y: number }> {
  const positions = new Map<string, { x: number; y: number }>();
  const unplaced = cards.filter((c) => !c.position);
  if (unplaced.length > 0) {
    const graph = new dagre.graphlib.Graph();
    graph.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 90, marginx: 20, marginy: 20 });
    graph.setDefaultEdgeLabel(() => ({}));
    const names = new Set(cards.map((c) => c.name));
    for (const card of cards) graph.setNode(card.name, { width: CARD_WIDTH, height: cardHeight(card) });
    for (const card of cards) {
      for (const { exit } of cardExits(card)) {
        if (exit.target && names.has(exit.target) && exit.target !== card.name) {
          graph.setEdge(card.name, exit.target);
        }
      }
    }
    dagre.layout(graph);
    for (const card of cards) {
      const node = graph.node(card.name);
      positions.set(card.name, { x: node.x - CARD_WIDTH / 2, y: node.y - cardHeight(card) / 2 });
    }
  }
  for (const card of cards) if (card.position) positions.set(card.name, card.position);
  return positions;
}
