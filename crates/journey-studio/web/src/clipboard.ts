// Copy and paste of cards, within a journey and across journeys (Ctrl+C, Ctrl+V on the
// canvas). Within the journey a copy is `duplicate_card` (every version of the card, as
// written); into another journey it is `add_card` with the steps of the card's first
// version, taken from the file as written.

import { useEffect } from "react";
import type { JourneyView } from "./api";
import { sliceBytes } from "./api";
import { ops } from "./ops";
import { useStudio } from "./store";

interface Copied {
  file: string;
  journey: string;
  name: string;
  body: string;
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
            body: c.definitions[0].statements.map((s) => sliceBytes(text, s.span)).join("\n"),
          }));
        say(`Copied ${copied.map((c) => c.name).join(", ")}. Press Ctrl+V to paste.`);
        return;
      }
      if (copied.length === 0) return;
      e.preventDefault();
      let last = "";
      const names = new Map<string, string>();
      for (const card of copied) names.set(card.name, freeName(view, card.name));
      for (const card of copied) {
        const base = target();
        if (!base) return;
        const name = names.get(card.name)!;
        const same = card.file === view.file && card.journey === view.name;
        const ok = await run(same ? ops.duplicateCard(base, card.name, name) : ops.addCard(base, name, card.body));
        if (!ok) return;
        last = name;
      }
      if (last) focusCard(last);
    };
    const listener = (e: KeyboardEvent) => void onKey(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, [view, text, target, run, say, focusCard, selectedCards]);
}
