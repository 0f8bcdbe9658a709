// Every diagnostic of the project, grouped by rule, each a click away from its card.

import { useState } from "react";
import { api } from "./api";
import type { Diagnostic, Rule } from "./api";
import { useStudio } from "./store";

export function Problems() {
  const { diagnostics, project, versions, openJourney, openCode, apply, say } = useStudio();
  const [rule, setRule] = useState<Rule | null>(null);
  const groups = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) groups.set(d.code, [...(groups.get(d.code) ?? []), d]);

  const jump = (d: Diagnostic) => {
    const journey = d.card && project?.journeys.find((j) => j.name === d.card!.journey && j.file === d.path);
    if (journey && d.card) openJourney(journey, d.card.card);
    else openCode(d.path);
  };

  return (
    <div className="problems">
      <h2>
        Problems <span className="count">{diagnostics.length}</span>
      </h2>
      {diagnostics.length === 0 && <div className="empty">No problems found.</div>}
      {[...groups.entries()].map(([code, list]) => (
        <details key={code} open className="problem-group" data-rule={code}>
          <summary>
            <span className={`sev ${list[0].severity}`}>{code}</span> {list.length}
            <button
              className="link"
              onClick={(e) => {
                e.preventDefault();
                api.rule(code).then(setRule, (error: Error) => say(error.message));
              }}
            >
              about this rule
            </button>
          </summary>
          {list.map((d, i) => (
            <div key={i} className={`problem ${d.severity}`}>
              <button className="problem-jump" onClick={() => jump(d)}>
                <span className="where">{d.card ? d.card.card : `${d.path}:${d.line}`}</span>
                {d.message}
              </button>
              {d.fixes.map((fix) => (
                <button
                  key={fix.title}
                  className="fix"
                  onClick={() => {
                    const bases = Object.fromEntries(fix.edits.map((e) => [e.path, versions[e.path]]));
                    api.edits(fix.edits, bases).then(apply, (error: Error) => say(error.message));
                  }}
                >
                  Fix: {fix.title}
                </button>
              ))}
            </div>
          ))}
        </details>
      ))}
      {rule && (
        <div className="modal" role="dialog" onClick={() => setRule(null)}>
          <div className="modal-body" onClick={(e) => e.stopPropagation()}>
            <h3>
              {rule.code} {rule.name}
            </h3>
            <p>{rule.summary}</p>
            <pre>{rule.markdown}</pre>
            <button onClick={() => setRule(null)}>Close</button>
          </div>
        </div>
      )}
    </div>
  );
}
