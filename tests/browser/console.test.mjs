// Browser tests of the operator console (issue 16's inbox acceptance): the real `journey serve`
// on a SQLite database, a fake WhatsApp Graph API in this process, webhooks signed like Meta's,
// Debian's chromium driven by playwright-core. Journey time runs TIME_SCALE times faster, so the
// 24-hour window closes within a minute. Each test leaves a screenshot of its last state.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { copyFileSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { journey, launchBrowser, root, screenshot, startJourney, tempDir } from "./lib.mjs";

/** Journey time runs this much faster: the 24-hour window closes in 36 s. */
const TIME_SCALE = 2400;
const APP_SECRET = "browser-test-app-secret";
const PHONE_NUMBER_ID = "106540352242922";
const PASSWORD = "a long operator passphrase";
/** Generous: a debug binary on a loaded two-core machine. */
const PATIENCE = 60_000;

/** A fake Graph API: records each message sent, answers like the real one. */
async function fakeGraph() {
  const sent = [];
  const server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8").on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      try {
        sent.push(JSON.parse(body));
      } catch {
        sent.push({ unreadable: body });
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          messaging_product: "whatsapp",
          contacts: [{ input: "x", wa_id: "x" }],
          messages: [{ id: `wamid.FAKE${sent.length}` }],
        }),
      );
    });
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    sent,
    close: () => new Promise((done) => server.close(done)),
  };
}

let browser, graph, serve, data, url;
let messageId = 0;

before(async () => {
  browser = await launchBrowser();
  graph = await fakeGraph();
  data = tempDir("console");
  copyFileSync(join(root, "examples/journey.toml"), join(data.dir, "journey.toml"));
  copyFileSync(join(root, "tests/fixtures/serve/helpline/helpline.journey"), join(data.dir, "helpline.journey"));
  copyFileSync(join(root, "tests/fixtures/serve/survey/survey.journey"), join(data.dir, "survey.journey"));
  const database = `sqlite://${join(data.dir, "journey.db")}`;
  for (const [name, role] of [
    ["olu", "operator"],
    ["ada", "admin"],
    ["bo", "builder"],
    ["kim", "operator"],
  ]) {
    const added = journey(["users", "add", name, "--role", role, "--project", data.dir, "--database", database], {
      input: `${PASSWORD}\n`,
    });
    assert.equal(added.code, 0, added.stderr);
  }
  serve = await startJourney(
    ["serve", "--project", data.dir, "--database", database, "--listen", "127.0.0.1:0"]
      .concat(["--graph-url", graph.url, "--phone-number-id", PHONE_NUMBER_ID]),
    /journey serve: listening on (http:\/\/\S+)/,
    {
      JOURNEY_APP_SECRET: APP_SECRET,
      JOURNEY_VERIFY_TOKEN: "browser-test-verify-token",
      JOURNEY_ACCESS_TOKEN: "browser-test-access-token",
      JOURNEY_ADMIN_TOKEN: "browser-test-admin-token",
      JOURNEY_TEST_TIME_SCALE: String(TIME_SCALE),
      RUST_LOG: "warn",
    },
  );
  url = serve.match[1];
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  await graph?.close();
  data?.cleanup();
});

/** A text message from `contact`, posted as Meta posts it (signed with the app secret). */
async function says(contact, text) {
  await sends(contact, { type: "text", text: { body: text } });
}

/** A tap on the reply button `id` (titled `title`) by `contact`. */
async function taps(contact, id, title) {
  await sends(contact, { type: "interactive", interactive: { type: "button_reply", button_reply: { id, title } } });
}

/** A message from `contact` (`content`: its type and the type's object), signed like Meta's. */
async function sends(contact, content) {
  messageId += 1;
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: PHONE_NUMBER_ID },
              contacts: [{ profile: { name: "Thandi" }, wa_id: contact }],
              messages: [
                {
                  from: contact,
                  id: `wamid.BROWSER${messageId}`,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  ...content,
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const signature = createHmac("sha256", APP_SECRET).update(body).digest("hex");
  const response = await fetch(`${url}/webhooks/whatsapp`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${signature}` },
    body,
  });
  assert.equal(response.status, 200, `webhook from ${contact}: ${await response.text()}`);
}

/** Waits until the fake Graph API got a message that `ok` accepts. */
async function graphGets(what, ok) {
  const deadline = Date.now() + PATIENCE;
  while (!graph.sent.some(ok)) {
    if (Date.now() > deadline) {
      throw new Error(`the fake Graph API never got ${what}; it got:\n${graph.sent.map((m) => JSON.stringify(m)).join("\n")}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** A new browser context at the console, signed in as `name`. */
async function signIn(name, password = PASSWORD) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(PATIENCE);
  await page.goto(`${url}/console`);
  await fillSignIn(page, name, password);
  return page;
}

/** Fills in the sign-in form and sends it; the HTTP status of the answer. */
async function fillSignIn(page, name, password) {
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Password", { exact: true }).fill(password);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/console/login"),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
  return answer.status();
}

/** A request from the page (its session cookie), with the session's CSRF token. */
async function fromPage(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = await (await fetch("me")).json();
      const response = await fetch(path, {
        method,
        headers: { "content-type": "application/json", "x-csrf-token": me.csrf_token },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json().catch(() => null) };
    },
    { method, path, body },
  );
}

async function finish(page, name) {
  await screenshot(page, name).catch(() => {});
  await page.context().close();
}

test("an operator works a handoff: live queue, reply, the window closing, back to the bot at a card", async () => {
  const [a, b] = ["27820001001", "27820001002"];
  const page = await signIn("olu");
  try {
    await page.locator('.inbox[data-live="live"]').waitFor();
    await page.getByText("Nobody is waiting.").waitFor();

    // Two contacts ask for a nurse: the queue shows them live, longest waiting first.
    await says(a, "nurse please");
    await page.getByTestId(`handoff-${a}`).waitFor();
    await says(b, "nurse");
    await page.getByTestId(`handoff-${b}`).waitFor();
    const queue = page.getByTestId("queue-nurses");
    assert.deepEqual(
      await queue.locator(".handoff-contact").allTextContents(),
      [a, b],
      "longest waiting first",
    );
    assert.match(await page.getByTestId(`handoff-${a}`).textContent(), /waiting \d+/);
    assert.match(await page.getByTestId(`handoff-${a}`).textContent(), /Asked for a nurse/);

    // The conversation: the contact's messages arrive live; fields and steps are shown.
    await page.getByTestId(`handoff-${a}`).click();
    const conversation = page.getByTestId("conversation");
    await conversation.locator(".message.from-contact", { hasText: "nurse please" }).waitFor();
    await says(a, "my baby has a fever");
    await conversation.locator(".message.from-contact", { hasText: "my baby has a fever" }).waitFor();
    await page.getByRole("region", { name: "Contact fields" }).getByText("Thandi").waitFor();
    assert.ok((await page.getByRole("region", { name: /^Steps/ }).locator("li").count()) > 0);

    // Take it, reply: the fake Graph API gets the reply.
    await page.getByRole("button", { name: "Assign to me" }).click();
    await page.getByTestId("handoff-state").filter({ hasText: "assigned to olu" }).waitFor();
    const reply = "Hi, nurse Olu here. How high is the fever?";
    await page.getByLabel("Reply text").fill(reply);
    await page.getByRole("button", { name: "Send reply" }).click();
    await graphGets("the nurse's reply", (m) => m.to === a && m.text?.body === reply);
    await conversation.locator(".message.from-agent", { hasText: reply }).waitFor();

    // A note and a label.
    await page.getByLabel("New note").fill("Mother worried; baby 3 months");
    await page.getByRole("button", { name: "Add note" }).click();
    await page.getByRole("region", { name: "Notes" }).getByText("Mother worried; baby 3 months").waitFor();
    await page.getByLabel("New label").fill("fever");
    await page.getByRole("button", { name: "Add label" }).click();
    await page.getByRole("button", { name: "Remove label fever" }).waitFor();

    // Contact B goes back to the bot at a chosen card (B writes first, so that its window
    // is open however slow the machine): the journey resumes there.
    await says(b, "are you there?");
    await page.getByTestId(`handoff-${b}`).click();
    await page.getByTestId("conversation").locator(".message", { hasText: "are you there?" }).waitFor();
    await page.getByLabel("Card to return to").selectOption("Clinic");
    await page.getByRole("button", { name: "Return to the bot" }).click();
    await graphGets("the Clinic card's message", (m) => m.to === b && m.text?.body?.startsWith("Our clinics are open"));
    await page.getByTestId(`handoff-${b}`).waitFor({ state: "detached" });

    // 25 journey hours after A last wrote, the reply box offers only templates and says why.
    await page.getByTestId(`handoff-${a}`).click();
    const closed = page.getByTestId("window-closed");
    await closed.waitFor({ timeout: 24 * 3600_000 / TIME_SCALE + 2 * PATIENCE });
    await new Promise((done) => setTimeout(done, 3600_000 / TIME_SCALE));
    assert.match(await closed.textContent(), /24-hour window is closed/);
    assert.match(await closed.textContent(), /only an approved template/);
    assert.equal(await page.getByLabel("Reply text").count(), 0, "no free text box");
    const options = await page.getByLabel("Template", { exact: true }).locator("option").allTextContents();
    assert.deepEqual(options.slice(1), ["weight_reminder (en)", "postnatal_checkup (en)"]);
    // The server refuses free text, whatever the page shows.
    const refused = await fromPage(page, "POST", `api/conversations/${a}/reply`, { text: "Are you still there?" });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.error, /24-hour window is closed/);
    // A template with its parameter goes.
    await page.getByLabel("Template", { exact: true }).selectOption("weight_reminder/en");
    await page.getByLabel("Parameter 1").fill("Thandi");
    await page.getByRole("button", { name: "Send template" }).click();
    await graphGets("the template", (m) => m.to === a && m.template?.name === "weight_reminder");
    assert.ok(!graph.sent.some((m) => m.text?.body === "Are you still there?"));
  } finally {
    await finish(page, "console-inbox");
  }
});

test("who may see what: an admin reads the audit log, an operator may not, a builder has no inbox, five wrong passwords lock", async () => {
  const admin = await signIn("ada");
  try {
    await admin.getByRole("link", { name: "Audit log" }).click();
    const log = admin.getByRole("table");
    await log.getByRole("row", { name: /ada login/ }).first().waitFor();
    assert.ok((await log.getByRole("row").count()) > 1);
  } finally {
    await finish(admin, "console-admin-audit");
  }

  const operator = await signIn("olu");
  try {
    await operator.goto(`${url}/console/#/audit`);
    const refusal = operator.getByTestId("not-allowed");
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /needs the admin role; you are signed in as olu/);
    assert.equal((await fromPage(operator, "GET", "audit")).status, 403);
  } finally {
    await finish(operator, "console-operator-audit");
  }

  const builder = await signIn("bo");
  try {
    const refusal = builder.getByTestId("not-allowed");
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /needs the operator or admin role/);
  } finally {
    await finish(builder, "console-builder");
  }

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(PATIENCE);
  try {
    await page.goto(`${url}/console/`);
    const said = page.getByRole("alert");
    for (let attempt = 1; attempt <= 4; attempt++) {
      assert.equal(await fillSignIn(page, "kim", `wrong guess ${attempt}`), 401);
      await said.filter({ hasText: "wrong name or password" }).waitFor();
    }
    assert.equal(await fillSignIn(page, "kim", "wrong guess 5"), 429);
    await said.filter({ hasText: "too many wrong passwords: sign-in for `kim` is locked" }).waitFor();
    // The right password is refused too while locked, and no page shows a password.
    assert.equal(await fillSignIn(page, "kim", PASSWORD), 429);
    await said.filter({ hasText: "is locked; try again after" }).waitFor();
    assert.ok(!(await page.content()).includes(PASSWORD));
  } finally {
    await finish(page, "console-locked");
  }
});

test("an operator broadcasts a template: the server's count before sending, then the report", async () => {
  const [c, d] = ["27820003001", "27820003002"];
  await says(c, "hello");
  await says(d, "hello");
  const page = await signIn("olu");
  try {
    await page.getByRole("link", { name: "Broadcasts" }).click();
    const form = page.getByRole("form", { name: "New broadcast" });
    await form.waitFor();
    await page.getByLabel("Template", { exact: true }).selectOption({ label: "postnatal_checkup (en, utility)" });
    const parameters = page.getByLabel(/^Parameter /);
    await parameters.nth(0).fill("@contact.name");
    await parameters.nth(1).fill("Hillbrow Clinic");
    await page.getByRole("button", { name: "Add a field condition" }).click();
    await page.getByLabel("Field", { exact: true }).fill("name");
    await page.getByLabel("Condition", { exact: true }).selectOption("set");
    // The count the page shows is the server's.
    const spec = {
      template: "postnatal_checkup",
      language: "en",
      params: ["@contact.name", "Hillbrow Clinic"],
      segment: { fields: [{ field: "name", op: "set", value: "" }], labels: [] },
    };
    const expected = (await fromPage(page, "POST", "api/broadcasts/count", spec)).body;
    assert.ok(expected.recipients >= 2, JSON.stringify(expected));
    await page.getByRole("button", { name: "Count" }).click();
    await page.getByTestId("recipients").filter({ hasText: String(expected.recipients) }).waitFor();
    assert.equal(await page.getByTestId("excluded").textContent(), String(expected.excluded));

    // Saved as a draft, sent: the report's figures come in as the fake Graph API accepts.
    await page.getByRole("button", { name: "Save as draft" }).click();
    const report = page.getByTestId("broadcast-report");
    await page.locator('[data-testid="broadcast-report"][data-state="draft"]').waitFor();
    await report.getByTestId("recipients").filter({ hasText: String(expected.recipients) }).waitFor();
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator('[data-testid="broadcast-report"][data-state="sending"]').waitFor();
    await graphGets("the broadcast to C", (m) => m.to === c && m.template?.name === "postnatal_checkup");
    await graphGets("the broadcast to D", (m) => m.to === d && m.template?.name === "postnatal_checkup");
    await page.getByTestId("figure-sent").filter({ hasText: String(expected.recipients) }).waitFor();
    assert.equal(await page.getByTestId("figure-recipients").textContent(), String(expected.recipients));
    const sent = graph.sent.find((m) => m.to === c && m.template?.name === "postnatal_checkup");
    assert.equal(sent.template.components[0].parameters[1].text, "Hillbrow Clinic");
  } finally {
    await finish(page, "console-broadcast");
  }
});

test("contacts: an import with a bad row imports nothing and names the row; a good one imports and search finds it", async () => {
  const page = await signIn("olu");
  const upload = async (csv) => {
    await page.getByLabel("CSV file").setInputFiles({ name: "contacts.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByRole("button", { name: "Import", exact: true }).click();
  };
  const search = async (number, field = "", value = "") => {
    await page.getByLabel("Number starts with").fill(number);
    await page.getByLabel("Field", { exact: true }).selectOption(field);
    await page.getByLabel("Field value").fill(value);
    await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/console/api/contacts"),
      page.getByRole("button", { name: "Search" }).click(),
    ]);
    return page.getByTestId("contact-results").locator("tbody tr td:first-child").allTextContents();
  };
  try {
    await page.getByRole("link", { name: "Contacts" }).click();
    await page.getByRole("search").waitFor();

    // One bad row: the report names its line, column and why; nothing was imported.
    await upload("phone,age,checkup_slot\n27830000001,31,morning\n27830000002,thirty,morning\n");
    const rejected = page.getByTestId("import-rejected");
    await rejected.waitFor();
    assert.match(await rejected.textContent(), /1 row cannot be imported, so nothing was imported/);
    const row = rejected.getByRole("row", { name: /age/ });
    assert.deepEqual(await row.locator("td").allTextContents(), ["3", "age", "`thirty` is not a number (e.g. 42 or 3.5)"]);
    assert.deepEqual(await search("2783"), [], "not even the good row");

    // A good file imports; search finds its contacts by number and by a field's value.
    await upload("phone,age,checkup_slot,labels\n27830000001,31,morning,vip\n+27 83 000 0002,29,afternoon,\n");
    await page.getByTestId("import-done").filter({ hasText: "Imported: 2 new, 0 updated." }).waitFor();
    assert.deepEqual(await search("+2783"), ["27830000001", "27830000002"]);
    assert.deepEqual(await search("", "checkup_slot", "morning"), ["27830000001"]);
    assert.match(await page.getByRole("link", { name: "Export these as CSV" }).getAttribute("href"), /field=checkup_slot&value=morning/);

    // The profile shows what was imported.
    await page.getByRole("link", { name: "27830000001" }).click();
    const profile = page.getByTestId("profile");
    await profile.getByTestId("profile-labels").filter({ hasText: "vip" }).waitFor();
    await profile.getByText("morning").waitFor();
    assert.equal(await profile.getByTestId("opted").textContent(), "Not opted out");
  } finally {
    await finish(page, "console-contacts");
  }

  const builder = await signIn("bo");
  try {
    await builder.goto(`${url}/console/#/contacts`);
    const refusal = builder.getByTestId("not-allowed");
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /needs the operator or admin role/);
  } finally {
    await finish(builder, "console-builder-contacts");
  }
});

test("reports: an admin sees the figures and the funnel chart, downloads the results CSV; an operator may not", async () => {
  // Three contacts take the survey: one is happy, one goes to a nurse, one never answers.
  const [happy, unhappy, silent] = ["27820004001", "27820004002", "27820004003"];
  for (const contact of [happy, unhappy, silent]) await says(contact, "survey");
  for (const contact of [happy, unhappy, silent]) {
    await graphGets(`the survey's question to ${contact}`, (m) => m.to === contact && m.interactive?.body?.text === "Are you happy with the clinic?");
  }
  await taps(happy, "Happy", "Yes");
  await taps(unhappy, "Unhappy", "No");
  await graphGets("the happy answer", (m) => m.to === happy && m.text?.body === "Glad to hear it.");

  const page = await signIn("ada");
  try {
    await page.getByRole("link", { name: "Reports" }).click();
    const funnel = page.getByTestId("funnel");
    await funnel.getByRole("img", { name: "Funnel of Helpline" }).waitFor();
    await page.getByLabel("Journey", { exact: true }).selectOption("Survey");
    await funnel.getByRole("img", { name: "Funnel of Survey" }).waitFor();
    // The handoff is recorded by the step that opened it: wait until the funnel shows it.
    const bar = (card) => funnel.locator(`[data-testid="funnel-bar"][data-card="${card}"]`);
    const deadline = Date.now() + PATIENCE;
    while ((await bar("Unhappy").getAttribute("data-reached")) !== "1") {
      assert.ok(Date.now() < deadline, "the funnel never showed the unhappy contact");
      await page.getByRole("button", { name: "Show" }).click();
      await page.waitForTimeout(200);
    }
    // Every card in the journey's order, with who reached it and who stopped there.
    const bars = await funnel.getByTestId("funnel-bar").evaluateAll((gs) =>
      gs.map((g) => [g.dataset.card, Number(g.dataset.reached), Number(g.dataset.stopped)]),
    );
    assert.deepEqual(bars, [
      ["Start", 3, 1],
      ["Happy", 1, 1],
      ["Unhappy", 1, 1],
      ["Thanks", 0, 0],
      ["OptOut", 0, 0],
    ]);
    assert.match(await bar("Start").textContent(), /3 reached, 1 stopped/);
    const widths = await funnel.locator("rect.reached").evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("width"))));
    assert.ok(widths[0] > widths[1] && widths[1] > 0 && widths[3] === 0, `bar widths ${widths}`);

    // The tables show the server's figures.
    const server = (await fromPage(page, "GET", "api/reports/handoffs")).body;
    const nurses = server.queues.find((q) => q.queue === "nurses");
    assert.ok(nurses.opened >= 1 && nurses.open >= 1, JSON.stringify(server));
    const row = page.getByTestId("handoffs").locator('tr[data-queue="nurses"] td');
    assert.deepEqual((await row.allTextContents()).slice(0, 5), ["nurses", ...[nurses.opened, nurses.assigned, nurses.closed, nurses.open].map(String)]);
    const messages = (await fromPage(page, "GET", "api/reports/messages")).body;
    const bot = messages.origins.find((o) => o.origin === "bot");
    const botRow = page.getByTestId("messages").locator('tr[data-origin="bot"] td');
    assert.equal((await botRow.allTextContents())[1], String(bot.total));
    assert.ok(bot.total >= 5, JSON.stringify(bot));
    const talk = (await fromPage(page, "GET", "api/reports/conversations")).body;
    const totals = await page.getByTestId("conversation-totals").locator("td").allTextContents();
    assert.deepEqual(totals.slice(1), [talk.totals.messages, talk.totals.started, talk.totals.finished].map(String));
    assert.ok(talk.totals.started >= 3, JSON.stringify(talk.totals));

    // The results download as CSV: the survey's answers, the formula guarded.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download results CSV" }).click(),
    ]);
    const csv = readFileSync(await download.path(), "utf8");
    const rows = csv.trim().split("\n").map((line) => line.split(",").slice(0, 3).join(","));
    assert.deepEqual(rows, [
      "contact,key,value",
      `${happy},happy,yes`,
      `${happy},comment,'=1+1`,
      `${unhappy},happy,no`,
    ]);
  } finally {
    await finish(page, "console-reports");
  }

  const operator = await signIn("olu");
  try {
    await operator.goto(`${url}/console/#/reports`);
    const refusal = operator.getByTestId("not-allowed");
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /needs the admin or builder role; you are signed in as olu/);
  } finally {
    await finish(operator, "console-operator-reports");
  }
});
