// The audit log (admins): who did what, to whom, from where. Anyone else sees the
// server's refusal.

import { useEffect, useState } from "react";
import { ApiError, api, localTime, type AuditEntry } from "./api";
import { Failure } from "./Failure";

export function Audit({ onError }: { onError: (error: unknown) => void }) {
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);

  useEffect(() => {
    api.audit().then(
      (log) => setEntries(log.entries),
      (error) => {
        onError(error);
        setFailure(error instanceof ApiError ? error : new ApiError(String(error), 0));
      },
    );
  }, [onError]);

  if (failure) return <Failure error={failure} />;
  if (!entries) return <div className="empty">Loading the audit log…</div>;
  return (
    <section className="audit">
      <h2>Audit log</h2>
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>What</th>
            <th>Subject</th>
            <th>From</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>{localTime(entry.at)}</td>
              <td>{entry.who}</td>
              <td>{entry.action}</td>
              <td>{entry.subject}</td>
              <td>{entry.from}</td>
              <td>{entry.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
