import { lazy, Suspense, useEffect, useState } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import { Canvas } from "./Canvas";
import { Inspector } from "./Inspector";
import { Problems } from "./Problems";
import { Sidebar, Toolbar } from "./Sidebar";
import { Simulator } from "./Simulator";
import { useStudio } from "./store";
import type { Panel } from "./store";

// CodeMirror is loaded when the Code tab is first shown: the canvas does not wait for it.
const CodePane = lazy(() => import("./CodePane").then((m) => ({ default: m.CodePane })));

const PANELS: { id: Panel; label: string }[] = [
  { id: "inspector", label: "Card" },
  { id: "code", label: "Code" },
  { id: "simulator", label: "Try it" },
];

/** Ctrl+Z / Ctrl+Shift+Z undo and redo studio operations, except while typing in a field. */
function useUndoKeys() {
  const { undo, redo } = useStudio();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== "z") return;
      const el = e.target as HTMLElement;
      if (el.closest("input, textarea, select, .cm-editor")) return;
      e.preventDefault();
      if (e.shiftKey) redo();
      else undo();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redo]);
}

export function App() {
  const { view, panel, setPanel, notice, say } = useStudio();
  useUndoKeys();
  // The code editor is made the first time the Code tab is shown, then kept (its undo
  // history, a pending save): laying out and highlighting a 500-card file while the tab
  // is hidden took a third of the time to open such a journey.
  const [codeShown, setCodeShown] = useState(false);
  useEffect(() => {
    if (panel === "code") setCodeShown(true);
  }, [panel]);
  return (
    <div className="studio">
      <aside className="sidebar">
        <Sidebar />
        <Problems />
      </aside>
      <main className="center">
        <Toolbar />
        {notice && (
          <div className="notice" role="alert">
            {notice}
            <button onClick={() => say(null)}>✕</button>
          </div>
        )}
        <div className="canvas" data-ready={view ? "yes" : "no"}>
          {view ? (
            <ReactFlowProvider key={`${view.file}/${view.name}`}>
              <Canvas view={view} />
            </ReactFlowProvider>
          ) : (
            <div className="empty">Choose a journey on the left.</div>
          )}
        </div>
      </main>
      <section className="panel">
        <nav className="tabs">
          {PANELS.map((p) => (
            <button key={p.id} className={panel === p.id ? "current" : ""} onClick={() => setPanel(p.id)}>
              {p.label}
            </button>
          ))}
        </nav>
        <div className="panel-body" hidden={panel !== "inspector"}>
          <Inspector />
        </div>
        <div className="panel-body" hidden={panel !== "code"}>
          {(codeShown || panel === "code") && (
            <Suspense fallback={<div className="empty">Loading…</div>}>
              <CodePane />
            </Suspense>
          )}
        </div>
        <div className="panel-body" hidden={panel !== "simulator"}>
          <Simulator />
        </div>
      </section>
    </div>
  );
}
