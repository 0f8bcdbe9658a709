// Edit operations as the server takes them: journey_analysis::edit::EditOp in JSON (serde tag
// "op", snake_case), each with the file and the version of it that the gesture saw. Every
// gesture of the canvas and the inspector is built here and nowhere else.

import type { CardView, Exit as ExitView } from "./api";

/** The open journey's file, the version the UI shows, and the journey's name. */
export interface Base {
  file: string;
  base_version: string;
  journey: string;
}

/** A statement: the card's definition, its index in the body, `inner` in a `do … end` block. */
export interface At {
  journey: string;
  card: string;
  definition: number;
  statement: number;
  inner?: number;
}

/** An argument: by position among the positional ones, or by name. */
export type ArgKey = number | string;

/** An exit that can be pointed at another card (EditOp's `Exit`). */
export type ExitRef =
  | { kind: "next"; journey: string; card: string; definition: number }
  | { kind: "option"; at: At; index: number }
  | { kind: "branch" | "timeout" | "invalid" | "error" | "return" | "timer"; at: At }
  | { kind: "interrupt"; journey: string; index: number };

/** A string as journey source (for settings that take text, like a handoff's note). */
export function literal(text: string): string {
  return JSON.stringify(text);
}

const on = (b: Base) => ({ file: b.file, base_version: b.base_version });

export const ops = {
  addCard: (b: Base, name: string, body?: string, after?: string) => ({
    op: "add_card", ...on(b), journey: b.journey, name, body: body ?? null, after: after ?? null,
  }),
  renameCard: (b: Base, card: string, newName: string) => ({
    op: "rename_card", ...on(b), journey: b.journey, card, new_name: newName,
  }),
  deleteCard: (b: Base, card: string) => ({ op: "delete_card", ...on(b), journey: b.journey, card }),
  duplicateCard: (b: Base, card: string, newName: string) => ({
    op: "duplicate_card", ...on(b), journey: b.journey, card, new_name: newName,
  }),
  addDefinition: (b: Base, card: string, guard: string, body?: string, index?: number) => ({
    op: "add_definition", ...on(b), journey: b.journey, card, guard, body: body ?? null, index: index ?? null,
  }),
  removeDefinition: (b: Base, card: string, definition: number) => ({
    op: "remove_definition", ...on(b), journey: b.journey, card, definition,
  }),
  addStatement: (b: Base, at: At, source: string) => ({ op: "add_statement", ...on(b), at, source }),
  removeStatement: (b: Base, at: At) => ({ op: "remove_statement", ...on(b), at }),
  setArgument: (b: Base, at: At, arg: ArgKey, value: string) => ({ op: "set_argument", ...on(b), at, arg, value }),
  clearArgument: (b: Base, at: At, arg: ArgKey) => ({ op: "clear_argument", ...on(b), at, arg }),
  setText: (b: Base, at: At, text: string) => ({ op: "set_text", ...on(b), at, text }),
  setTranslation: (b: Base, at: At, language: string, text: string | null) => ({
    op: "set_translation", ...on(b), at, language, text,
  }),
  addOption: (b: Base, at: At, card: string, label?: string) => ({
    op: "add_option", ...on(b), at, card, label: label ?? null,
  }),
  removeOption: (b: Base, at: At, index: number) => ({ op: "remove_option", ...on(b), at, index }),
  setOptionLabel: (b: Base, at: At, index: number, label: string) => ({
    op: "set_option_label", ...on(b), at, index, label,
  }),
  moveOption: (b: Base, at: At, from: number, to: number) => ({ op: "move_option", ...on(b), at, from, to }),
  connectExit: (b: Base, exit: ExitRef, target: string | null) => ({ op: "connect_exit", ...on(b), exit, target }),
};

/** The named argument of a statement that each kind of exit is. */
const EXIT_ARGS: Record<string, { arg: string; kind: "timeout" | "invalid" | "error" | "return" }> = {
  timeout: { arg: "on_timeout", kind: "timeout" },
  invalid: { arg: "on_invalid", kind: "invalid" },
  error: { arg: "on_error", kind: "error" },
  return: { arg: "on_return", kind: "return" },
};

/**
 * Which statement of the card an exit the server listed comes from, found among the
 * statements the server described (their options and arguments): the operation that
 * points it elsewhere names that statement. Null when the exit is not one an operation
 * can move (a guard's or an interrupt's).
 */
export function exitRef(journey: string, card: CardView, exit: ExitView): ExitRef | null {
  if (exit.kind === "next") return { kind: "next", journey, card: card.name, definition: 0 };
  for (const [d, definition] of card.definitions.entries()) {
    for (const statement of definition.statements) {
      const at: At = { journey, card: card.name, definition: d, statement: statement.index };
      if (exit.kind === "option" && statement.options) {
        const index = statement.options.findIndex((o) => o.target === exit.target && o.label === exit.label);
        if (index >= 0) return { kind: "option", at, index };
      }
      const named = EXIT_ARGS[exit.kind];
      if (named && statement.args.some((a) => a.name === named.arg && a.source === exit.target)) {
        return { kind: named.kind, at };
      }
      if (exit.kind === "timer" && statement.kind === "schedule" && statement.args[0]?.source === exit.target) {
        return { kind: "timer", at };
      }
      if ((exit.kind === "guard" || exit.kind === "default") && statement.kind === "then") {
        if (statement.args.some((a) => a.source === exit.target)) return { kind: "branch", at };
      }
    }
  }
  return null;
}
