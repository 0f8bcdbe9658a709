// Tokenises journey files and Turn notebooks with grammar/*.tmLanguage.json, the way
// VS Code does (vscode-textmate on the Oniguruma regex engine).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import oniguruma from "vscode-oniguruma";
import textmate from "vscode-textmate";

const require = createRequire(import.meta.url);
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const grammarFiles = {
  "source.journey": join(repoRoot, "grammar", "journey.tmLanguage.json"),
  "markdown.journey.codeblock": join(repoRoot, "grammar", "journey-notebook.tmLanguage.json"),
  // VS Code's own Markdown grammar, so that the stack-cell injection is tested where it runs.
  "text.html.markdown": require.resolve("tm-grammars/grammars/markdown.json"),
};

const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
const onigLib = oniguruma.loadWASM(wasm.buffer).then(() => ({
  createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
  createOnigString: (text) => new oniguruma.OnigString(text),
}));

const registry = new textmate.Registry({
  onigLib,
  loadGrammar: async (scopeName) => {
    const file = grammarFiles[scopeName];
    // Markdown embeds many languages; those other than journey stay plain text.
    if (!file) return null;
    return textmate.parseRawGrammar(readFileSync(file, "utf8"), file);
  },
  getInjections: (scopeName) =>
    scopeName === "text.html.markdown" ? ["markdown.journey.codeblock"] : undefined,
});

/** The grammar for a file: journeys, or Markdown with stack cells. */
export async function grammarFor(path) {
  const scope = path.endsWith(".md") ? "text.html.markdown" : "source.journey";
  const grammar = await registry.loadGrammar(scope);
  if (!grammar) throw new Error(`no grammar for ${scope}`);
  return grammar;
}

/** Each line of `text` with its tokens: `{ text, scopes }`, scopes outermost first. */
export function tokenise(grammar, text) {
  let state = textmate.INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    const tokens = result.tokens.map((token) => ({
      text: line.slice(token.startIndex, token.endIndex),
      scopes: token.scopes,
    }));
    return { line, tokens };
  });
}
