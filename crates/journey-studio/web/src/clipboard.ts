// Copy and paste of cards, within a journey and across journeys (Ctrl+C, Ctrl+V on the
// canvas). Within the journey a copy is `duplicate_card` (every version of the card, as
// written); into another journey it is `add_card` with the steps of the card's version
// for everyone, then `add_definition` for each "only when…" version, in the order they
// are written, each with its steps taken from the file as written.

import { useEffect } from "react";
import type { JourneyView } from "./api";
import { sliceBytes } from "./api";
import { ops } from "./ops";
import { useStudio } from "./store";

interface Copied {
  file: string;
  journey: string;
  name: string;
  /** Every definition of the card, in file order: its guard (none for the general one). */
  definitions: { guard: string | null; body: string }[];
}

let copied: Copied[] = [];

function freeName(view: JourneyView, name: string): string {
  const taken = new Set(view.cards.map((c) => c.name));
  for (let n = 1; ; n++) {
    const candidate = `${name}Copy${n === 1 ? "" : n}`;
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
}

/** Ctrl+C copies the selected cards, Ctrl+V pastes them into the open journey. */
export function useCardClipboard(view: JourneyView, selectedCards: () => string[]) {
  const { texts, target, run, say, focusCard } = useStudio();
  const text = texts[view.file];
  useEffect(() => {
    const onKey = async (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || (e.key !== "c" && e.key !== "v")) return;
      if ((e.target as HTMLElement).closest("input, textarea, select, .cm-editor")) return;
      if (e.key === "c") {
        const names = selectedCards();
        if (names.length === 0 || text === undefined) return;
        copied = view.cards
          .filter((c) => names.includes(c.name))
          .map((c) => ({
            file: view.file,
            journey: view.name,
            name: c.name,
            definitions: c.definitions.map((d) => ({
              guard: d.guard ?? null,
              body: d.statements.map((s) => sliceBytes(text, s.span)).join("\n"),
            })),
          }));
        say(`Copied ${copied.map((c) => c.name).join(", ")}. Press Ctrl+V to paste.`);
        return;
      }
      if (copied.length === 0) return;
      e.preventDefault();
      // Each operation starts from the version the previous one made (`target()`).
      const step = (op: (base: NonNullable<ReturnType<typeof target>>) => object) => {
        const base = target();
        return base ? run(op(base)) : Promise.resolve(false);
      };
      const duplicate = (card: Copied, name: string) => step((b) => ops.duplicateCard(b, card.name, name));
      const paste = async (card: Copied, name: string) => {
        const general = card.definitions.findIndex((d) => d.guard === null);
        const first = general >= 0 ? card.definitions[general].body : "";
        if (!(await step((b) => ops.addCard(b, name, first || undefined)))) return false;
        // Guarded versions at their written positions; the general one is already there.
        for (const [index, definition] of card.definitions.entries()) {
          if (definition.guard === null) continue;
          if (!(await step((b) => ops.addDefinition(b, name, definition.guard!, definition.body, index)))) return false;
        }
        // A card written only with "only when…" versions has no general one: remove the empty one added first.
        if (general < 0) return step((b) => ops.removeDefinition(b, name, card.definitions.length));
        return true;
      };
      let last = "";
      const names = new Map<string, string>();
      for (const card of copied) names.set(card.name, freeName(view, card.name));
      for (const card of copied) {
        const name = names.get(card.name)!;
        const same = card.file === view.file && card.journey === view.name;
        if (!(await (same ? duplicate(card, name) : paste(card, name)))) return;
        last = name;
      }
      if (last) focusCard(last);
    };
    const listener = (e: KeyboardEvent) => void onKey(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, [view, text, target, run, say, focusCard, selectedCards]);
}
