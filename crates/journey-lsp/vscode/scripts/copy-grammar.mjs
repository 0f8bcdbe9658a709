// Copies the TextMate grammars from the repository's grammar/ into syntaxes/ (where
// package.json points), and the repository's LICENSE for the package: one copy of
// each in git, the extension's made at build time.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const extension = join(here, "..");
const repo = join(extension, "..", "..", "..");
const grammars = ["journey.tmLanguage.json", "journey-notebook.tmLanguage.json"];

mkdirSync(join(extension, "syntaxes"), { recursive: true });
for (const name of grammars) {
  copyFileSync(join(repo, "grammar", name), join(extension, "syntaxes", name));
}
copyFileSync(join(repo, "LICENSE"), join(extension, "LICENSE"));
