// Edit operations as the server takes them: journey_analysis::edit::EditOp in JSON (serde tag
// "op", snake_case). Every gesture of the canvas and the inspector is built here and nowhere
// else, so the shape of an operation is kept in one place.

export interface Target {
  file: string;
  base_version: string;
  journey: string;
}

export interface StatementRef extends Target {
  card: string;
  definition: number;
  statement: number;
}

/** A string as journey source: the language's string literal is JSON's. */
export function literal(text: string): string {
  return JSON.stringify(text);
}

export const ops = {
  addCard: (t: Target, name: string, source?: string) => ({ op: "add_card", ...t, name, source: source ?? null }),
  renameCard: (t: Target, card: string, to: string) => ({ op: "rename_card", ...t, card, to }),
  deleteCard: (t: Target, card: string) => ({ op: "delete_card", ...t, card }),
  /** Set (value: source text) or clear (value: null) an argument: by name, or the n-th positional. */
  setArg: (s: StatementRef, arg: { name: string } | { position: number }, value: string | null) => ({
    op: "set_arg",
    ...s,
    ...arg,
    value,
  }),
  addOption: (s: StatementRef, label: string, target: string) => ({ op: "add_option", ...s, label, target }),
  removeOption: (s: StatementRef, option: number) => ({ op: "remove_option", ...s, option }),
  renameOption: (s: StatementRef, option: number, label: string) => ({ op: "rename_option", ...s, option, label }),
  moveOption: (s: StatementRef, option: number, to: number) => ({ op: "move_option", ...s, option, to }),
  connectExit: (t: Target, card: string, exit: number, target: string) => ({
    op: "connect_exit",
    ...t,
    card,
    exit,
    target,
  }),
  addGuard: (t: Target, card: string, guard: string) => ({ op: "add_guard", ...t, card, guard }),
  setGuard: (t: Target, card: string, definition: number, guard: string | null) => ({
    op: "set_guard",
    ...t,
    card,
    definition,
    guard,
  }),
  addStatement: (t: Target, card: string, definition: number, source: string) => ({
    op: "add_statement",
    ...t,
    card,
    definition,
    source,
  }),
};
