// Starts `journey lsp` for .journey files (and Turn notebooks, unless turned off) and
// restarts it when its settings change. Everything else is the server's job.
import * as vscode from "vscode";
import {
  type DocumentSelector,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

/** How the server is started: `<journey.path> lsp` over stdio. */
export function serverOptions(config: vscode.WorkspaceConfiguration): ServerOptions {
  const command = config.get<string>("path")?.trim() || "journey";
  return { command, args: ["lsp"], transport: TransportKind.stdio };
}

/** The files the server sees: journeys, and Markdown (Turn notebooks) if asked. */
export function documentSelector(config: vscode.WorkspaceConfiguration): DocumentSelector {
  const selector: DocumentSelector = [{ scheme: "file", language: "journey" }];
  if (config.get<boolean>("notebooks", true)) {
    selector.push({ scheme: "file", language: "markdown" });
  }
  return selector;
}

async function start(): Promise<void> {
  const config = vscode.workspace.getConfiguration("journey");
  const clientOptions: LanguageClientOptions = { documentSelector: documentSelector(config) };
  client = new LanguageClient("journey", "Journey", serverOptions(config), clientOptions);
  await client.start();
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  await running?.stop();
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("journey.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (
        event.affectsConfiguration("journey.path") ||
        event.affectsConfiguration("journey.notebooks")
      ) {
        void restart();
      }
    }),
  );
  try {
    await start();
  } catch (error) {
    const path = vscode.workspace.getConfiguration("journey").get<string>("path");
    void vscode.window.showErrorMessage(
      `Journey: could not start \`${path} lsp\` (${String(error)}). Install journey or set "journey.path".`,
    );
  }
}

export function deactivate(): Promise<void> {
  return stop();
}
