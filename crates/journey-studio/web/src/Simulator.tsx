// A phone-like chat over the real interpreter on a virtual clock. The card being run is
// highlighted on the canvas; the conversation can be saved as a `.test` case.

import { useState } from "react";
import { api } from "./api";
import type { SimState } from "./api";
import { useStudio } from "./store";

const STEPS = ["10m", "1h", "2h", "1d", "3d"];

export function Simulator() {
  const { open, sim, setSim, say, apply, focusCard } = useStudio();
  const [text, setText] = useState("");
  const [opening, setOpening] = useState("hi");
  const [by, setBy] = useState("1h");
  const [testPath, setTestPath] = useState("");
  const [testName, setTestName] = useState("");
  const [saved, setSaved] = useState<string | null>(null);

  const step = async (next: Promise<SimState>) => {
    try {
      const state = await next;
      setSim(state);
      setSaved(null);
      say(null);
      if (state.current && state.current.journey === open?.name) focusCard(state.current.card);
    } catch (error) {
      say((error as Error).message);
    }
  };

  if (!open) return <div className="empty">Open a journey to try it.</div>;
  if (!sim) {
    return (
      <form
        className="simulator sim-begin"
        onSubmit={(e) => {
          e.preventDefault();
          void step(api.simStart(open.name, opening.trim()));
        }}
      >
        <label className="field">
          <span>The contact's first message (leave empty when your service writes first)</span>
          <input value={opening} onChange={(e) => setOpening(e.target.value)} aria-label="First message" />
        </label>
        <button type="submit" className="primary sim-start">
          Start a conversation with {open.name}
        </button>
      </form>
    );
  }
  const last = [...sim.transcript].reverse().find((b) => b.from === "journey");
  const choices = sim.waiting?.options ?? last?.buttons ?? last?.rows ?? [];
  const defaultPath = open.file.replace(/\.[^./]+$/, "") + ".test";
  return (
    <div className="simulator">
      <div className="phone">
        <div className="phone-head">
          <span>{open.name}</span>
          <span className="clock">{sim.now}</span>
        </div>
        <div className="chat">
          {sim.transcript.map((bubble, i) =>
            bubble.from === "system" ? (
              // Time passing, a timer, a handoff: a small line between the messages.
              <div key={i} className="bubble from-system system-line">
                {bubble.text}
              </div>
            ) : (
              <div key={i} className={`bubble from-${bubble.from}`}>
                {bubble.media && <div className="bubble-media">{bubble.media.kind}: {bubble.media.url}</div>}
                {bubble.header && <div className="bubble-header">{bubble.header}</div>}
                <div className="bubble-text">{bubble.from === "journey" ? bubble.body ?? bubble.text : bubble.tap ?? bubble.text}</div>
                {bubble.footer && <div className="bubble-footer">{bubble.footer}</div>}
                {(bubble.buttons ?? bubble.rows ?? []).length > 0 && (
                  <div className="bubble-choices">
                    {(bubble.buttons ?? bubble.rows ?? []).map((choice) => (
                      <span key={choice}>{choice}</span>
                    ))}
                  </div>
                )}
              </div>
            ),
          )}
        </div>
        {choices.length > 0 && sim.waiting && (
          <div className="taps">
            {choices.map((choice) => (
              <button key={choice} className="tap" onClick={() => void step(api.simSend(sim.id, { button: choice }))}>
                {choice}
              </button>
            ))}
          </div>
        )}
        <form
          className="compose"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim() === "") return;
            void step(api.simSend(sim.id, { text }));
            setText("");
          }}
        >
          <input placeholder="Type a message" value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit">Send</button>
        </form>
      </div>
      <div className="sim-tools">
        <div className="row">
          <select value={by} onChange={(e) => setBy(e.target.value)} aria-label="Time to pass">
            {STEPS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <button className="advance" onClick={() => void step(api.simAdvance(sim.id, by))}>
            Let time pass
          </button>
          <button onClick={() => setSim(null)}>Start again</button>
        </div>
        {sim.timers.length > 0 && (
          <div className="timers">
            Timers: {sim.timers.map((t) => `${t.card} at ${t.due}`).join(", ")}
          </div>
        )}
        {Object.keys(sim.fields).length > 0 && (
          <div className="fields">
            {Object.entries(sim.fields).map(([k, v]) => (
              <div key={k}>
                {k}: {JSON.stringify(v)}
              </div>
            ))}
          </div>
        )}
        <form
          className="save-test"
          onSubmit={async (e) => {
            e.preventDefault();
            const path = testPath.trim() || defaultPath;
            const name = testName.trim() || "conversation";
            try {
              apply(await api.simSaveTest(sim.id, path, name));
              setSaved(`Saved as "${name}" in ${path}.`);
              say(null);
            } catch (error) {
              say((error as Error).message);
            }
          }}
        >
          <input placeholder={defaultPath} value={testPath} onChange={(e) => setTestPath(e.target.value)} aria-label="Test file" />
          <input placeholder="Test name" value={testName} onChange={(e) => setTestName(e.target.value)} aria-label="Test name" />
          <button type="submit">Save as test</button>
        </form>
        {saved && <div className="saved">{saved}</div>}
      </div>
    </div>
  );
}
