// Shared by the browser tests and the benchmark: the real `journey` binary, a project in a
// temporary directory, `journey studio` (or `journey serve`) on a free loopback port,
// Debian's chromium.

import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const journeyBin =
  process.env.JOURNEY_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug", "journey");
export const chromiumBin = process.env.JOURNEY_CHROMIUM ?? "/usr/bin/chromium";
export const artifacts = process.env.JOURNEY_ARTIFACTS
  ? join(process.env.JOURNEY_ARTIFACTS, "browser")
  : join(root, "target", "artifacts", "browser");

/** Run a command to its end; its exit code and output. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function journey(args, options = {}) {
  return run(journeyBin, args, options);
}

function git(dir, args) {
  const result = run("git", ["-c", "user.name=studio test", "-c", "user.email=studio@test", ...args], { cwd: dir });
  if (result.code !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** A temporary directory that `cleanup()` removes. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `journey-studio-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of a folder of the repository in a temporary git repository, committed. */
export function copyProject(from) {
  const temp = tempDir("project");
  cpSync(join(root, from), temp.dir, { recursive: true });
  git(temp.dir, ["init", "-q"]);
  git(temp.dir, ["add", "-A"]);
  git(temp.dir, ["commit", "-qm", "start"]);
  return { ...temp, git: (...args) => git(temp.dir, args) };
}

async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/**
 * `journey ARGS` (with more environment), resolving once its output matches `address`:
 * the match, and `stop()` (SIGTERM, then waits for the exit).
 */
export async function startJourney(args, address, env = {}) {
  const child = spawn(journeyBin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let output = "";
  const found = await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`journey ${args[0]} printed no address in 60 s:\n${output}`)), 60000);
    const read = (chunk) => {
      output += chunk;
      const match = output.match(address);
      if (match) {
        clearTimeout(timer);
        done(match);
      }
    };
    child.stdout.setEncoding("utf8").on("data", read);
    child.stderr.setEncoding("utf8").on("data", read);
    child.on("exit", (code) => fail(new Error(`journey ${args[0]} exited with ${code}:\n${output}`)));
  });
  return {
    match: found,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}

/** `journey studio DIR` on a free loopback port; resolves once it printed its address. */
export async function startStudio(dir) {
  const port = await freePort();
  const studio = await startJourney(
    ["studio", dir, "--listen", `127.0.0.1:${port}`],
    /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/,
  );
  const url = studio.match[0];
  return { url, origin: new URL(url).origin, token: new URL(url).searchParams.get("token"), stop: studio.stop };
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: chromiumBin, headless: true, args: ["--no-sandbox"] });
}

/** A page signed in to the studio (the token URL sets the session cookie), showing a journey. */
export async function openStudio(browser, studio, journey, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(studio.url);
  if (journey) {
    const query = new URLSearchParams({ file: journey.file, journey: journey.name });
    await page.goto(`${studio.origin}/?${query}`);
    await page.locator('.canvas[data-ready="yes"] .react-flow__node').first().waitFor();
  }
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}
