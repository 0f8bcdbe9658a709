// Browser tests of `journey studio` (issue 13's acceptance): the real binary on a copy of a
// project, Debian's chromium driven by playwright-core. Each test leaves a screenshot of its
// last state in the artefacts folder.

import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { copyProject, journey, launchBrowser, openStudio, screenshot, startStudio, tempDir } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const followup = { file: "timeout_and_followup.journey", name: "BabyWeight" };
const menu = { file: "buttons_menu.journey", name: "ClinicMenu" };

/** A copy of examples/ in a git repository, the studio on it, a page showing `shown`. */
async function scenario(name, shown, body) {
  const project = copyProject("examples");
  const studio = await startStudio(project.dir);
  let page;
  try {
    page = await openStudio(browser, studio, shown);
    await body({ project, studio, page, path: (file) => join(project.dir, file) });
  } finally {
    if (page) {
      await screenshot(page, name).catch(() => {});
      await page.context().close();
    }
    await studio.stop();
    project.cleanup();
  }
}

/** Wait until a file's bytes satisfy `ok` (the studio writes it after the operation; generous, for a loaded machine). */
async function waitForFile(path, ok, what) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const bytes = readFileSync(path, "utf8");
    if (ok(bytes)) return bytes;
    if (Date.now() > deadline) throw new Error(`${path}: ${what} not seen within 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `git diff -U0` of one file as the removed and the added lines. */
function changedLines(project, file) {
  const diff = project.git("diff", "-U0", "--no-color", "--", file).split("\n");
  return {
    removed: diff.filter((l) => l.startsWith("-") && !l.startsWith("---")).map((l) => l.slice(1)),
    added: diff.filter((l) => l.startsWith("+") && !l.startsWith("+++")).map((l) => l.slice(1)),
  };
}

const card = (page, name) => page.locator(`.react-flow__node[data-id="${name}"]`);

/** Type into a field and leave it: the inspector saves on leaving. */
async function setField(field, value) {
  await field.fill(value);
  await field.blur();
}

/** Wait until the studio has the operation's answer (a notice would say what went wrong). */
async function settled(page, file, ok, what) {
  try {
    return await waitForFile(file, ok, what);
  } catch (error) {
    const notice = await page.locator(".notice").textContent().catch(() => null);
    throw new Error(`${error.message}${notice ? `; the studio said: ${notice}` : ""}`);
  }
}

/** Find a card with the search box (it centres the card), then open it in the inspector. */
async function inspect(page, name) {
  await page.locator(".toolbar .search").fill(name);
  await page.locator(".toolbar .search").press("Enter");
  await card(page, name).click();
  await page.locator(".toolbar .search").fill("");
  await page.locator(".tabs button", { hasText: "Card" }).click();
  const inspector = page.locator(`.inspector[data-inspecting="${name}"]`);
  await inspector.waitFor();
  return inspector;
}

test("the canvas shows every card of a journey", async () => {
  await scenario("canvas", followup, async ({ page }) => {
    const names = ["AskWeight", "Nudge", "Reminder", "LastReminder", "SendWeight", "Thanks", "Nurse", "CallUs", "OptOut"];
    assert.equal(await page.locator(".react-flow__minimap-node").count(), names.length);
    // It opens at a readable size on its first card; "fit view" shows every card.
    await card(page, "AskWeight").waitFor();
    await page.locator(".react-flow__controls-fitview").click();
    for (const name of names) await card(page, name).waitFor();
    await assert.doesNotReject(card(page, "Nurse").locator(".badge-handoff").waitFor());
    const message = await card(page, "Thanks").locator(".card-text").textContent();
    assert.match(message, /Thank you! We saved @weight kg/);
    assert.ok((await page.locator(".react-flow__edge").count()) >= 8, "exits drawn as edges");
  });
});

test("changing one message in the inspector changes exactly that line; undo restores the bytes", async () => {
  await scenario("inspector-message", followup, async ({ project, page, path }) => {
    const file = path(followup.file);
    const original = readFileSync(file, "utf8");
    const inspector = await inspect(page, "CallUs");
    const message = inspector.locator('.statement[data-kind="text"] textarea.message');
    const before = "No nurse is free right now. Call 0800 123 456 (free), Monday to Friday 8am to 5pm. In an emergency, go to your nearest clinic.";
    const changed = "No nurse is free right now. Call 0800 123 456 (free), any day from 8am to 8pm. In an emergency, go to your nearest clinic.";
    assert.equal(await message.inputValue(), before);
    await message.fill(changed);
    await message.blur();
    await settled(page, file, (bytes) => bytes !== original, "the edit");
    const { removed, added } = changedLines(project, followup.file);
    assert.deepEqual(removed, [`    text("${before}")`]);
    assert.deepEqual(added, [`    text("${changed}")`]);
    await card(page, "CallUs").locator(".card-text", { hasText: "any day from 8am" }).waitFor();
    await page.locator(".toolbar button", { hasText: "Undo" }).click();
    await settled(page, file, (bytes) => bytes === original, "the original bytes after undo");
  });
});

test("renaming a card changes its definition and references, not comments; undo restores the bytes", async () => {
  await scenario("inspector-rename", followup, async ({ project, page, path }) => {
    const file = path(followup.file);
    const original = readFileSync(file, "utf8");
    const inspector = await inspect(page, "Nudge");
    await inspector.locator("input.card-title").fill("GentleNudge");
    await inspector.locator("input.card-title").press("Enter");
    await settled(page, file, (bytes) => bytes.includes("card GentleNudge"), "the rename");
    const { removed, added } = changedLines(project, followup.file);
    const references = original.split("\n").filter((l) => /\bNudge\b/.test(l) && !l.trim().startsWith("#"));
    assert.deepEqual(removed, references);
    assert.deepEqual(added, references.map((l) => l.replace(/\bNudge\b/g, "GentleNudge")));
    await card(page, "GentleNudge").waitFor();
    await page.keyboard.press("Escape");
    await page.locator(".react-flow__pane").click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("Control+z");
    await settled(page, file, (bytes) => bytes === original, "the original bytes after Ctrl+Z");
  });
});

test("a file edited on disk shows on the canvas without a reload", async () => {
  await scenario("disk-edit", menu, async ({ page, path }) => {
    await page.evaluate(() => {
      window.notReloaded = true;
    });
    const file = path(menu.file);
    const text = readFileSync(file, "utf8");
    const edited = text.replace("Our clinics are open Monday to Friday", "Our clinics are open every weekday");
    assert.notEqual(edited, text);
    writeFileSync(file, edited);
    const started = Date.now();
    await card(page, "Clinic").locator(".card-text", { hasText: "open every weekday" }).waitFor({ timeout: 5000 });
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 2, `seen after ${seconds} s`);
    assert.equal(await page.evaluate(() => window.notReloaded), true);
  });
});

test("typing a fourth button shows WhatsApp's limit before saving", async () => {
  await scenario("fourth-button", menu, async ({ page, path }) => {
    const original = readFileSync(path(menu.file), "utf8");
    const inspector = await inspect(page, "Menu");
    const buttons = inspector.locator('.statement[data-kind="buttons"]');
    assert.equal(await buttons.locator('.counter[data-counter="buttons"]').textContent(), "3/3 buttons");
    await buttons.locator(".add-option").click();
    await buttons.locator('.option.adding input[placeholder="Title"]').pressSequentially("Talk to a nurse");
    await assert.doesNotReject(buttons.locator(".limit-warning").waitFor());
    assert.match(await buttons.locator('.counter[data-counter="buttons"]').textContent(), /^4\/3 buttons — WhatsApp allows at most 3/);
    assert.equal(await buttons.locator(".save-option").isDisabled(), true);
    assert.equal(readFileSync(path(menu.file), "utf8"), original, "nothing saved");
  });
});

test("a check error appears on its card within a second of the edit that causes it", async () => {
  await scenario("error-on-card", followup, async ({ page }) => {
    const inspector = await inspect(page, "Nurse");
    const fallback = inspector.locator('.statement[data-kind="handoff"] [data-arg="on_timeout"] input');
    await fallback.fill("Nowhere");
    const started = Date.now();
    await fallback.press("Enter");
    await card(page, "Nurse").locator(".card-problems.error").waitFor({ timeout: 5000 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed <= 1000, `the error showed after ${elapsed} ms`);
  });
});

test("a simulator conversation saved as a test passes `journey test`", async () => {
  await scenario("simulator", menu, async ({ page, path, project }) => {
    await page.locator(".tabs button", { hasText: "Try it" }).click();
    await page.locator(".sim-start").click();
    await page.locator(".bubble.from-journey", { hasText: "Welcome to the clinic helpline" }).waitFor();
    await card(page, "Menu").and(page.locator(".react-flow__node:has(.running)")).waitFor();
    await page.locator(".tap", { hasText: "Clinic hours" }).click();
    await page.locator(".bubble.from-journey", { hasText: "Our clinics are open" }).waitFor();
    await page.locator('.save-test input[aria-label="Test file"]').fill("studio.test");
    await page.locator('.save-test input[aria-label="Test name"]').fill("clinic hours from the menu");
    await page.locator(".save-test button").click();
    await page.locator(".saved").waitFor();
    assert.ok(existsSync(path("studio.test")));
    const result = journey(["test", project.dir]);
    assert.equal(result.code, 0, `journey test failed:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout + result.stderr, /clinic hours from the menu/);
  });
});

test("a journey built from `journey new` with clicks and typing passes `journey check --fail-on warning` and its test", async () => {
  const temp = tempDir("new");
  const made = journey(["new", "clinic"], { cwd: temp.dir });
  assert.equal(made.code, 0, made.stderr);
  const dir = join(temp.dir, "clinic");
  const file = join(dir, "main.journey");
  const read = () => readFileSync(file, "utf8");
  const studio = await startStudio(dir);
  let page;
  try {
    page = await openStudio(browser, studio, { file: "main.journey", name: "Clinic" }, { width: 1600, height: 1000 });

    // The welcome card comes with the new project; the tips card gets new words.
    await card(page, "Welcome").waitFor();
    let inspector = await inspect(page, "Tips");
    await setField(inspector.locator('.statement[data-kind="text"] textarea.message'), "Go to every clinic visit and drink clean water.");
    await settled(page, file, (t) => t.includes("Go to every clinic visit and drink clean water."), "the tips message");

    // A handoff to the nurses with a fallback card when nobody answers, on a new card.
    await page.locator('input[aria-label="New card name"]').fill("Nurse");
    await page.locator(".toolbar button", { hasText: "Add card" }).click();
    await card(page, "Nurse").waitFor();
    inspector = await inspect(page, "Nurse");
    await inspector.locator("select.add-statement").selectOption({ label: "Hand to a person" });
    const handoff = inspector.locator('.statement[data-kind="handoff"]');
    await handoff.waitFor();
    for (const [name, value] of [["queue", "nurses"], ["timeout", "30m"], ["on_timeout", "CallUs"], ["on_return", "Menu"]]) {
      const before = read();
      await setField(handoff.locator(`[data-arg="${name}"] input`), value);
      await settled(page, file, (t) => t !== before && t.includes(value), `the handoff's ${name}`);
    }
    assert.match(read(), /handoff\(queue: "nurses", timeout: 30m, on_timeout: CallUs, on_return: Menu\)|handoff\(queue: "nurses"[^\n]*on_timeout: CallUs/);

    // A question with a timeout and two retries, on a new card.
    await page.locator('input[aria-label="New card name"]').fill("Weeks");
    await page.locator(".toolbar button", { hasText: "Add card" }).click();
    await card(page, "Weeks").waitFor();
    inspector = await inspect(page, "Weeks");
    await inspector.locator("select.add-statement").selectOption({ label: "Question" });
    const ask = inspector.locator('.statement[data-kind="ask"]');
    await ask.waitFor();
    await setField(ask.locator("textarea.message"), "How many weeks pregnant are you? Send a number, like 12.");
    await settled(page, file, (t) => t.includes("How many weeks pregnant"), "the question");
    const settings = [
      ["timeout", "2h"],
      ["on_timeout", "Tips"],
      ["validate", "has_number(event.message.text.body)"],
      ["error", "Please send just a number, like 12."],
      ["retries", "2"],
      ["on_invalid", "Nurse"],
    ];
    for (const [name, value] of settings) {
      const before = read();
      await setField(ask.locator(`[data-arg="${name}"] input`), value);
      await settled(page, file, (t) => t !== before && t.includes(value), `the question's ${name}`);
    }

    // The menu gets a third button, to the question.
    inspector = await inspect(page, "Menu");
    const buttons = inspector.locator('.statement[data-kind="buttons"]');
    await buttons.locator(".add-option").click();
    await buttons.locator('.option.adding input[placeholder="Title"]').fill("Weeks pregnant");
    await buttons.locator('.option.adding input[placeholder="Goes to card"]').fill("Weeks");
    assert.equal(await buttons.locator('.counter[data-counter="buttons"]').textContent(), "3/3 buttons");
    await buttons.locator(".save-option").click();
    await settled(page, file, (t) => t.includes('Weeks: "Weeks pregnant"'), "the third button");

    // A branch on the answer: Advice, with a version only for an early pregnancy.
    await page.locator('input[aria-label="New card name"]').fill("Advice");
    await page.locator(".toolbar button", { hasText: "Add card" }).click();
    await card(page, "Advice").waitFor();
    inspector = await inspect(page, "Advice");
    await inspector.locator("select.add-statement").selectOption({ label: "Message" });
    await setField(inspector.locator('.statement[data-kind="text"] textarea.message').first(), "Keep going to every clinic visit.");
    await settled(page, file, (t) => t.includes("Keep going to every clinic visit."), "the advice");
    await inspector.locator(".add-guard button", { hasText: "write it as an expression" }).click();
    await inspector.locator('.add-guard input[aria-label="Condition"]').fill("parse_int(answer) < 12");
    await inspector.locator(".add-guard button", { hasText: "Add" }).click();
    await settled(page, file, (t) => t.includes("when parse_int(answer) < 12"), "the guarded version");
    // The new version comes first and empty: give it its own message.
    await inspector.locator('.definition[data-definition="1"]').waitFor();
    const early = inspector.locator('.definition[data-definition="0"]');
    await early.locator("select.add-statement").selectOption({ label: "Message" });
    await early.locator('.statement[data-kind="text"]').waitFor();
    await setField(early.locator('.statement[data-kind="text"] textarea.message'), "Book your first clinic visit before 12 weeks.");
    await settled(page, file, (t) => t.includes("Book your first clinic visit"), "the early advice");

    // Connect the question to the advice with the inspector's "Goes to" choice.
    inspector = await inspect(page, "Weeks");
    await inspector.locator('.goes-to [data-exit="then"] select').selectOption("Advice");
    await settled(page, file, (t) => /card Weeks, then: Advice/.test(t), "the connection");

    // The handoff has a fallback (from the scaffold): give the team a note.
    inspector = await inspect(page, "Agent");
    await setField(inspector.locator('.statement[data-kind="handoff"] [data-arg="note"] input'), "Asked for a person from the menu");
    await settled(page, file, (t) => t.includes("Asked for a person from the menu"), "the note");
    const text = read();
    assert.match(text, /on_timeout: CallUs/);
    assert.match(text, /interrupt\(keywords: \["stop", "unsubscribe"\], then: OptOut\)/);

    const check = journey(["check", "--fail-on", "warning", dir]);
    assert.equal(check.code, 0, `journey check --fail-on warning:\n${check.stdout}\n${check.stderr}\n${text}`);

    // A conversation in the simulator, saved as a test.
    await page.locator(".tabs button", { hasText: "Try it" }).click();
    await page.locator(".sim-start").click();
    await page.locator(".tap", { hasText: "Weeks pregnant" }).click();
    await page.locator(".bubble.from-journey", { hasText: "How many weeks pregnant" }).waitFor();
    await page.locator('.compose input').fill("8");
    await page.locator('.compose button').click();
    await page.locator(".bubble.from-journey", { hasText: "Book your first clinic visit" }).waitFor();
    await page.locator('.save-test input[aria-label="Test file"]').fill("weeks.test");
    await page.locator('.save-test input[aria-label="Test name"]').fill("early pregnancy advice");
    await page.locator(".save-test button").click();
    await page.locator(".saved").waitFor();
    // (The starter's own main.test expects the old two-button menu: a builder updates it
    // with `journey test --update`. The conversation recorded here must pass as it is.)
    const tested = journey(["test", join(dir, "weeks.test")]);
    assert.equal(tested.code, 0, `journey test:\n${tested.stdout}\n${tested.stderr}`);
    assert.match(tested.stdout, /1 passed, 0 failed/);
    assert.match(readFileSync(join(dir, "weeks.test"), "utf8"), /## early pregnancy advice/);
  } finally {
    if (page) {
      await screenshot(page, "from-journey-new").catch(() => {});
      await page.context().close();
    }
    await studio.stop();
    temp.cleanup();
  }
});

test("settings forms change journey.toml in place, keep its comments, and refuse a bad value in plain words", async () => {
  await scenario("settings", followup, async ({ project, page, path }) => {
    const file = path("journey.toml");
    const original = readFileSync(file, "utf8");
    await page.locator(".open-settings").click();
    const settings = page.locator(".modal-body.settings");
    await settings.locator('[data-template="weight_reminder/en"]').waitFor();

    // A template's status: one line changes.
    await settings.locator('[data-template="weight_reminder/en"] select').selectOption("paused");
    let text = await settled(page, file, (t) => t.includes('status = "paused"'), "the template's status");
    let diff = changedLines(project, "journey.toml");
    assert.deepEqual(diff.removed, ['status = "approved"']);
    assert.deepEqual(diff.added, ['status = "paused"']);

    // Languages: the project speaks Portuguese too.
    await settings.locator('input[aria-label="Other languages"]').fill("pt");
    await settings.locator(".save-languages").click();
    text = await settled(page, file, (t) => t.includes('languages = ["en", "pt"]'), "the languages");

    // A new contact field with a longest length, after the other fields.
    const row = settings.locator('[data-field="new"]');
    await row.locator('input[aria-label="Field name"]').fill("clinic_code");
    await row.locator('input[aria-label="Longest length"]').fill("8");
    await row.locator('input[aria-label="Description"]').fill("The clinic's short code");
    await row.locator(".save-field").click();
    text = await settled(page, file, (t) => t.includes("[fields.clinic_code]"), "the new field");
    assert.match(text, /\[fields\.checkup_slot\]\ntype = "choice"\nchoices = \["morning", "afternoon"\]\n\n\[fields\.clinic_code\]\ntype = "text"\nmax_length = 8\ndescription = "The clinic's short code"\n/);
    await settings.locator('[data-field="clinic_code"]').waitFor();

    // A longest length on a number field: refused in plain words, nothing written.
    const before = readFileSync(file, "utf8");
    const age = settings.locator('[data-field="age"]');
    await age.locator('input[aria-label="Longest length"]').fill("3");
    await age.locator(".save-field").click();
    await settings.locator(".settings-problem", { hasText: "applies to text fields only" }).waitFor();
    assert.equal(readFileSync(file, "utf8"), before, "nothing written");

    // Every comment of the file is still there.
    const comments = (t) => t.split("\n").filter((l) => l.trim().startsWith("#"));
    assert.deepEqual(comments(readFileSync(file, "utf8")), comments(original));
    const { removed } = changedLines(project, "journey.toml");
    assert.deepEqual(removed, ['status = "approved"']);
  });
});

test("a message's translations show side by side, missing ones as empty fields with the language's name", async () => {
  const project = copyProject("examples");
  const toml = join(project.dir, "journey.toml");
  writeFileSync(toml, readFileSync(toml, "utf8").replace('default_language = "en"\n', 'default_language = "en"\nlanguages = ["en", "pt"]\n'));
  project.git("commit", "-qam", "Portuguese");
  const studio = await startStudio(project.dir);
  let page;
  try {
    page = await openStudio(browser, studio, followup);
    const file = join(project.dir, followup.file);
    const inspector = await inspect(page, "CallUs");
    const pt = inspector.locator('.statement[data-kind="text"] .translation[data-language="pt"]');
    assert.match(await pt.locator("span").first().textContent(), /Portuguese \(pt\)/);
    assert.equal(await pt.locator("textarea").inputValue(), "");
    await setField(pt.locator("textarea"), "Nenhuma enfermeira está livre agora. Ligue 0800 123 456.");
    await settled(page, file, (t) => t.includes('pt: "Nenhuma enfermeira'), "the translation");
    const { removed, added } = changedLines(project, followup.file);
    assert.equal(removed.length, 1);
    assert.equal(added.length, 1);
    assert.match(added[0], /^    text\("No nurse is free right now\..*", pt: "Nenhuma enfermeira está livre agora\. Ligue 0800 123 456\."\)$/);
    // The form shows the saved translation, as the server reads it back from the file.
    await page.waitForFunction(
      () => document.querySelector('.translation[data-language="pt"] textarea')?.value === "Nenhuma enfermeira está livre agora. Ligue 0800 123 456.",
    );
    // The code tab (made when first shown) has the same line.
    await page.locator(".tabs button", { hasText: "Code" }).click();
    await page.locator(".cm-content", { hasText: 'pt: "Nenhuma enfermeira' }).waitFor();
  } finally {
    if (page) {
      await screenshot(page, "translations").catch(() => {});
      await page.context().close();
    }
    await studio.stop();
    project.cleanup();
  }
});

test("a personalised message is edited as words, with a picker for contact fields and answers", async () => {
  await scenario("personalised", followup, async ({ project, page, path }) => {
    const file = path(followup.file);
    const inspector = await inspect(page, "Thanks");
    const message = inspector.locator('.statement[data-kind="text"] textarea.message');
    assert.equal(await message.inputValue(), "Thank you! We saved @weight kg. Keep going to every clinic visit to track baby's growth.");
    const picker = inspector.locator('.statement[data-kind="text"] select[aria-label="Personalise"]');
    const offered = await picker.locator("option").allTextContents();
    assert.ok(offered.some((o) => o.startsWith("contact.baby_name (text)")), offered.join(" / "));
    assert.ok(offered.some((o) => o.startsWith("weight ")), offered.join(" / "));
    // The cursor right after "Thank you", then the contact's name from the picker: it
    // comes with a space, as an @ right after a word would be plain text.
    await message.evaluate((el) => {
      el.focus();
      el.setSelectionRange(9, 9);
    });
    await message.fill("Thank you @@ the clinic! We saved @weight kg.");
    await message.evaluate((el) => el.setSelectionRange(9, 9));
    await picker.selectOption({ label: "contact.name (text)" });
    await settled(page, file, (t) => t.includes("Thank you @contact.name @@ the clinic!"), "the personalised message");
    const { removed, added } = changedLines(project, followup.file);
    assert.deepEqual(removed, ['    text("Thank you! We saved @weight kg. Keep going to every clinic visit to track baby\'s growth.")']);
    assert.deepEqual(added, ['    text("Thank you @contact.name @@ the clinic! We saved @weight kg.")']);
    assert.equal(journey(["check", project.dir]).code, 0);
  });
});

test("the way to a person from the selected card is highlighted, as Rust computes it", async () => {
  await scenario("person-path", followup, async ({ page }) => {
    await page.locator(".toolbar .toggle input").check();
    const inspector = await inspect(page, "Reminder");
    const path = await page.evaluate(async () => {
      const answer = await fetch("/api/person-path?file=timeout_and_followup.journey&journey=BabyWeight&card=Reminder");
      return answer.json();
    });
    // A timer to LastReminder, whose template has a button to a nurse: one tap away.
    assert.deepEqual(
      { person: path.person, replies: path.replies, cards: path.steps.map((s) => s.target) },
      { person: "Nurse", replies: 1, cards: ["LastReminder", "Nurse"] },
    );
    await inspector.locator(".person-path", { hasText: "Way to a person: Reminder → LastReminder → Nurse (the contact sends 1 message on the way)" }).waitFor();
    await page.locator(".react-flow__controls-fitview").click();
    for (const name of ["Reminder", "LastReminder", "Nurse"]) await card(page, name).locator(".card-node.on-path").waitFor();
    for (const name of ["Thanks", "AskWeight", "CallUs"]) assert.equal(await card(page, name).locator(".card-node.on-path").count(), 0, name);
    const highlighted = await page.locator(".react-flow__edge.on-path").evaluateAll((edges) => edges.map((e) => e.getAttribute("data-id")).sort());
    assert.deepEqual(highlighted, path.steps.map((s) => `${s.card}/${s.exit}`).sort());
    // From a card with no way to a person, the inspector says so.
    await inspect(page, "OptOut");
    await page.locator(".person-path", { hasText: "No way to a person from this card." }).waitFor();
    assert.equal(await page.locator(".react-flow__edge.on-path").count(), 0);
  });
});

test("a card pasted into another journey keeps every version of it", async () => {
  await scenario("paste-across", { file: "skip_logic.journey", name: "PregnancyCheckIn" }, async ({ page, path, studio }) => {
    await inspect(page, "Welcome");
    await page.locator(".react-flow__pane").click({ position: { x: 5, y: 5 } });
    await card(page, "Welcome").click();
    await page.keyboard.press("Control+c");
    await page.locator(".notice", { hasText: "Copied Welcome" }).waitFor();
    await page.locator(".journeys button", { hasText: "BabyWeight" }).click();
    await card(page, "AskWeight").waitFor();
    await page.locator(".react-flow__pane").click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("Control+v");
    const file = path(followup.file);
    const text = await settled(page, file, (t) => (t.match(/card WelcomeCopy/g) ?? []).length === 3, "three versions");
    const versions = [...text.matchAll(/card WelcomeCopy[^\n]*\n\s*text\(([^\n]*)\)/g)].map((m) => m[0].split("\n")[0].trim() + " " + m[1]);
    assert.deepEqual(versions, [
      'card WelcomeCopy when is_nil_or_empty(contact.due_date) do "Welcome to the pregnancy check-in! First, a quick question about your pregnancy."',
      'card WelcomeCopy when datevalue(contact.due_date) < today() do "Welcome back, @contact.name. Your due date has passed."',
      `card WelcomeCopy do "Welcome back, @contact.name. Your baby is due on @(datevalue(contact.due_date, '%d %B'))."`,
    ]);
    void studio;
  });
});

test("the simulator shows what the contact's phone shows, and events as small lines", async () => {
  await scenario("sim-bubbles", menu, async ({ page }) => {
    await page.locator(".tabs button", { hasText: "Try it" }).click();
    await page.locator(".sim-start").click();
    const menuBubble = page.locator(".bubble.from-journey", { hasText: "Welcome to the clinic helpline" });
    await menuBubble.waitFor();
    assert.equal(await menuBubble.locator(".bubble-choices span").count(), 3);
    await page.locator(".tap", { hasText: "Clinic hours" }).click();
    await page.locator(".bubble.from-journey", { hasText: "Our clinics are open" }).waitFor();
    assert.deepEqual(await page.locator(".bubble.from-contact .bubble-text").allTextContents(), ["hi", "Clinic hours"]);
    await page.locator('select[aria-label="Time to pass"]').selectOption("1d");
    await page.locator(".advance").click();
    await page.locator(".bubble.system-line").first().waitFor();
    for (const t of await page.locator(".bubble:not(.system-line) .bubble-text").allTextContents()) {
      assert.doesNotMatch(t, /^\[|\| \d+\. /, `a transcript marker in "${t}"`);
    }
  });
});

test("a journey without a STOP interrupt gets one, and its opt-out card, from the Problems list", async () => {
  const temp = tempDir("optout");
  const file = join(temp.dir, "main.journey");
  writeFileSync(join(temp.dir, "journey.toml"), '[project]\nname = "clinic"\n');
  writeFileSync(file, 'stack Clinic do\n  card Ask do\n    weeks = ask("How many weeks pregnant are you?")\n    text("Thank you.")\n  end\nend\n');
  const studio = await startStudio(temp.dir);
  let page;
  try {
    page = await openStudio(browser, studio, { file: "main.journey", name: "Clinic" });
    const fix = page.locator('.problem-group[data-rule="WA301"] .fix');
    await assert.doesNotReject(fix.waitFor());
    assert.match(await fix.textContent(), /Add an opt-out interrupt for "stop"/);
    await fix.click();
    const text = await settled(page, file, (t) => t.includes("card OptOut do"), "the opt-out interrupt and card");
    assert.match(text, /interrupt\(keywords: \["stop", .*\], then: OptOut\)/);
    // The new card is on the canvas, and the problem is gone.
    await card(page, "OptOut").waitFor();
    await page.locator('.problem-group[data-rule="WA301"]').waitFor({ state: "detached" });
    const check = journey(["check", temp.dir]);
    assert.doesNotMatch(check.stdout + check.stderr, /WA301/);
  } finally {
    if (page) {
      await screenshot(page, "optout-fix").catch(() => {});
      await page.context().close();
    }
    await studio.stop();
    temp.cleanup();
  }
});

test("a guarded version of a card is built from a contact field, a comparison and a value", async () => {
  await scenario("guard-form", menu, async ({ project, page, path }) => {
    const file = path(menu.file);
    const original = readFileSync(file, "utf8");
    const inspector = await inspect(page, "Pregnancy");
    const guard = inspector.locator(".add-guard");
    await guard.locator('select[aria-label="Field"] option[value="contact.age"]').waitFor({ state: "attached" });
    await guard.locator('select[aria-label="Field"]').selectOption("contact.age");
    await guard.locator('select[aria-label="Comparison"]').selectOption({ label: "is less than" });
    await guard.locator('input[aria-label="Value"]').fill("18");
    await guard.locator("button", { hasText: "Add" }).click();
    const text = await settled(page, file, (t) => t !== original, "the guarded version");
    assert.match(text, /card Pregnancy when contact\.age < 18/);
    await inspector.locator('.definition[data-definition="1"]').waitFor();
    // Text is quoted as text: a name compared with a name.
    await guard.locator('select[aria-label="Field"]').selectOption("contact.clinic_name");
    await guard.locator('select[aria-label="Comparison"]').selectOption({ label: "is" });
    await guard.locator('input[aria-label="Value"]').fill("Soweto Clinic");
    await guard.locator("button", { hasText: "Add" }).click();
    await settled(page, file, (t) => t.includes('card Pregnancy when contact.clinic_name == "Soweto Clinic"'), "the text comparison");
    const check = journey(["check", project.dir]);
    assert.doesNotMatch(check.stdout, /error\[J0/);
  });
});

test("a WhatsApp template is picked from the registry, with its words and its values", async () => {
  await scenario("template-form", followup, async ({ project, page, path }) => {
    const file = path(followup.file);
    const inspector = await inspect(page, "LastReminder");
    const template = inspector.locator('.definition[data-definition="0"] .statement[data-kind="send_message_template"]');
    const picker = template.locator('select[aria-label="Template"]');
    assert.equal(await picker.inputValue(), "weight_reminder/en");
    await template.locator(".template-body", { hasText: "we have not yet received your baby's weight" }).waitFor();
    await picker.selectOption("postnatal_checkup/en");
    await settled(page, file, (t) => t.includes('send_message_template("postnatal_checkup", "en", [contact.name]'), "the new template");
    await template.locator(".template-body", { hasText: "6-week postnatal check-up" }).waitFor();
    const values = template.locator('[data-arg="values"] input');
    await setField(values, '[contact.name, "Soweto Clinic"]');
    await settled(page, file, (t) => t.includes('[contact.name, "Soweto Clinic"]'), "the values");
    const { removed, added } = changedLines(project, followup.file);
    assert.equal(removed.length, 1);
    assert.deepEqual(added, ['    send_message_template("postnatal_checkup", "en", [contact.name, "Soweto Clinic"], buttons: [SendWeight, Nurse])']);
  });
});
