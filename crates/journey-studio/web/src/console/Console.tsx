// The console's shell: who is signed in (`/console/me`), the sign-in form when nobody is,
// and the page the address's hash names: the inbox (`#/`, `#/c/CONTACT`), the contacts
// (`#/contacts`, `#/contacts/CONTACT`), broadcasts (`#/broadcasts`, `#/broadcasts/ID`),
// reports (`#/reports`, admins and builders) or the audit log (`#/audit`, admins). The server says who may see what; a refusal is shown
// as it is.

import { useCallback, useEffect, useState } from "react";
import { ApiError, api, setCsrf, type Me } from "./api";
import { Audit } from "./Audit";
import { Broadcasts } from "./Broadcasts";
import { Contacts } from "./Contacts";
import { Inbox } from "./Inbox";
import { Reports } from "./Reports";
import { route, type Route } from "./route";
import { SignIn } from "./SignIn";

export function Console() {
  // undefined: not asked yet; null: nobody signed in.
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [ended, setEnded] = useState<string | null>(null);
  const [where, setWhere] = useState<Route>(route);

  const signedIn = useCallback((who: Me) => {
    setCsrf(who.csrf_token);
    setEnded(null);
    setMe(who);
  }, []);

  useEffect(() => {
    api.me().then(signedIn, () => setMe(null));
    const onHash = () => setWhere(route());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [signedIn]);

  /** Any answer 401 means the session ended: back to the sign-in form, saying so. */
  const failed = useCallback((error: unknown) => {
    if (error instanceof ApiError && error.status === 401) {
      setEnded("Your session has ended. Sign in again.");
      setMe(null);
    }
  }, []);

  const signOut = async () => {
    await api.logout().catch(() => {});
    setMe(null);
  };

  if (me === undefined) return <div className="empty">Loading…</div>;
  if (me === null) return <SignIn onSignedIn={signedIn} notice={ended} />;
  return (
    <div className="console">
      <header className="console-bar">
        <h1>journey console</h1>
        <nav>
          <a href="#/" aria-current={where.page === "inbox" ? "page" : undefined}>
            Inbox
          </a>
          <a href="#/contacts" aria-current={where.page === "contacts" ? "page" : undefined}>
            Contacts
          </a>
          <a href="#/broadcasts" aria-current={where.page === "broadcasts" ? "page" : undefined}>
            Broadcasts
          </a>
          <a href="#/reports" aria-current={where.page === "reports" ? "page" : undefined}>
            Reports
          </a>
          <a href="#/audit" aria-current={where.page === "audit" ? "page" : undefined}>
            Audit log
          </a>
        </nav>
        <span className="who" data-testid="who">
          {me.name} ({me.role})
        </span>
        <button onClick={signOut}>Sign out</button>
      </header>
      {where.page === "audit" ? (
        <Audit onError={failed} />
      ) : where.page === "reports" ? (
        <Reports onError={failed} />
      ) : where.page === "broadcasts" ? (
        <Broadcasts id={where.id} onError={failed} />
      ) : where.page === "contacts" ? (
        <Contacts contact={where.contact} onError={failed} />
      ) : (
        <Inbox me={me} contact={where.contact} onError={failed} />
      )}
    </div>
  );
}
