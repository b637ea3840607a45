/**
 * Launches Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) through playwright-core for
 * browser tests. Playwright's own browser download does not work offline, so the system package is
 * used; CI installs it (`.ci/run`) and sets REQUIRE_BROWSER=1, so there the browser tests always run.
 * On a newcomer's machine without Chromium they are skipped with a note saying how to install it;
 * with REQUIRE_BROWSER=1 and no Chromium, launching fails with the same hint.
 * Playwright gives every launch a fresh temporary profile.
 */
import { existsSync } from "node:fs";
import { describe } from "vitest";
import { chromium, type Browser } from "playwright-core";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const installHint = `Browser tests need Chromium at ${chromiumPath}. Install it with: sudo apt-get install -y chromium (or set CHROMIUM_PATH).`;

/** Whether the browser tests run here: Chromium is installed, or REQUIRE_BROWSER=1 demands them. */
export const browserTestsRun = existsSync(chromiumPath) || process.env.REQUIRE_BROWSER === "1";

/** `describe` when the browser tests can or must run; skipped (with the note above) otherwise. */
if (!browserTestsRun) console.warn(`${installHint} Skipping the browser tests.`);
export const describeInBrowser = describe.skipIf(!browserTestsRun);

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(installHint);
  return chromium.launch({
    executablePath: chromiumPath,
    // Without the background-networking flags Chromium keeps trying to reach the internet.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
