// Writes docs/studio.png, the README's picture of the studio: examples/buttons_menu.journey
// on the canvas, its menu card in the inspector with a fourth button typed (WhatsApp's limit
// showing). Run after changing the UI: node tests/browser/screenshot.mjs
import { join } from "node:path";
import { copyProject, launchBrowser, openStudio, root, startStudio } from "./lib.mjs";

const project = copyProject("examples");
const studio = await startStudio(project.dir);
const browser = await launchBrowser();
try {
  const page = await openStudio(browser, studio, { file: "buttons_menu.journey", name: "ClinicMenu" });
  await page.locator('.react-flow__node[data-id="Menu"]').click();
  const buttons = page.locator('.inspector[data-inspecting="Menu"] .statement[data-kind="buttons"]');
  await buttons.locator(".add-option").click();
  await buttons.locator('.option.adding input[placeholder="Title"]').fill("Talk to a nurse");
  await buttons.locator(".limit-warning").waitFor();
  await page.screenshot({ path: join(root, "docs", "studio.png") });
} finally {
  await browser.close();
  await studio.stop();
  project.cleanup();
}
