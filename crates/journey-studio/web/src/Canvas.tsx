// The canvas of one journey: cards as nodes, exits as edges. Moving a card saves its position
// in the layout sidecar; dragging from an exit to a card connects it (an edit operation).

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  applyNodeChanges,
  useNodesInitialized,
  useReactFlow,
  useStore,
} from "@xyflow/react";
import type { Connection, Edge, NodeChange, NodeTypes } from "@xyflow/react";
import { api } from "./api";
import type { JourneyView } from "./api";
import { CardNode, firstMessage } from "./CardNode";
import type { CardNodeType } from "./CardNode";
import { cardExits, cardHeight, CARD_WIDTH, layout } from "./layout";
import { useCardClipboard } from "./clipboard";
import { exitRef, ops } from "./ops";
import { useStudio } from "./store";

const nodeTypes: NodeTypes = { card: CardNode };

const DASHED = new Set(["timeout", "timer"]);

/** The smallest zoom at which a card's words can still be read. */
const READABLE = 0.6;

/**
 * How far apart two cards may be for their exit to be drawn as a line. Farther jumps are
 * read from the exit's "→ Card" (a click away): lines across a large journey cost the
 * browser seconds to paint (measured on a 500-card journey) and cross everything between.
 */
const LONGEST_LINE = 2500;

function edgesOf(view: JourneyView, at: Map<string, { x: number; y: number }>): Edge[] {
  const edges: Edge[] = [];
  for (const card of view.cards) {
    const from = at.get(card.name)!;
    cardExits(card).forEach(({ exit, index: i }) => {
      const to = exit.target ? at.get(exit.target) : undefined;
      if (!to || Math.hypot(to.x - from.x, to.y - from.y) > LONGEST_LINE) return;
      edges.push({
        id: `${card.name}/${i}`,
        source: card.name,
        sourceHandle: `exit-${i}`,
        target: exit.target!,
        targetHandle: "in",
        className: `edge-${exit.kind}`,
        style: DASHED.has(exit.kind) ? { strokeDasharray: "6 4" } : undefined,
      });
    });
  }
  return edges;
}

/** The journey's interrupts: keywords that work at every question, and where they lead. */
function Interrupts({ view }: { view: JourneyView }) {
  const { focusCard } = useStudio();
  const seen = new Map<string, string>();
  for (const card of view.cards) {
    for (const exit of card.exits) if (exit.kind === "interrupt" && exit.target) seen.set(exit.label, exit.target);
  }
  if (seen.size === 0) return null;
  return (
    <Panel position="top-right" className="interrupts">
      <strong>At any question</strong>
      {[...seen.entries()].map(([keywords, target]) => (
        <button key={keywords} onClick={() => focusCard(target)}>
          {keywords} → {target}
        </button>
      ))}
    </Panel>
  );
}

export function Canvas({ view }: { view: JourneyView }) {
  const studio = useStudio();
  const { diagnostics, sim, search, selected, focus, personPaths, personPath } = studio;
  const flow = useReactFlow();
  const [nodes, setNodes] = useState<CardNodeType[]>([]);

  const needle = search.trim().toLowerCase();
  const running = sim?.current?.journey === view.name ? sim.current.card : null;

  // Laid out when the journey changes, not when only its diagnostics do; cards moved in
  // this session keep where they were dropped.
  const laidOut = useMemo(() => layout(view.cards), [view]);
  // The way to a person from the selected card: its cards, and its exits as edge ids.
  const path = useMemo(() => {
    if (!personPath || !personPath.person) return null;
    return {
      cards: new Set([personPath.card, personPath.person, ...personPath.steps.map((s) => s.target)]),
      edges: new Set(personPath.steps.map((s) => `${s.card}/${s.exit}`)),
    };
  }, [personPath]);
  const moved = useRef(new Map<string, { x: number; y: number }>());

  useEffect(() => {
    const position = (name: string) => moved.current.get(name) ?? laidOut.get(name)!;
    // Each card's problems, found in one pass over the project's.
    const problems = new Map<string, typeof diagnostics>();
    for (const d of diagnostics) {
      if (d.card?.journey === view.name) problems.set(d.card.card, [...(problems.get(d.card.card) ?? []), d]);
    }
    setNodes(
      view.cards.map((card) => ({
        id: card.name,
        type: "card",
        position: position(card.name),
        width: CARD_WIDTH,
        height: cardHeight(card),
        selected: card.name === selected,
        data: {
          card,
          problems: problems.get(card.name) ?? [],
          running: card.name === running,
          person: personPaths ? card.reaches_person : null,
          onPath: path?.cards.has(card.name) ?? false,
          matched:
            needle !== "" &&
            (card.name.toLowerCase().includes(needle) || firstMessage(card).toLowerCase().includes(needle)),
        },
      })),
    );
    // `selected` is applied by the next effect without rebuilding every node.
  }, [view, laidOut, diagnostics, running, needle, personPaths, path]);

  useEffect(() => {
    // The card chosen elsewhere (a problem, the simulator, search) becomes selected; React
    // Flow keeps the rest of the selection (shift-click, a selection box) itself.
    if (selected) setNodes((old) => old.map((n) => (n.id === selected && !n.selected ? { ...n, selected: true } : n)));
  }, [selected]);

  // Zoom to fit once the cards of the journey are on the canvas and measured.
  const initialised = useNodesInitialized();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const fitted = useRef(false);
  useEffect(() => {
    if (initialised && !fitted.current) {
      fitted.current = true;
      // Readable words first: a journey too large to fit at a readable size opens at its
      // first card, and the minimap shows the rest.
      const bounds = flow.getNodesBounds(flow.getNodes());
      const fits = bounds.width * READABLE <= width && bounds.height * READABLE <= height;
      const first = flow.getNode(view.cards[0]?.name ?? "");
      if (fits || !first) void flow.fitView({ maxZoom: 1 });
      else void flow.setViewport({ x: 40 - first.position.x, y: 40 - first.position.y, zoom: 1 });
    }
  }, [initialised, flow, view, width, height]);

  // Centre the card asked for; a card just added waits until the new view has it.
  const focused = useRef(0);
  useEffect(() => {
    const node = focus && focused.current !== focus.seq ? nodes.find((n) => n.id === focus.card) : undefined;
    if (node) {
      focused.current = focus!.seq;
      void flow.setCenter(node.position.x + CARD_WIDTH / 2, node.position.y + 60, { zoom: 1 });
    }
  }, [focus, flow, nodes]);

  const allEdges = useMemo(() => edgesOf(view, laidOut), [view, laidOut]);
  const edges = useMemo(
    () =>
      path
        ? allEdges.map((e) => (path.edges.has(e.id) ? { ...e, className: `${e.className} on-path`, animated: true } : e))
        : allEdges,
    [allEdges, path],
  );

  const selectedCards = useCallback(() => flow.getNodes().filter((n) => n.selected).map((n) => n.id), [flow]);
  useCardClipboard(view, selectedCards);

  const onNodesChange = useCallback(
    (changes: NodeChange<CardNodeType>[]) => setNodes((old) => applyNodeChanges(changes, old)),
    [],
  );

  const onNodeDragStop = useCallback(
    (_event: unknown, _node: CardNodeType, dragged: CardNodeType[]) => {
      const positions: Record<string, { x: number; y: number }> = {};
      // The server merges: only the cards moved are sent.
      for (const node of dragged) {
        positions[node.id] = { x: Math.round(node.position.x), y: Math.round(node.position.y) };
        moved.current.set(node.id, positions[node.id]);
      }
      api.layout(view.file, view.name, positions).catch((error: Error) => studio.say(error.message));
    },
    [view, studio.say],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      const base = studio.target();
      const card = view.cards.find((c) => c.name === connection.source);
      if (!base || !card || !connection.target) return;
      const handle = connection.sourceHandle ?? "";
      const exit =
        handle === "then"
          ? ({ kind: "next", journey: view.name, card: card.name, definition: 0 } as const)
          : exitRef(view.name, card, card.exits[Number(handle.replace("exit-", ""))]);
      if (!exit) {
        studio.say("This exit is set in the card's code; change it there.");
        return;
      }
      void studio.run(ops.connectExit(base, exit, connection.target));
    },
    [studio, view],
  );

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onNodeDragStop={onNodeDragStop}
      onConnect={onConnect}
      onNodeClick={(_e, node) => studio.select(node.id)}
      onPaneClick={() => studio.select(null)}
      minZoom={0.05}
      // React Flow measures every card it draws (its size and each exit's handle); on a
      // 500-card journey measuring all of them held the page for six seconds.
      onlyRenderVisibleElements
      deleteKeyCode={null}
      proOptions={{ hideAttribution: true }}
    >
      <Background />
      <Interrupts view={view} />
      <MiniMap pannable zoomable />
      <Controls />
    </ReactFlow>
  );
}
