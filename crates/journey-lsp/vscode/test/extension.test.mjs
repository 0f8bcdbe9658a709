// The extension's smoke test, without VS Code (which cannot run here: no display, and
// its test harness downloads an editor build). It checks the package as VS Code would
// read it, that the documented `npm run package` makes the .vsix, the language
// configuration against the examples, and the built
// dist/extension.js with a stand-in `vscode` API and language client: which command it
// starts and when it restarts. It does not load the extension in a real VS Code, nor
// run vscode-languageclient's protocol code (tests/lsp.rs drives the server itself).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const here = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(here, "..", "..", "..");
const manifest = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const readJson = (path) => JSON.parse(readFileSync(join(here, path), "utf8"));

test("package.json's contributions point at files that exist", () => {
  assert.ok(existsSync(join(here, manifest.main)), `main ${manifest.main} is not built`);
  const languages = manifest.contributes.languages;
  for (const language of languages) {
    assert.ok(existsSync(join(here, language.configuration)), language.configuration);
  }
  for (const grammar of manifest.contributes.grammars) {
    const file = readJson(grammar.path);
    assert.equal(file.scopeName, grammar.scopeName, grammar.path);
    // The copy is the repository's grammar, not a stale one.
    const name = grammar.path.split("/").pop();
    assert.equal(
      readFileSync(join(here, grammar.path), "utf8"),
      readFileSync(join(repo, "grammar", name), "utf8"),
      `${grammar.path} differs from grammar/${name}`,
    );
    if (grammar.language) {
      assert.ok(languages.some((l) => l.id === grammar.language), grammar.language);
    }
    if (grammar.injectTo) {
      assert.equal(file.injectionSelector, `L:${grammar.injectTo[0]}`);
      for (const language of Object.values(grammar.embeddedLanguages)) {
        assert.ok(languages.some((l) => l.id === language), language);
      }
    }
  }
  assert.deepEqual(languages.map((l) => l.extensions).flat(), [".journey"]);
});

test("`npm run package` writes journey.vsix with the manifest's files and no sources", () => {
  const run = (command, args) => {
    const result = spawnSync(command, args, { cwd: here, encoding: "utf8" });
    assert.equal(result.status, 0, `${command} ${args.join(" ")}:\n${result.stdout}${result.stderr}`);
    return result.stdout;
  };
  run("npm", ["run", "package"]);
  assert.equal(readFileSync(join(here, "journey.vsix")).subarray(0, 2).toString(), "PK");
  // `vsce ls` lists what `vsce package` puts in, by the same rules.
  const files = new Set(run("npx", ["vsce", "ls"]).split("\n").filter(Boolean));
  const wanted = [
    manifest.main,
    ...manifest.contributes.languages.map((l) => l.configuration),
    ...manifest.contributes.grammars.map((g) => g.path),
    "./node_modules/vscode-languageclient/package.json",
    "./LICENSE",
  ];
  for (const path of wanted) assert.ok(files.has(path.replace(/^\.\//, "")), `${path} is not packaged`);
  const sources = [...files].filter((f) => /^(src|test|scripts)\/|^node_modules\/(typescript|@types)\//.test(f));
  assert.deepEqual(sources, []);
});

/** The .journey files of examples/ and playbooks/, as `journey fmt` lays them out. */
function formattedJourneys() {
  return ["examples", "playbooks"].flatMap((dir) =>
    readdirSync(join(repo, dir), { recursive: true })
      .filter((name) => name.endsWith(".journey"))
      .map((name) => join(dir, name)),
  );
}

test("the language configuration indents and folds do … end as journey fmt does", () => {
  const config = readJson("language-configuration.json");
  assert.deepEqual(config.comments, { lineComment: "#" });
  const increase = new RegExp(config.indentationRules.increaseIndentPattern);
  const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
  const foldStart = new RegExp(config.folding.markers.start);
  const foldEnd = new RegExp(config.folding.markers.end);
  const files = formattedJourneys();
  assert.ok(files.length > 10);
  for (const path of files) {
    let depth = 0;
    let folds = 0;
    readFileSync(join(repo, path), "utf8")
      .split("\n")
      .forEach((line, i) => {
        const where = `${path}:${i + 1}: ${line}`;
        if (decrease.test(line)) depth -= 1;
        if (line.trim() !== "") {
          // Pressing Enter gives the indentation that journey fmt writes.
          assert.equal(line.length - line.trimStart().length, 2 * depth, where);
        }
        if (increase.test(line)) depth += 1;
        if (foldEnd.test(line)) folds -= 1;
        assert.ok(folds >= 0, `an end with no do: ${where}`);
        if (foldStart.test(line)) folds += 1;
      });
    assert.equal(depth, 0, `${path} ends indented`);
    assert.equal(folds, 0, `${path} has a do with no end`);
  }
});

/** Loads dist/extension.js with stand-ins for `vscode` and the language client. */
function loadExtension(settings) {
  const events = [];
  const listeners = [];
  const commands = new Map();
  class LanguageClient {
    constructor(id, name, server, options) {
      Object.assign(this, { id, name, server, options });
      events.push(["new", this]);
    }
    async start() {
      events.push(["start", this]);
      if (settings.failToStart) throw new Error("spawn ENOENT");
    }
    async stop() {
      events.push(["stop", this]);
    }
  }
  const vscode = {
    workspace: {
      getConfiguration: (section) => {
        assert.equal(section, "journey");
        return { get: (key, fallback) => settings[key] ?? fallback };
      },
      onDidChangeConfiguration: (listener) => {
        listeners.push(listener);
        return { dispose() {} };
      },
    },
    commands: {
      registerCommand: (name, run) => {
        commands.set(name, run);
        return { dispose() {} };
      },
    },
    window: { showErrorMessage: async (message) => events.push(["error", message]) },
  };
  const client = { LanguageClient, TransportKind: { stdio: 0, ipc: 1 } };
  const path = join(here, manifest.main);
  const load = Module._load;
  Module._load = function (request, ...rest) {
    if (request === "vscode") return vscode;
    if (request === "vscode-languageclient/node") return client;
    return load.call(this, request, ...rest);
  };
  try {
    delete createRequire(import.meta.url).cache[path];
    const extension = createRequire(import.meta.url)(path);
    const changeSettings = async (changed) => {
      Object.assign(settings, changed);
      const event = { affectsConfiguration: (key) => Object.keys(changed).some((k) => `journey.${k}` === key) };
      for (const listener of listeners) listener(event);
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { extension, events, commands, changeSettings };
  } finally {
    Module._load = load;
  }
}

const context = () => ({ subscriptions: [] });

test("the client starts `<journey.path> lsp` over stdio for journeys and notebooks", async () => {
  const { extension, events, commands, changeSettings } = loadExtension({ path: "/opt/journey/bin/journey" });
  const ctx = context();
  await extension.activate(ctx);
  const [[kind, client], [started]] = events;
  assert.equal(kind, "new");
  assert.equal(started, "start");
  assert.deepEqual(client.server, { command: "/opt/journey/bin/journey", args: ["lsp"], transport: 0 });
  assert.deepEqual(client.options.documentSelector, [
    { scheme: "file", language: "journey" },
    { scheme: "file", language: "markdown" },
  ]);
  // The contributed command is the one the extension registers.
  assert.deepEqual([...commands.keys()], manifest.contributes.commands.map((c) => c.command));
  assert.equal(ctx.subscriptions.length, 2);

  // A new binary path or notebooks setting restarts the server with it.
  events.length = 0;
  await changeSettings({ path: "journey-dev", notebooks: false });
  assert.deepEqual(events.map(([e]) => e), ["stop", "new", "start"]);
  assert.equal(events[1][1].server.command, "journey-dev");
  assert.deepEqual(events[1][1].options.documentSelector, [{ scheme: "file", language: "journey" }]);

  // Other settings do not.
  events.length = 0;
  await changeSettings({ "trace.server": "verbose" });
  assert.deepEqual(events, []);

  // The command restarts it, with the same settings.
  await commands.get("journey.restartServer")();
  assert.deepEqual(events.map(([e]) => e), ["stop", "new", "start"]);
  assert.equal(events[1][1].server.command, "journey-dev");

  events.length = 0;
  await extension.deactivate();
  assert.deepEqual(events.map(([e]) => e), ["stop"]);
});

test("a binary that does not start is reported, naming the setting", async () => {
  const { extension, events } = loadExtension({ path: "nowhere/journey", failToStart: true });
  await extension.activate(context());
  const [, message] = events.find(([e]) => e === "error");
  assert.match(message, /`nowhere\/journey lsp`/);
  assert.match(message, /journey\.path/);
});

test("an empty journey.path falls back to `journey` on PATH", () => {
  const { extension } = loadExtension({});
  assert.equal(extension.serverOptions({ get: () => "  " }).command, "journey");
});

/** The journey binary: $JOURNEY_BIN, else the workspace's debug build. */
const journeyBin = process.env.JOURNEY_BIN ?? join(repo, "target", "debug", "journey");

test("the command the extension starts speaks LSP: initialize, shutdown, exit", async (t) => {
  if (!existsSync(journeyBin)) {
    console.log(`SKIPPED: no journey binary at ${journeyBin} (cargo build -p journey-cli, or set JOURNEY_BIN)`);
    t.skip(`no journey binary at ${journeyBin}`);
    return;
  }
  const { extension } = loadExtension({});
  const server = extension.serverOptions({ get: () => journeyBin });
  const child = spawn(server.command, server.args, { stdio: ["pipe", "pipe", "inherit"] });
  const send = (message) => {
    const body = JSON.stringify({ jsonrpc: "2.0", ...message });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  // Frames as they come: `Content-Length: N`, a blank line, N bytes of JSON.
  let buffer = Buffer.alloc(0);
  const answer = new Promise((resolve) =>
    child.stdout.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const head = buffer.indexOf("\r\n\r\n");
        if (head < 0) return;
        const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, head).toString())[1]);
        if (buffer.length < head + 4 + length) return;
        const message = JSON.parse(buffer.subarray(head + 4, head + 4 + length).toString());
        buffer = buffer.subarray(head + 4 + length);
        if (message.id === 1) resolve(message);
      }
    }),
  );
  send({ id: 1, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } });
  const response = await answer;
  assert.equal(response.id, 1);
  assert.ok(response.result.capabilities.textDocumentSync, JSON.stringify(response));
  send({ method: "initialized", params: {} });
  send({ id: 2, method: "shutdown" });
  send({ method: "exit" });
  const code = await new Promise((resolve) => child.on("exit", resolve));
  assert.equal(code, 0);
});
