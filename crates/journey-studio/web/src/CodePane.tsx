// The file as code (CodeMirror 6), the checker's diagnostics underlined. Typing saves the whole
// text (after a pause); a change from elsewhere replaces the text when nothing is pending here.

import { useEffect, useRef } from "react";
import { EditorState, Annotation } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { api, charOffset } from "./api";
import { journeyHighlighting } from "./highlight";
import { useStudio } from "./store";

const remote = Annotation.define<boolean>();

export function CodePane() {
  const { codePath, texts, versions, diagnostics, apply, say } = useStudio();
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const pending = useRef<number | null>(null);
  const latest = useRef({ codePath, versions, apply, say });
  latest.current = { codePath, versions, apply, say };
  const text = codePath ? texts[codePath] : undefined;

  useEffect(() => {
    const save = async () => {
      pending.current = null;
      const { codePath: path, versions: v } = latest.current;
      if (!path || !view.current) return;
      try {
        latest.current.apply(await api.putFile(path, view.current.state.doc.toString(), v[path] ?? null));
      } catch (error) {
        latest.current.say((error as Error).message);
      }
    };
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: "",
        extensions: [
          lineNumbers(),
          highlightActiveLine(),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          lintGutter(),
          journeyHighlighting,
          EditorView.updateListener.of((update) => {
            if (!update.docChanged || update.transactions.some((t) => t.annotation(remote))) return;
            if (pending.current !== null) window.clearTimeout(pending.current);
            pending.current = window.setTimeout(() => void save(), 400);
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      if (pending.current !== null) window.clearTimeout(pending.current);
      editor.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor || text === undefined || pending.current !== null) return;
    if (editor.state.doc.toString() !== text) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text }, annotations: remote.of(true) });
    }
  }, [text, codePath]);

  useEffect(() => {
    const editor = view.current;
    if (!editor || text === undefined) return;
    const length = editor.state.doc.length;
    const found = diagnostics
      .filter((d) => d.path === codePath)
      .map((d) => ({
        from: Math.min(charOffset(text, d.start), length),
        to: Math.min(charOffset(text, d.end), length),
        severity: d.severity,
        message: `${d.code}: ${d.message}${d.help ? `\n${d.help}` : ""}`,
      }));
    editor.dispatch(setDiagnostics(editor.state, found));
  }, [diagnostics, text, codePath]);

  return (
    <div className="code-pane">
      <div className="code-path">{codePath ?? "No file open"}</div>
      <div className="code-editor" ref={host} />
    </div>
  );
}
