// The TextMate grammar (grammar/journey.tmLanguage.json) against the pest grammar's
// accepted files: scopes are snapshotted so that a change to either shows up here.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { grammarFor, repoRoot, tokenise } from "../tokenise.js";

const update = process.env.UPDATE === "1";
const snapshotDir = join(repoRoot, "tests", "textmate", "snapshots");

function filesUnder(dir, keep) {
  return readdirSync(join(repoRoot, dir), { recursive: true })
    .map((name) => join(dir, name))
    .filter(keep)
    .sort();
}
const isJourney = (path) => path.endsWith(".journey");
const isNotebook = (path) => path.endsWith(".md") && !path.endsWith("README.md");

// The valid fixtures of the lexical forms that examples and playbooks use little.
const lexical = [
  "at_variable_in_code", "block_if", "comments_everywhere", "durations", "email_addresses",
  "expressions", "inline_if", "lambdas", "literal_at_sign", "ranges", "suppression_with_reason",
  "triple_quoted_json",
].map((name) => join("tests", "fixtures", "valid", `${name}.journey`));

// Snapshotted: every example and playbook, those fixtures, and the notebook fixtures.
const snapshotted = [
  ...filesUnder("examples", isJourney),
  ...filesUnder("playbooks", isJourney),
  ...lexical,
  ...filesUnder(join("tests", "fixtures", "valid"), isNotebook),
];
// Checked for invalid and unscoped tokens: those and every valid fixture.
const accepted = [
  ...new Set([...snapshotted, ...filesUnder(join("tests", "fixtures", "valid"), isJourney)]),
];

const EMBEDDED = "meta.embedded.block.journey";

/** One line per source line (`N: text`), then one per token: its text and inner scopes. */
function snapshot(lines) {
  const out = [];
  lines.forEach(({ line, tokens }, i) => {
    out.push(`${i + 1}: ${line}`);
    for (const { text, scopes } of tokens) {
      if (text.trim() === "" && scopes.length === 1) continue;
      out.push(`    ${JSON.stringify(text)} ${scopes.slice(1).join(" ")}`);
    }
  });
  return out.join("\n") + "\n";
}

/** Journey code in a file: all of a `.journey`; a notebook's ```stack cells. */
function isCode(path, scopes) {
  return !path.endsWith(".md") || scopes.includes(EMBEDDED);
}

/** Tokens of journey code that the grammar marks invalid or leaves without a scope. */
function problems(path, lines) {
  const found = [];
  lines.forEach(({ tokens }, i) => {
    for (const { text, scopes } of tokens) {
      if (!isCode(path, scopes)) continue;
      const last = scopes[scopes.length - 1];
      if (scopes.some((s) => s.startsWith("invalid"))) {
        found.push(`${path}:${i + 1}: ${JSON.stringify(text)} is ${last}`);
      } else if (text.trim() !== "" && (last === "source.journey" || last === EMBEDDED)) {
        found.push(`${path}:${i + 1}: ${JSON.stringify(text)} has no scope`);
      }
    }
  });
  return found;
}

async function tokeniseFile(path) {
  return tokenise(await grammarFor(path), readFileSync(join(repoRoot, path), "utf8"));
}

for (const path of snapshotted) {
  test(`snapshot ${path}`, async () => {
    const actual = snapshot(await tokeniseFile(path));
    const file = join(snapshotDir, `${path}.txt`);
    if (update) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, actual);
      return;
    }
    let expected;
    try {
      expected = readFileSync(file, "utf8");
    } catch {
      assert.fail(`no snapshot ${relative(repoRoot, file)}: run UPDATE=1 tests/textmate/run`);
    }
    assert.equal(actual, expected, `scopes of ${path} changed: review, then UPDATE=1 tests/textmate/run`);
  });
}

test("no snapshot is left without its file", () => {
  const wanted = new Set(snapshotted.map((path) => `${path}.txt`));
  const stale = readdirSync(snapshotDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(snapshotDir, join(entry.parentPath, entry.name)))
    .filter((path) => !wanted.has(path));
  if (update) {
    for (const path of stale) rmSync(join(snapshotDir, path));
    return;
  }
  assert.deepEqual(stale, [], "snapshots of files that are gone: UPDATE=1 tests/textmate/run removes them");
});

test("files the pest grammar accepts get no invalid or unscoped token", async () => {
  const found = [];
  for (const path of accepted) found.push(...problems(path, await tokeniseFile(path)));
  assert.deepEqual(found, []);
});

test("the check finds a character the language does not have", async () => {
  const grammar = await grammarFor("x.journey");
  const found = problems("x.journey", tokenise(grammar, "card A do\n  x = 1 ; y\nend"));
  assert.deepEqual(found, ['x.journey:2: ";" is invalid.illegal.character.journey']);
});

test("every keyword of journey.pest is highlighted as one", async () => {
  const pest = readFileSync(join(repoRoot, "grammar", "journey.pest"), "utf8");
  const keywords = [...pest.matchAll(/^kw_\w+\s*=\s*@\{\s*"(\w+)"(.*)\}\s*$/gm)];
  assert.ok(keywords.length >= 9, "journey.pest's kw_ rules were not found");
  const grammar = await grammarFor("x.journey");
  for (const [, keyword, rest] of keywords) {
    // Each keyword comes before a name or an expression; `then` only before `(`
    // (kw_then's `&"("`).
    const line = rest.includes('&"("') ? `${keyword}(A)` : `${keyword} A do`;
    const [{ tokens }] = tokenise(grammar, line);
    const scope = tokens[0].scopes.at(-1);
    assert.ok(
      tokens[0].text === keyword && /^(keyword|storage\.type)\./.test(scope),
      `${keyword} is ${JSON.stringify(tokens[0].text)} ${scope}`,
    );
  }
});

/** Tokens of a notebook that are journey code outside a stack cell, or the reverse. */
function misplaced(path, lines) {
  const found = [];
  // The fence rules of crates/journey-syntax/src/notebook.rs.
  let inStack = false;
  let inOther = false;
  lines.forEach(({ line, tokens }, i) => {
    const trimmed = line.trim();
    const fence = trimmed.startsWith("```");
    const code = inStack && !(fence && trimmed === "```");
    for (const { text, scopes } of tokens) {
      if (text.trim() !== "" && scopes.includes(EMBEDDED) !== code) {
        found.push(`${path}:${i + 1}: ${JSON.stringify(text)} is ${code ? "not " : ""}journey code`);
      }
    }
    if (inStack || inOther) {
      if (trimmed === "```") inStack = inOther = false;
    } else if (fence) {
      inStack = trimmed.slice(3).trim() === "stack";
      inOther = !inStack;
    }
  });
  return found;
}

test("stack cells, and only they, are journey code in notebooks", async () => {
  const found = [];
  for (const path of accepted.filter((p) => p.endsWith(".md"))) {
    found.push(...misplaced(path, await tokeniseFile(path)));
  }
  assert.deepEqual(found, []);
});

// Real notebooks, read where they are (../shared/corpus) and never copied here.
test("the Turn corpus's notebooks: stack cells found, no invalid or unscoped token", async (t) => {
  const corpus = join(repoRoot, "..", "shared", "corpus");
  if (!existsSync(corpus)) {
    const message = `the Turn corpus is missing: expected it at ${corpus}`;
    assert.ok(!process.env.JOURNEY_REQUIRE_CORPUS, message);
    console.log(`SKIPPED: ${message}`);
    t.skip(message);
    return;
  }
  const notebooks = readdirSync(corpus, { recursive: true })
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(corpus, name));
  assert.ok(notebooks.length > 0, `no notebooks under ${corpus}`);
  const grammar = await grammarFor("notebook.md");
  const found = [];
  let cells = 0;
  for (const path of notebooks) {
    const text = readFileSync(path, "utf8");
    cells += text.split("\n").filter((line) => /^```\s*stack\s*$/.test(line.trim())).length;
    const lines = tokenise(grammar, text);
    found.push(...misplaced(path, lines), ...problems(path, lines));
  }
  assert.ok(cells > 0, "the corpus has no stack cells");
  assert.deepEqual(found, []);
});
