// The project: its journeys, tests and settings.

import { useState } from "react";
import { firstMessage } from "./CardNode";
import { ops } from "./ops";
import { Playbooks } from "./Playbooks";
import { Settings } from "./Settings";
import { useStudio } from "./store";

export function Sidebar() {
  const { project, open, openJourney, openCode } = useStudio();
  const [gallery, setGallery] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  if (!project) return <div className="empty">Loading…</div>;
  const tests = project.files.filter((f) => f.kind === "test");
  const settings = project.files.filter((f) => f.kind === "config" || f.kind === "functions");
  return (
    <div className="project">
      <h1 title={project.root}>{project.name}</h1>
      <h2>Journeys</h2>
      <ul className="journeys">
        {project.journeys.map((j) => (
          <li key={`${j.file}/${j.name}`}>
            <button
              className={open?.name === j.name && open.file === j.file ? "current" : ""}
              onClick={() => openJourney(j)}
            >
              {j.name} <span className="file">{j.file}</span>
            </button>
          </li>
        ))}
      </ul>
      <h2>Tests</h2>
      <ul>
        {tests.length === 0 && <li className="empty">None yet: save one from the simulator.</li>}
        {tests.map((f) => (
          <li key={f.path}>
            <button onClick={() => openCode(f.path)}>{f.path}</button>
          </li>
        ))}
      </ul>
      <h2>Playbooks</h2>
      <ul>
        <li>
          <button onClick={() => setGallery(true)}>Browse ready-made journeys…</button>
        </li>
      </ul>
      {gallery && <Playbooks close={() => setGallery(false)} />}
      {settingsOpen && <Settings close={() => setSettingsOpen(false)} />}
      <h2>Settings</h2>
      <div className="languages">Languages: {project.languages.join(", ") || "one (no translations)"}</div>
      <ul>
        <li>
          <button className="open-settings" onClick={() => setSettingsOpen(true)}>
            Languages, keywords, contact fields and templates…
          </button>
        </li>
        {settings.map((f) => (
          <li key={f.path}>
            <button onClick={() => openCode(f.path)}>{f.path}</button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Above the canvas: add a card, search, undo and redo. */
export function Toolbar() {
  const { view, target, run, search, setSearch, focusCard, undo, redo, personPaths, setPersonPaths } = useStudio();
  const [name, setName] = useState("");
  const needle = search.trim().toLowerCase();
  // Enter goes to the card of that name, else to the first whose name or words contain it.
  const matches = view && needle !== ""
    ? [
        ...view.cards.filter((c) => c.name.toLowerCase() === needle),
        ...view.cards.filter((c) => c.name.toLowerCase() !== needle && (c.name.toLowerCase().includes(needle) || firstMessage(c).toLowerCase().includes(needle))),
      ]
    : [];
  return (
    <div className="toolbar">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const t = target();
          const card = name.trim();
          if (t && card && (await run(ops.addCard(t, card)))) {
            setName("");
            focusCard(card);
          }
        }}
      >
        <input placeholder="New card name" value={name} onChange={(e) => setName(e.target.value)} aria-label="New card name" />
        <button type="submit" disabled={!view || name.trim() === ""}>
          Add card
        </button>
      </form>
      <input
        className="search"
        type="search"
        placeholder="Search cards and messages"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && matches[0]) focusCard(matches[0].name);
        }}
      />
      <label className="toggle" title="Outline the cards from which a contact can reach a person">
        <input type="checkbox" checked={personPaths} onChange={(e) => setPersonPaths(e.target.checked)} />
        Way to a person
      </label>
      <button onClick={undo} title="Undo (Ctrl+Z)">
        Undo
      </button>
      <button onClick={redo} title="Redo (Ctrl+Shift+Z)">
        Redo
      </button>
    </div>
  );
}
