// Benchmark: opening a 500-card journey in the studio, in chromium, until it is ready to edit
// (every card on the canvas, the first one clicked and its form shown in the inspector).
//
//   JOURNEY_BIN=target/release/journey node tests/browser/bench.mjs [--cards 500] [--runs 5]
// (the figures in BENCHMARKS.md are for a release build; the default binary is the debug one)
//
// The journey is one `stack` (the canvas shows one journey at a time, so this is the
// heaviest case): a chain of cards, every fourth a three-button menu, every fourth a
// question with a timeout, the rest messages.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { journey, launchBrowser, startStudio, tempDir } from "./lib.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const cards = option("cards", 500);
const runs = option("runs", 5);

function generate(count) {
  // Step0 … Step(count-4), then the interrupt and timeout targets: `count` cards in all.
  const steps = count - 3;
  const name = (i) => (i < steps ? `Step${i}` : "Done");
  let out =
    'stack Bench do\n  trigger(on: "MESSAGE RECEIVED") when has_any_phrase(event.message.text.body, ["hi"])\n' +
    '  interrupt(keywords: ["help", "agent", "human"], then: Agent)\n' +
    '  interrupt(keywords: ["stop", "unsubscribe"], then: OptOut)\n\n';
  for (let i = 0; i < steps; i++) {
    const [next, skip, far] = [name(i + 1), name(i + 2), name(i + 3)];
    if (i % 4 === 0 && i + 3 < steps) {
      out += `  # Step ${i}: a menu.\n  card Step${i} do\n    buttons(${next}: "Next", ${skip}: "Skip", ${far}: "Skip two", timeout: 4h, on_timeout: Done) do\n      text("Hi @contact.name, this is step ${i}. What next?")\n    end\n  end\n\n`;
    } else if (i % 4 === 1) {
      out += `  # Step ${i}: a question.\n  card Step${i}, then: ${next} do\n    answer = ask("How are you at step ${i}?", timeout: 2h, on_timeout: Done)\n  end\n\n`;
    } else {
      out += `  card Step${i}, then: ${next} do\n    text("This is step ${i}.")\n  end\n\n`;
    }
  }
  out +=
    '  card Done do\n    text("That is all.")\n  end\n\n' +
    '  card Agent do\n    handoff(queue: "agents", timeout: 30m, on_timeout: Done)\n  end\n\n' +
    '  card OptOut do\n    update_contact(opted_in: false)\n    text("You will get no more messages.")\n  end\nend\n';
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const temp = tempDir("bench");
const made = journey(["new", "bench"], { cwd: temp.dir });
if (made.code !== 0) throw new Error(`journey new: ${made.stderr}`);
const project = join(temp.dir, "bench");
writeFileSync(join(project, "main.journey"), generate(cards));

const studio = await startStudio(project);
const browser = await launchBrowser();
const times = [];
try {
  for (let run = 0; run < runs + 1; run++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(studio.url);
    const started = performance.now();
    await page.goto(`${studio.origin}/?file=main.journey&journey=Bench`);
    // Every card on the canvas (the minimap draws them all; the canvas draws those in view).
    await page.waitForFunction((n) => document.querySelectorAll(".react-flow__minimap-node").length === n, cards, {
      polling: "raf",
      timeout: 60000,
    });
    await page.locator('.react-flow__node[data-id="Step0"]').click();
    await page.locator('.inspector[data-inspecting="Step0"] .statement[data-kind="buttons"]').waitFor();
    const ms = performance.now() - started;
    // The first run warms the server and the browser's cache of the assets; it is not counted.
    if (run > 0) times.push(ms);
    await context.close();
  }
} finally {
  await browser.close();
  await studio.stop();
  temp.cleanup();
}
console.log(
  `open a ${cards}-card journey until ready to edit (${runs} runs): median ${median(times).toFixed(0)} ms, ` +
    `min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
);
