// Where the console is: the address's hash names the page, so that a reload or a link
// opens the same conversation, and the server needs no route per page.

export type Route =
  | { page: "inbox"; contact: string | null }
  | { page: "contacts"; contact: string | null }
  | { page: "broadcasts"; id: number | null }
  | { page: "reports" }
  | { page: "audit" };

export function route(): Route {
  const hash = window.location.hash.replace(/^#\/?/, "");
  if (hash === "audit") return { page: "audit" };
  if (hash === "reports") return { page: "reports" };
  if (hash === "broadcasts") return { page: "broadcasts", id: null };
  if (hash.startsWith("broadcasts/")) return { page: "broadcasts", id: Number(hash.slice(11)) || null };
  if (hash === "contacts") return { page: "contacts", contact: null };
  if (hash.startsWith("contacts/"))
    return { page: "contacts", contact: decodeURIComponent(hash.slice("contacts/".length)) };
  if (hash.startsWith("c/")) return { page: "inbox", contact: decodeURIComponent(hash.slice(2)) };
  return { page: "inbox", contact: null };
}

export function navigate(to: string) {
  window.location.hash = to;
}

