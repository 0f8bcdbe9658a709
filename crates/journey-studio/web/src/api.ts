// The studio's HTTP API (crates/journey-studio/API.md). Everything here is computed by the
// Rust analysis host; the UI only renders it and sends edit operations.

export type Severity = "error" | "warning" | "info";

export interface CardRef {
  journey: string;
  card: string;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  path: string;
  start: number;
  end: number;
  line: number;
  column: number;
  card?: CardRef | null;
  help?: string | null;
  notes?: string[];
  fixes: { title: string; edits: TextEdit[] }[];
}

/** A raw text edit: byte offsets into the file's current text. */
export interface TextEdit {
  path: string;
  start: number;
  end: number;
  text: string;
}

export interface ProjectFile {
  path: string;
  kind: "journey" | "notebook" | "config" | "test" | "functions" | "other";
  version: string;
}

export interface Project {
  name: string;
  root: string;
  languages: string[];
  files: ProjectFile[];
  journeys: { name: string; file: string }[];
  diagnostics: Diagnostic[];
}

export interface FileText {
  path: string;
  text: string;
  version: string;
}

export interface Change {
  /** `version` and `text` are null for a file the change removed. */
  files: { path: string; version: string | null; text: string | null }[];
  diagnostics: Diagnostic[];
  cards_changed: CardRef[];
}

export interface Arg {
  name?: string | null;
  source: string;
  value?: string | null;
  /** A string's words as set_text takes them, personalisations (`@contact.name`) included. */
  text?: string | null;
}

/** A message's version in one of the project's other languages. */
export interface Translation {
  language: string;
  /** Null: no version in this language yet, or (with `source`) not plain words. */
  text: string | null;
  source?: string | null;
}

export interface StatementView {
  index: number;
  kind: string;
  span: [number, number];
  summary: string;
  args: Arg[];
  options?: { label: string; target?: string | null }[] | null;
  form: boolean;
  var?: string | null;
  /** The statements of a call's `do … end` block (a menu's text, header, footer). */
  block?: StatementView[] | null;
  translations?: Translation[] | null;
}

export type ExitKind =
  | "next"
  | "option"
  | "guard"
  | "default"
  | "timeout"
  | "invalid"
  | "timer"
  | "error"
  | "return"
  | "interrupt"
  | "reply";

export interface Exit {
  kind: ExitKind;
  label: string;
  target?: string | null;
}

export interface CardView {
  name: string;
  span: [number, number];
  position?: { x: number; y: number } | null;
  definitions: { guard?: string | null; span: [number, number]; statements: StatementView[] }[];
  exits: Exit[];
  badges: string[];
  window: { worst_hours: number | null; outside: boolean; reached?: boolean };
  reaches_person: boolean;
  diagnostics: number[];
}

export interface JourneyView {
  name: string;
  file: string;
  version: string;
  cards: CardView[];
  calls: { card: string; journey: string }[];
}

export interface Bubble {
  from: "contact" | "journey" | "system";
  /** The transcript line's text, markers included (`[buttons] …`, `[tap …]`). */
  text: string;
  /** What the contact's phone shows (journey messages): words, header, footer, media. */
  body?: string | null;
  header?: string | null;
  footer?: string | null;
  media?: { kind: string; url: string } | null;
  template?: string | null;
  /** The title a contact tapped. */
  tap?: string | null;
  buttons?: string[] | null;
  rows?: string[] | null;
  at: string;
  line?: string;
}

export interface SimState {
  id: string;
  now: string;
  transcript: Bubble[];
  waiting: { kind: string; options?: string[] | null } | null;
  current: CardRef | null;
  fields: Record<string, unknown>;
  timers: { card: string; due: string }[];
  ended?: boolean;
}

export interface Rule {
  code: string;
  name: string;
  summary: string;
  markdown: string;
}

/** A refusal from the server, in the plain words it gave. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** Whatever else the refusal listed (a playbook's conflicts or problems). */
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

export interface FieldSetting {
  name: string;
  type: string;
  max_length?: number | null;
  choices: string[];
  description?: string | null;
  required: boolean;
  builtin: boolean;
  declared: boolean;
  max_chars?: number | null;
}

export interface TemplateSetting {
  name: string;
  language: string;
  category: string;
  status: string;
  body: string;
  parameters: string[];
}

/** journey.toml as the settings forms show it (GET /api/settings). */
export interface Settings {
  path: string;
  version: string | null;
  default_language: string;
  languages: string[];
  keywords: { help: string[]; opt_out: string[]; opt_in: string[] };
  fields: FieldSetting[];
  templates: TemplateSetting[];
  field_types: string[];
  statuses: string[];
}

/** The shortest way to a person from a card (GET /api/person-path). */
export interface PersonPath {
  card: string;
  person: string | null;
  replies: number;
  steps: { card: string; exit: number; target: string }[];
}

export interface Completion {
  label: string;
  insert: string;
  detail?: string | null;
  kind: string;
}

export interface Playbook {
  name: string;
  summary: string;
  parameters: { name: string; type: string; default?: unknown; help: string }[];
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    let details: string[] = [];
    try {
      const problem = await response.json();
      if (problem && typeof problem.error === "string") message = problem.error;
      const listed = problem?.conflicts ?? problem?.problems;
      if (Array.isArray(listed)) details = listed.map((d: unknown) => (typeof d === "string" ? d : JSON.stringify(d)));
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(message, response.status, details);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const q = encodeURIComponent;

export const api = {
  project: () => call<Project>("GET", "/api/project"),
  file: (path: string) => call<FileText>("GET", `/api/file?path=${q(path)}`),
  putFile: (path: string, text: string, base_version: string | null) =>
    call<Change>("PUT", "/api/file", { path, text, base_version }),
  op: (op: object) => call<Change>("POST", "/api/op", { op }),
  edits: (edits: TextEdit[], base_versions: Record<string, string>) =>
    call<Change>("POST", "/api/edits", { edits, base_versions }),
  undo: () => call<Change>("POST", "/api/undo"),
  redo: () => call<Change>("POST", "/api/redo"),
  journey: (file: string, name: string) =>
    call<JourneyView>("GET", `/api/journey?file=${q(file)}&name=${q(name)}`),
  layout: (file: string, journey: string, positions: Record<string, { x: number; y: number }>) =>
    call<void>("PUT", "/api/layout", { file, journey, positions }),
  settings: () => call<Settings>("GET", "/api/settings"),
  putSettings: (change: object, base_version: string | null) =>
    call<Change>("PUT", "/api/settings", { ...change, base_version }),
  personPath: (file: string, journey: string, card: string) =>
    call<PersonPath>("GET", `/api/person-path?file=${q(file)}&journey=${q(journey)}&card=${q(card)}`),
  personalisations: (path: string, offset: number) =>
    call<Completion[]>("GET", `/api/personalisations?path=${q(path)}&offset=${offset}`),
  playbooks: () => call<Playbook[]>("GET", "/api/playbooks"),
  importPlaybook: (name: string, values: Record<string, unknown>) =>
    call<Change & { todo?: string[] }>("POST", "/api/playbooks/import", { name, values }),
  rule: (code: string) => call<Rule>("GET", `/api/rules/${q(code)}`),
  simStart: (journey: string, text?: string) =>
    call<SimState>("POST", "/api/sim/start", text ? { journey, text } : { journey }),
  simSend: (id: string, input: { text: string } | { button: string }) =>
    call<SimState>("POST", `/api/sim/${q(id)}/send`, input),
  simAdvance: (id: string, by: string) => call<SimState>("POST", `/api/sim/${q(id)}/advance`, { by }),
  simSaveTest: (id: string, path: string, name: string) =>
    call<Change>("POST", `/api/sim/${q(id)}/save-test`, { path, name }),
};

/** Byte offsets (Rust spans) to UTF-16 offsets (JavaScript strings). */
export function charOffset(text: string, byte: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < byte) {
    const code = text.codePointAt(i)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    i += code >= 0x10000 ? 2 : 1;
  }
  return i;
}

/** The source text of a byte span. */
export function sliceBytes(text: string, span: [number, number]): string {
  return text.slice(charOffset(text, span[0]), charOffset(text, span[1]));
}
