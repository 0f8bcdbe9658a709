// The studio's state: what the server last said (project, file versions and texts, the open
// journey's view, diagnostics) and what the person is looking at. Every write goes through
// `apply`, which takes the server's `Change` as it is: the UI never guesses the result.

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";
import { api, ApiError } from "./api";
import type { Change, Diagnostic, JourneyView, PersonPath, Project, SimState } from "./api";
import type { Base } from "./ops";

export interface Open {
  file: string;
  name: string;
}

export type Panel = "inspector" | "code" | "simulator";

interface Studio {
  project: Project | null;
  diagnostics: Diagnostic[];
  versions: Record<string, string>;
  texts: Record<string, string>;
  open: Open | null;
  view: JourneyView | null;
  selected: string | null;
  panel: Panel;
  codePath: string | null;
  notice: string | null;
  sim: SimState | null;
  focus: { card: string; seq: number } | null;
  search: string;
  /** Show which cards can reach a person (a handoff or an escalation). */
  personPaths: boolean;
  setPersonPaths: (on: boolean) => void;
  /** With `personPaths` on and a card selected: the server's shortest way to a person. */
  personPath: PersonPath | null;
  openJourney: (open: Open, card?: string) => void;
  select: (card: string | null) => void;
  focusCard: (card: string) => void;
  setPanel: (panel: Panel) => void;
  openCode: (path: string) => void;
  setSearch: (search: string) => void;
  setSim: (sim: SimState | null) => void;
  say: (notice: string | null) => void;
  /** The file, version and journey an operation on the open journey starts from. */
  target: () => Base | null;
  /** Send an edit operation; the answer updates everything it touched. */
  run: (op: object) => Promise<boolean>;
  apply: (change: Change) => void;
  loadText: (path: string) => Promise<string>;
  undo: () => void;
  redo: () => void;
}

const StudioContext = createContext<Studio | null>(null);

export function useStudio(): Studio {
  const studio = useContext(StudioContext);
  if (!studio) throw new Error("useStudio outside StudioProvider");
  return studio;
}

function journeyFromUrl(): Open | null {
  const params = new URLSearchParams(window.location.search);
  const file = params.get("file");
  const name = params.get("journey");
  return file && name ? { file, name } : null;
}

export function StudioProvider({ children }: { children: ReactNode }) {
  const [project, setProject] = useState<Project | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const [versions, setVersions] = useState<Record<string, string>>({});
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [open, setOpen] = useState<Open | null>(null);
  const [view, setView] = useState<JourneyView | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>("inspector");
  const [codePath, setCodePath] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [sim, setSim] = useState<SimState | null>(null);
  const [focus, setFocus] = useState<{ card: string; seq: number } | null>(null);
  const [search, setSearch] = useState("");
  const [personPaths, setPersonPaths] = useState(false);
  const [personPath, setPersonPath] = useState<PersonPath | null>(null);

  // Callbacks read the latest state through refs, so that event handlers set up once
  // (server-sent events, keyboard) never act on a stale copy.
  const state = useRef({ open, view, versions, texts });
  state.current = { open, view, versions, texts };

  // A reply to a read is stale when a change (an operation's answer, an event) moved the
  // file's version while it was on its way: then it is dropped, and the read that change
  // started brings the newer state. Without this an older view could put back an older
  // version, and the next operation would be refused as based on a stale text.
  const refreshView = useCallback(async (which: Open) => {
    const before = state.current.versions[which.file];
    try {
      const next = await api.journey(which.file, which.name);
      const current = state.current;
      if (current.open?.file !== which.file || current.open?.name !== which.name) return;
      if (before !== undefined && current.versions[which.file] !== before) return;
      setView(next);
      current.versions = { ...current.versions, [next.file]: next.version };
      setVersions((v) => ({ ...v, [next.file]: next.version }));
    } catch (error) {
      setNotice((error as Error).message);
    }
  }, []);

  const loadText = useCallback(async (path: string) => {
    const before = state.current.versions[path];
    const file = await api.file(path);
    const current = state.current;
    if (before === undefined || current.versions[path] === before) {
      current.versions = { ...current.versions, [path]: file.version };
      setTexts((t) => ({ ...t, [path]: file.text }));
      setVersions((v) => ({ ...v, [path]: file.version }));
    }
    return file.text;
  }, []);

  const loadProject = useCallback(async () => {
    const next = await api.project();
    setProject(next);
    setDiagnostics(next.diagnostics);
    setVersions((v) => {
      const merged = { ...v };
      for (const file of next.files) merged[file.path] = file.version;
      return merged;
    });
    return next;
  }, []);

  const openJourney = useCallback(
    (which: Open, card?: string) => {
      const same = state.current.open?.file === which.file && state.current.open?.name === which.name;
      if (!same) {
        setOpen(which);
        setView(null);
        setCodePath(which.file);
        void refreshView(which);
        void loadText(which.file);
        const url = new URL(window.location.href);
        url.searchParams.set("file", which.file);
        url.searchParams.set("journey", which.name);
        window.history.replaceState(null, "", url);
      }
      setSelected(card ?? null);
      if (card) setFocus((f) => ({ card, seq: (f?.seq ?? 0) + 1 }));
    },
    [refreshView, loadText],
  );

  const apply = useCallback(
    (change: Change) => {
      const known = new Set(Object.keys(state.current.versions));
      const versionsNow = { ...state.current.versions };
      for (const file of change.files) {
        if (file.version === null) delete versionsNow[file.path];
        else versionsNow[file.path] = file.version;
      }
      // The next operation may be sent before React renders again: it must see these.
      state.current.versions = versionsNow;
      setVersions((v) => {
        const next = { ...v };
        for (const file of change.files) {
          if (file.version === null) delete next[file.path];
          else next[file.path] = file.version;
        }
        return next;
      });
      setTexts((t) => {
        const next = { ...t };
        for (const file of change.files) {
          if (file.text === null) delete next[file.path];
          else next[file.path] = file.text;
        }
        return next;
      });
      setDiagnostics(change.diagnostics);
      const current = state.current.open;
      if (current && change.files.some((f) => f.path === current.file)) void refreshView(current);
      if (change.files.some((f) => !known.has(f.path) || f.version === null)) void loadProject();
    },
    [refreshView, loadProject],
  );

  // Operations go one at a time, in the order of the gestures. A gesture made before the
  // answer to the previous one arrived names the version before it; it is moved onto the
  // version this studio's own operations produced since (`ours`: new version → the one it
  // replaced). A version from anywhere else (a change on disk) is never skipped: the server
  // refuses the operation, as it should.
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const ours = useRef(new Map<string, string>());
  const run = useCallback(
    (op: object) => {
      const send = async () => {
        const edit = op as { file?: string; base_version?: string };
        const current = edit.file ? state.current.versions[edit.file] : undefined;
        if (edit.file && current && edit.base_version && edit.base_version !== current) {
          let version: string | undefined = current;
          while (version && version !== edit.base_version) version = ours.current.get(version);
          if (version) edit.base_version = current;
        }
        try {
          const change = await api.op(op);
          for (const file of change.files) {
            if (file.path === edit.file && file.version && edit.base_version) ours.current.set(file.version, edit.base_version);
          }
          apply(change);
          setNotice(null);
          return true;
        } catch (error) {
          setNotice((error as Error).message);
          if (error instanceof ApiError && error.status === 409 && state.current.open) {
            void refreshView(state.current.open);
          }
          return false;
        }
      };
      const result = queue.current.then(send);
      queue.current = result;
      return result;
    },
    [apply, refreshView],
  );

  const history = useCallback(
    async (which: "undo" | "redo") => {
      try {
        apply(await (which === "undo" ? api.undo() : api.redo()));
        setNotice(null);
      } catch (error) {
        setNotice((error as Error).message);
      }
    },
    [apply],
  );

  const target = useCallback((): Base | null => {
    const { open: o, versions: v } = state.current;
    if (!o || !v[o.file]) return null;
    return { file: o.file, base_version: v[o.file], journey: o.name };
  }, []);

  // First load: the project, then the journey named in the address or the first one.
  useEffect(() => {
    loadProject()
      .then((p) => {
        const wanted = journeyFromUrl();
        const first = wanted ?? p.journeys[0] ?? null;
        if (first) openJourney(first);
      })
      .catch((error: Error) => setNotice(error.message));
  }, [loadProject, openJourney]);

  // Live updates: a file changed by this studio, another one, or on disk.
  useEffect(() => {
    const events = new EventSource("/api/events");
    events.addEventListener("change", (event) => {
      const data = JSON.parse((event as MessageEvent).data) as {
        files: { path: string; version: string | null }[];
        diagnostics: Diagnostic[];
      };
      setDiagnostics(data.diagnostics);
      const { open: o, versions: v, texts: t } = state.current;
      const changed = data.files.filter((f) => v[f.path] !== f.version);
      if (changed.length === 0) return;
      const now = { ...v };
      for (const f of changed) {
        if (f.version === null) delete now[f.path];
        else now[f.path] = f.version;
      }
      state.current.versions = now;
      setVersions((old) => {
        const next = { ...old };
        for (const f of changed) {
          if (f.version === null) delete next[f.path];
          else next[f.path] = f.version;
        }
        return next;
      });
      for (const f of changed) {
        if (f.version !== null && (f.path in t || f.path === o?.file)) void loadText(f.path);
      }
      if (o && changed.some((f) => f.path === o.file)) void refreshView(o);
      if (changed.some((f) => !(f.path in v) || f.version === null)) void loadProject();
    });
    return () => events.close();
  }, [loadText, refreshView, loadProject]);

  // The way to a person from the selected card, read again when the journey changes.
  useEffect(() => {
    if (!personPaths || !selected || !view) {
      setPersonPath(null);
      return;
    }
    let current = true;
    api.personPath(view.file, view.name, selected).then(
      (path) => current && setPersonPath(path),
      () => current && setPersonPath(null),
    );
    return () => {
      current = false;
    };
  }, [personPaths, selected, view]);

  const value = useMemo<Studio>(
    () => ({
      project,
      diagnostics,
      versions,
      texts,
      open,
      view,
      selected,
      panel,
      codePath,
      notice,
      sim,
      focus,
      search,
      personPaths,
      setPersonPaths,
      personPath,
      openJourney,
      select: setSelected,
      focusCard: (card) => {
        setSelected(card);
        setFocus((f) => ({ card, seq: (f?.seq ?? 0) + 1 }));
      },
      setPanel,
      openCode: (path) => {
        setCodePath(path);
        setPanel("code");
        void loadText(path);
      },
      setSearch,
      setSim,
      say: setNotice,
      target,
      run,
      apply,
      loadText,
      undo: () => void history("undo"),
      redo: () => void history("redo"),
    }),
    [project, diagnostics, versions, texts, open, view, selected, panel, codePath, notice, sim, focus, search,
      personPaths, personPath, openJourney, target, run, apply, loadText, history],
  );

  return <StudioContext.Provider value={value}>{children}</StudioContext.Provider>;
}
