/**
 * Launches Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) through playwright-core for
 * browser tests. Playwright's own browser download does not work offline, so the system package is
 * used; CI installs it (`.ci/run`). A machine without it gets a failure saying how to install it.
 * Playwright gives every launch a fresh temporary profile.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export async function launchBrowser(): Promise<Browser> {
  const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(chromiumPath))
    throw new Error(`Browser tests need Chromium at ${chromiumPath}. Install it with: sudo apt-get install -y chromium (or set CHROMIUM_PATH).`);
  return chromium.launch({
    executablePath: chromiumPath,
    // Without the background-networking flags Chromium keeps trying to reach the internet.
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}
