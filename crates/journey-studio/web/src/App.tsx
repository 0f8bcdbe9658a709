import { useEffect } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import { Canvas } from "./Canvas";
import { CodePane } from "./CodePane";
import { Inspector } from "./Inspector";
import { Problems } from "./Problems";
import { Sidebar, Toolbar } from "./Sidebar";
import { Simulator } from "./Simulator";
import { useStudio } from "./store";
import type { Panel } from "./store";

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
          <CodePane />
        </div>
        <div className="panel-body" hidden={panel !== "simulator"}>
          <Simulator />
        </div>
      </section>
    </div>
  );
}
