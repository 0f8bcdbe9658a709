// Where each card goes: its saved position (the layout sidecar) or, for cards without one, a
// layered left-to-right layout in reading order (dagre).

import dagre from "@dagrejs/dagre";
import type { CardView, Exit } from "./api";

export const CARD_WIDTH = 250;

/** How each kind of exit is named to a builder. */
export const EXIT_WORDS: Record<string, string> = {
  next: "then",
  timeout: "no answer",
  invalid: "after the last try",
  timer: "timer",
  return: "handed back",
  error: "if it fails",
  default: "otherwise",
  reply: "reply",
  interrupt: "keyword",
};

/**
 * The exits drawn on a card, with their index in the server's list (the handle's id).
 * Interrupts (keywords that work at every question) are the journey's, not one card's:
 * the canvas lists them once instead.
 */
export function cardExits(card: CardView): { exit: Exit; index: number }[] {
  return card.exits.map((exit, index) => ({ exit, index })).filter(({ exit }) => exit.kind !== "interrupt");
}

/**
 * The height a card takes on the canvas: its header (one line: see `.card-head`), its
 * first message (at most two lines), its problems (at most three lines) and one row per
 * exit. The layout spaces cards by it, so it must not be less than what is drawn.
 */
export function cardHeight(card: CardView): number {
  const hasNext = card.exits.some((e) => e.kind === "next");
  const problems = card.diagnostics.length > 0 ? 64 : 0;
  return 84 + problems + 22 * (cardExits(card).length + (hasNext ? 0 : 1));
}

/**
 * A breadth-first tree over the cards, from the cards in reading order: each card's parent
 * is the first card found to lead to it. Its depth is the card's column.
 */
function tree(cards: CardView[]): { edges: [string, string][]; depth: Map<string, number>; order: string[] } {
  const byName = new Map(cards.map((c) => [c.name, c]));
  const depth = new Map<string, number>();
  const edges: [string, string][] = [];
  const order: string[] = [];
  for (const root of cards) {
    if (depth.has(root.name)) continue;
    depth.set(root.name, 0);
    const queue = [root];
    for (let i = 0; i < queue.length; i++) {
      order.push(queue[i].name);
      for (const { exit } of cardExits(queue[i])) {
        const next = exit.target ? byName.get(exit.target) : undefined;
        if (next && !depth.has(next.name)) {
          depth.set(next.name, depth.get(queue[i].name)! + 1);
          edges.push([queue[i].name, next.name]);
          queue.push(next);
        }
      }
    }
  }
  return { edges, depth, order };
}

/**
 * Past this many cards dagre takes seconds (measured: 2 s for 500 cards even when ranking
 * by the tree alone), so large journeys get plain columns by tree depth instead.
 */
const DAGRE_LIMIT = 150;
const COLUMN = CARD_WIDTH + 90;
const GAP = 30;

/**
 * Where each card goes: its saved position, else a layered layout, left to right, in
 * reading order. The layers come from the tree above, so each card sits one column right
 * of the first card that leads to it; every exit is still drawn, only the tree places the
 * cards (ranking by every exit makes dagre route each long edge through a chain of dummy
 * nodes: two minutes for a 500-card journey whose questions all time out to one card).
 */
export function layout(cards: CardView[]): Map<string, { x: number; y: number }> {
  const positions = new Map<string, { x: number; y: number }>();
  if (cards.some((c) => !c.position)) {
    const { edges, depth, order } = tree(cards);
    const byName = new Map(cards.map((c) => [c.name, c]));
    if (cards.length <= DAGRE_LIMIT) {
      const graph = new dagre.graphlib.Graph();
      graph.setGraph({ rankdir: "LR", nodesep: GAP, ranksep: 90, marginx: 20, marginy: 20 });
      graph.setDefaultEdgeLabel(() => ({}));
      for (const card of cards) graph.setNode(card.name, { width: CARD_WIDTH, height: cardHeight(card) });
      for (const [from, to] of edges) graph.setEdge(from, to);
      dagre.layout(graph);
      for (const card of cards) {
        const node = graph.node(card.name);
        positions.set(card.name, { x: node.x - CARD_WIDTH / 2, y: node.y - cardHeight(card) / 2 });
      }
    } else {
      const bottom = new Map<number, number>();
      for (const name of order) {
        const column = depth.get(name)!;
        const y = bottom.get(column) ?? 20;
        positions.set(name, { x: 20 + column * COLUMN, y });
        bottom.set(column, y + cardHeight(byName.get(name)!) + GAP);
      }
    }
  }
  for (const card of cards) if (card.position) positions.set(card.name, card.position);
  return positions;
}
