// The console's HTTP API (docs/inbox.md, docs/people.md), as `journey serve` answers it at
// `/console/`. The page is served at `/console/`, so every URL here is relative to it. The
// server decides everything (the window, who may do what); the page shows its answers.

import { ApiError } from "../api";

export { ApiError };

export type Role = "admin" | "builder" | "operator";

export interface Me {
  name: string;
  role: Role;
  csrf_token: string;
  expires_at: string;
}

export interface Handoff {
  contact: string;
  queue: string;
  note: string | null;
  since: string;
  waiting_seconds: number;
  assignee: string | null;
  last_message_at: string | null;
}

export interface Queue {
  queue: string;
  open: number;
  unassigned: number;
  mine: number;
  handoffs: Handoff[];
}

export interface Queues {
  open: number;
  queues: Queue[];
}

export interface Message {
  from: "contact" | "bot" | "agent";
  at: string;
  text: string | null;
  kind?: string;
  agent?: string | null;
  state?: string | null;
  delivery?: string | null;
  error?: string | null;
}

export interface Template {
  name: string;
  language: string;
  body: string;
  parameters: string[];
}

export interface Conversation {
  contact: string;
  handoff: Handoff | null;
  window: { open: boolean; closes_at: string | null; reply: string };
  messages: Message[];
  steps: { at: string; event: string; did: string[] }[];
  journey: string | null;
  cards: string[];
  fields: Record<string, unknown>;
  opted_out: boolean;
  labels: string[];
  notes: { author: string; text: string; at: string }[];
  templates: Template[];
}

export interface AuditEntry {
  id: number;
  at: string;
  who: string;
  action: string;
  subject: string | null;
  from: string | null;
  detail: string;
}

export interface ContactListing {
  contact: string;
  fields: Record<string, unknown>;
  labels: string[];
  opted_out: boolean;
  handoff: string | null;
}

export interface ContactPage {
  contacts: ContactListing[];
  next: string | null;
  /** The contact fields there are to search by. */
  fields: string[];
}

export interface ContactProfile {
  contact: string;
  fields: Record<string, unknown>;
  labels: string[];
  opted_out: boolean;
  marketing_opted_out: boolean;
  handoff: Handoff | null;
  messages: Message[];
  steps: { at: string; event: string; did: string[] }[];
  history_limit: number;
}

/** A search as the server takes it (its query string). */
export interface ContactSearch {
  q?: string;
  field?: string;
  value?: string;
  label?: string;
  opted?: "" | "in" | "out";
  after?: string;
}

/** A row (or the file) an import refused, as the server names it. */
export interface RejectedRow {
  line: number;
  column: string | null;
  why: string;
}

export type ImportResult =
  | { imported: true; created: number; updated: number }
  | { imported: false; error: string; rejected: RejectedRow[]; more_rejected: number };

export interface TemplateReply {
  name: string;
  language: string;
  params: string[];
}

export interface Condition {
  field: string;
  op: "is" | "is_not" | "contains" | "set" | "not_set";
  value: string;
}

/** What a broadcast asks for (docs/broadcasts.md). */
export interface BroadcastRequest {
  template: string;
  language: string;
  params: string[];
  segment: { fields: Condition[]; labels: string[] };
  at?: string;
}

/** The server's count: recipients, who is left out and why, the tier's room now. */
export interface BroadcastCount {
  recipients: number;
  excluded: number;
  excluded_by_reason: Record<string, number>;
  tier: number;
  tier_room_now: number;
  later_by_tier: number;
}

export interface BroadcastFigures {
  recipients: number;
  waiting: number;
  queued: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  failures?: { contact: string; reason: string }[];
}

export interface Broadcast {
  id: number;
  author: string;
  state: "draft" | "sending" | "cancelled";
  template: string;
  language: string;
  created_at: string;
  sent_at: string | null;
  request?: BroadcastRequest;
  count?: BroadcastCount;
  figures?: BroadcastFigures;
}

export interface BroadcastTemplate extends Template {
  category: string;
  quick_replies: string[];
}

export interface Broadcasts {
  broadcasts: Broadcast[];
  templates: BroadcastTemplate[];
  tier: number;
  project_timezone: string;
  timezone_field: string;
}

/** The days a report covers, in the project's time zone (docs/reports.md). */
export interface ReportRange {
  from: string;
  to: string;
  time_zone: string;
}

export interface DayActivity {
  day: string;
  contacts: number;
  messages: number;
  started: number;
  finished: number;
}

export interface ConversationsReport {
  range: ReportRange;
  totals: { messages: number; started: number; finished: number };
  days: DayActivity[];
}

export interface Durations {
  count: number;
  median_seconds: number | null;
  p90_seconds: number | null;
}

export interface HandoffFigures {
  queue?: string;
  opened: number;
  assigned: number;
  closed: number;
  open: number;
  first_reply: Durations;
  resolution: Durations;
}

export interface HandoffsReport {
  range: ReportRange;
  queues: HandoffFigures[];
  total: HandoffFigures;
}

export interface DeliveryFigures {
  origin?: string;
  total: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
}

export interface MessagesReport {
  range: ReportRange;
  origins: DeliveryFigures[];
  total: DeliveryFigures;
}

export interface FunnelCard {
  card: string;
  reached: number;
  stopped: number;
  /** False for a card of an earlier version that the deployed journey no longer has. */
  deployed: boolean;
}

export interface FunnelReport {
  range: ReportRange;
  journey: string;
  journeys: string[];
  cards: FunnelCard[];
}

/** A report's range and options as the server takes them (its query string). */
export interface ReportQuery {
  from?: string;
  to?: string;
  journey?: string;
  key?: string;
}

/** The session's CSRF token, sent with every request that changes something. */
let csrf = "";

export function setCsrf(token: string) {
  csrf = token;
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      if (problem && typeof problem.error === "string") message = problem.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(message, response.status);
  }
  return (await response.json()) as T;
}

/** The query string of a search or a report: the options given, and nothing for the rest. */
export function queryString(search: ContactSearch | ReportQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(search)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Posts a CSV file to the import; a refusal with rejected rows is an answer, not an error. */
async function importContacts(csv: string): Promise<ImportResult> {
  const response = await fetch("api/contacts/import", {
    method: "POST",
    headers: { "Content-Type": "text/csv", "X-CSRF-Token": csrf },
    body: csv,
    credentials: "same-origin",
  });
  const answer = await response.json().catch(() => null);
  if (response.ok) return { imported: true, created: answer.created, updated: answer.updated };
  if (answer && Array.isArray(answer.rejected))
    return { imported: false, error: answer.error, rejected: answer.rejected, more_rejected: answer.more_rejected };
  throw new ApiError(answer?.error ?? `${response.status} ${response.statusText}`, response.status);
}

const conversation = (contact: string) => `api/conversations/${encodeURIComponent(contact)}`;

export const api = {
  login: (name: string, password: string) => call<Me>("POST", "login", { name, password }),
  me: () => call<Me>("GET", "me"),
  logout: () => call<unknown>("POST", "logout"),
  audit: () => call<{ entries: AuditEntry[] }>("GET", "audit"),
  queues: () => call<Queues>("GET", "api/queues"),
  conversation: (contact: string) => call<Conversation>("GET", conversation(contact)),
  reply: (contact: string, reply: { text: string } | { template: TemplateReply }) =>
    call<unknown>("POST", `${conversation(contact)}/reply`, reply),
  note: (contact: string, text: string) => call<unknown>("POST", `${conversation(contact)}/notes`, { text }),
  addLabel: (contact: string, label: string) =>
    call<unknown>("POST", `${conversation(contact)}/labels`, { label }),
  removeLabel: (contact: string, label: string) =>
    call<unknown>("DELETE", `${conversation(contact)}/labels/${encodeURIComponent(label)}`),
  /** `person`: "me", a name, or null (unassigned); `queue`: another team's queue. */
  assign: (contact: string, person: string | null, queue?: string) =>
    call<unknown>("POST", `${conversation(contact)}/assign`, { person, queue }),
  returnTo: (contact: string, card: string) => call<unknown>("POST", `${conversation(contact)}/return`, { card }),
  close: (contact: string) => call<unknown>("POST", `${conversation(contact)}/close`),
  broadcasts: () => call<Broadcasts>("GET", "api/broadcasts"),
  broadcast: (id: number) => call<Broadcast>("GET", `api/broadcasts/${id}`),
  countBroadcast: (request: BroadcastRequest) => call<BroadcastCount>("POST", "api/broadcasts/count", request),
  createBroadcast: (request: BroadcastRequest) =>
    call<{ id: number; count: BroadcastCount }>("POST", "api/broadcasts", request),
  sendBroadcast: (id: number) => call<unknown>("POST", `api/broadcasts/${id}/send`),
  cancelBroadcast: (id: number) => call<{ dropped: number }>("POST", `api/broadcasts/${id}/cancel`),
  contacts: (search: ContactSearch) => call<ContactPage>("GET", `api/contacts${queryString(search)}`),
  contact: (contact: string) => call<ContactProfile>("GET", `api/contacts/${encodeURIComponent(contact)}`),
  importContacts,
  /** Where the export of a search downloads from (a link: the browser streams it). */
  exportUrl: (search: ContactSearch) => `api/contacts/export${queryString({ ...search, after: undefined })}`,
  conversationsReport: (query: ReportQuery) =>
    call<ConversationsReport>("GET", `api/reports/conversations${queryString(query)}`),
  handoffsReport: (query: ReportQuery) => call<HandoffsReport>("GET", `api/reports/handoffs${queryString(query)}`),
  messagesReport: (query: ReportQuery) => call<MessagesReport>("GET", `api/reports/messages${queryString(query)}`),
  funnelReport: (query: ReportQuery) => call<FunnelReport>("GET", `api/reports/funnel${queryString(query)}`),
  /** Where the results CSV downloads from (a link: the browser streams it). */
  resultsUrl: (query: ReportQuery) => `api/reports/results.csv${queryString(query)}`,
};

/** "3 h 05 min", "12 min", "40 s": how long someone has waited. */
export function waited(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

/** A server timestamp as the operator's local date and time. */
export function localTime(at: string): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : date.toLocaleString();
}
