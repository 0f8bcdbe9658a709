// Contacts (docs/contacts.md): search by number, field value, label and opt-out, a page at
// a time; a contact's profile; import from a CSV file, with the server's report of the rows
// it refused; export of what the search finds. The server checks every value and decides
// what matches; the page shows its answers.

import { useCallback, useEffect, useState, type ChangeEvent, type FormEvent } from "react";
import {
  ApiError,
  api,
  type ContactPage,
  type ContactProfile,
  type ContactSearch,
  type ImportResult,
} from "./api";
import { FieldList, MessageList, fieldText } from "./Conversation";
import { Failure } from "./Failure";
import { navigate } from "./route";

interface Props {
  contact: string | null;
  onError: (error: unknown) => void;
}

export function Contacts({ contact, onError }: Props) {
  const [search, setSearch] = useState<ContactSearch>({});
  const [draft, setDraft] = useState<ContactSearch>({});
  const [page, setPage] = useState<ContactPage | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    api.contacts(search).then(
      (found) => {
        setPage(found);
        setProblem(null);
      },
      (error) => {
        onError(error);
        if (error instanceof ApiError && error.status === 422) setProblem(error.message);
        else setFailure(error instanceof ApiError ? error : new ApiError(String(error), 0));
      },
    );
  }, [search, reloads, onError]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSearch({ ...draft, after: undefined });
  };
  const set = (key: keyof ContactSearch) => (event: ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setDraft({ ...draft, [key]: event.target.value });

  if (failure) return <Failure error={failure} />;
  return (
    <div className="contacts">
      <section className="contacts-list" aria-label="Contacts">
        <form className="contact-search row" role="search" onSubmit={submit}>
          <input aria-label="Number starts with" placeholder="Number starts with…" value={draft.q ?? ""} onChange={set("q")} />
          <select aria-label="Field" value={draft.field ?? ""} onChange={set("field")}>
            <option value="">any field</option>
            {(page?.fields ?? []).map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
          <input aria-label="Field value" placeholder="value" value={draft.value ?? ""} onChange={set("value")} />
          <input aria-label="Label" placeholder="label" value={draft.label ?? ""} onChange={set("label")} />
          <select aria-label="Opted" value={draft.opted ?? ""} onChange={set("opted")}>
            <option value="">opted in or out</option>
            <option value="in">not opted out</option>
            <option value="out">opted out</option>
          </select>
          <button type="submit">Search</button>
        </form>
        {problem && (
          <p className="form-error" role="alert" data-testid="search-problem">
            {problem}
          </p>
        )}
        <table className="contact-table" data-testid="contact-results">
          <thead>
            <tr>
              <th>Number</th>
              <th>Name</th>
              <th>Labels</th>
              <th>Messages</th>
            </tr>
          </thead>
          <tbody>
            {page?.contacts.map((found) => (
              <tr
                key={found.contact}
                className={found.contact === contact ? "current" : undefined}
                onClick={() => navigate(`/contacts/${encodeURIComponent(found.contact)}`)}
              >
                <td>
                  <a href={`#/contacts/${encodeURIComponent(found.contact)}`}>{found.contact}</a>
                </td>
                <td>{found.fields.name === undefined ? "" : fieldText(found.fields.name)}</td>
                <td>{found.labels.join(", ")}</td>
                <td>{found.opted_out ? "opted out" : "may be sent"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {page && page.contacts.length === 0 && <p className="empty">No contact matches.</p>}
        <div className="row contact-pages">
          {search.after && <button onClick={() => setSearch({ ...search, after: undefined })}>First page</button>}
          {page?.next && <button onClick={() => setSearch({ ...search, after: page.next ?? undefined })}>Next page</button>}
          <a className="export" href={api.exportUrl(search)} download="contacts.csv">
            Export these as CSV
          </a>
        </div>
        <Import onImported={() => setReloads((n) => n + 1)} onError={onError} />
      </section>
      {contact ? (
        <Profile contact={contact} reloads={reloads} onError={onError} />
      ) : (
        <p className="empty">Pick a contact to see their profile.</p>
      )}
    </div>
  );
}

/** Uploads a CSV file; shows what was imported, or each row the server refused. */
function Import({ onImported, onError }: { onImported: () => void; onError: (e: unknown) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setProblem(null);
    setResult(null);
    try {
      const answer = await api.importContacts(await file.text());
      setResult(answer);
      if (answer.imported) onImported();
    } catch (error) {
      onError(error);
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="contact-import side-section" onSubmit={upload} aria-label="Import contacts">
      <h3>Import from CSV</h3>
      <p className="hint">
        First line: <code>phone</code>, then field names (and <code>labels</code>). Every row is checked: if one is
        wrong, nothing is imported.
      </p>
      <div className="row">
        <input
          type="file"
          accept=".csv,text/csv"
          aria-label="CSV file"
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
        <button type="submit" disabled={!file || busy}>
          Import
        </button>
      </div>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {result?.imported && (
        <p className="notice-line" role="status" data-testid="import-done">
          Imported: {result.created} new, {result.updated} updated.
        </p>
      )}
      {result && !result.imported && (
        <div className="import-rejected" role="alert" data-testid="import-rejected">
          <p className="form-error">{result.error}</p>
          <table>
            <thead>
              <tr>
                <th>Line</th>
                <th>Column</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {result.rejected.map((row, i) => (
                <tr key={i}>
                  <td>{row.line}</td>
                  <td>{row.column ?? ""}</td>
                  <td>{row.why}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.more_rejected > 0 && <p className="hint">…and {result.more_rejected} more.</p>}
        </div>
      )}
    </form>
  );
}

/** A contact's fields, labels, opt-out, open handoff and latest history. */
function Profile({ contact, reloads, onError }: { contact: string; reloads: number; onError: (e: unknown) => void }) {
  const [profile, setProfile] = useState<ContactProfile | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);

  const load = useCallback(() => {
    api.contact(contact).then(
      (found) => {
        setProfile(found);
        setFailure(null);
      },
      (error) => {
        onError(error);
        setFailure(error instanceof ApiError ? error : new ApiError(String(error), 0));
      },
    );
  }, [contact, onError]);

  useEffect(load, [load, reloads]);

  if (failure) return <Failure error={failure} />;
  if (!profile) return <div className="empty">Loading {contact}…</div>;
  return (
    <main className="contact-profile" aria-label={`Profile of ${contact}`} data-testid="profile">
      <header className="conversation-head">
        <h2>{profile.contact}</h2>
        <span data-testid="opted">{profile.opted_out ? "Opted out" : "Not opted out"}</span>
        {profile.marketing_opted_out && <span className="badge badge-window">stopped marketing</span>}
        {profile.handoff && (
          <a href={`#/c/${encodeURIComponent(profile.contact)}`}>
            With an agent in {profile.handoff.queue}: open the conversation
          </a>
        )}
      </header>
      <div className="profile-body">
        <section className="side-section">
          <h3>Fields</h3>
          <FieldList fields={profile.fields} />
        </section>
        <section className="side-section">
          <h3>Labels</h3>
          <p data-testid="profile-labels">{profile.labels.length ? profile.labels.join(", ") : "none"}</p>
        </section>
        <section className="side-section profile-history">
          <h3>Latest history (the last {profile.history_limit} steps at most)</h3>
          {profile.messages.length ? (
            <MessageList messages={profile.messages} />
          ) : (
            <p className="empty">No messages yet.</p>
          )}
        </section>
      </div>
    </main>
  );
}
