/**
 * The web chat in a real browser (Debian's Chromium through playwright-core) at phone and desktop
 * sizes: nothing wider than the screen, every button inside it, the input always visible, button
 * presses shown with their label after a reload, and the icon served. Screenshots go to
 * test-output/screenshots/ (gitignored) for a person to look at.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { browserTestsRun, describeInBrowser, launchBrowser } from "../../helpers/browser.ts";
import { repoDir } from "../../helpers/cli.ts";
import { removeDir, startTestService, tempDir, type TestService } from "../../helpers/service.ts";

const shots = path.join(repoDir, "test-output/screenshots");
let dir: string;
let running: TestService;
let browser: Browser;

beforeAll(async () => {
  if (!browserTestsRun) return;
  mkdirSync(shots, { recursive: true });
  dir = tempDir();
  running = await startTestService(dir, { DEMO_MODE: "auto" });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await running?.stop();
  await removeDir(dir);
});

interface Layout {
  scrollWidth: number;
  viewportWidth: number;
  viewportHeight: number;
  /** Buttons whose box leaves the viewport sideways, by label. */
  outside: string[];
  /** The last message's buttons hidden behind the input or below the screen, by label. */
  hiddenLast: string[];
  sendBottom: number;
}

// In-page scripts are plain JavaScript strings: the project's TypeScript has no DOM types.
/** Measures the page as a member sees it (the chat should show its end without scrolling). */
const measureScript = `(() => {
  const log = document.getElementById("log");
  const form = document.getElementById("form").getBoundingClientRect();
  const logBox = log.getBoundingClientRect();
  const buttons = [...document.querySelectorAll("button")];
  const outside = buttons.filter((b) => {
    const r = b.getBoundingClientRect();
    return r.left < 0 || r.right > window.innerWidth + 0.5;
  });
  const messages = [...document.querySelectorAll(".msg")];
  const last = messages[messages.length - 1];
  const hiddenLast = [...(last ? last.querySelectorAll("button") : [])].filter((b) => {
    const r = b.getBoundingClientRect();
    return r.top < logBox.top - 0.5 || r.bottom > Math.min(logBox.bottom, form.top, window.innerHeight) + 0.5;
  });
  return {
    scrollWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
    viewportHeight: window.innerHeight,
    outside: outside.map((b) => b.textContent),
    hiddenLast: hiddenLast.map((b) => b.textContent),
    sendBottom: document.querySelector("#form button").getBoundingClientRect().bottom,
  };
})()`;

/** Loads /favicon.ico as an image in the page: its width, or 0 when the browser cannot draw it. */
const iconWidthScript = `new Promise((resolve) => {
  const img = new Image();
  img.onload = () => resolve(img.naturalWidth);
  img.onerror = () => resolve(0);
  img.src = "/favicon.ico";
})`;

async function layout(page: Page): Promise<Layout> {
  return page.evaluate<Layout>(measureScript);
}

function expectFits(l: Layout): void {
  expect(l.scrollWidth).toBeLessThanOrEqual(l.viewportWidth);
  expect(l.outside).toEqual([]);
  expect(l.hiddenLast).toEqual([]);
  expect(l.sendBottom).toBeLessThanOrEqual(l.viewportHeight);
}

const sizes = [
  { name: "phone-412", width: 412, height: 915 },
  { name: "phone-360", width: 360, height: 740 },
  { name: "phone-320", width: 320, height: 640 },
  { name: "desktop", width: 1280, height: 800 },
];

describeInBrowser("web chat page in a browser", () => {
  for (const [index, size] of sizes.entries()) {
    it(`should fit a ${size.width}px screen and show pressed buttons' labels after a reload (${size.name})`, async () => {
      const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
      const page = await context.newPage();
      const failed: string[] = [];
      page.on("response", (r) => void (r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`)));
      await page.goto(`${running.service.url}/chat`);
      // A different member for each size: the language switch below is saved for the person.
      const member = await page.locator("#member option", { hasText: "(hội viên" }).nth(index).getAttribute("value");
      await page.selectOption("#member", member!);
      await page.locator(".msg.out", { hasText: "Xin chào" }).waitFor();

      await page.fill("#text", "/ngonngu");
      await page.press("#text", "Enter");
      await page.getByRole("button", { name: "English" }).click();
      await page.locator(".msg.out", { hasText: "Switched to English." }).waitFor();
      // A long unbroken line (a pasted link) and a reply that ends with buttons.
      await page.fill("#text", `Xem https://example.gov.vn/${"van-ban-so-784-QD-TU/".repeat(8)}`);
      await page.press("#text", "Enter");
      await page.fill("#text", "/ngonngu");
      await page.press("#text", "Enter");
      await page.locator(".msg.out").last().locator("button", { hasText: "Tiếng Việt" }).waitFor();
      await page.screenshot({ path: path.join(shots, `chat-${size.name}.png`) });
      expectFits(await layout(page));

      await page.reload();
      await page.locator(".msg.out", { hasText: "Switched to English." }).waitFor();
      const pressed = await page.locator(".msg.in").allTextContents();
      expect(pressed.filter((text) => !text.trim())).toEqual([]);
      expect(pressed).toContain("English");
      await page.screenshot({ path: path.join(shots, `chat-${size.name}-reloaded.png`) });
      expectFits(await layout(page));

      // The icon is a real image the browser can draw, and nothing on the page was missing.
      const icon = await page.evaluate<number>(iconWidthScript);
      expect(icon).toBe(32);
      expect(failed).toEqual([]);
      await context.close();
    });
  }
});
