#!/usr/bin/env node
// Entry point of the `chihoi` command. It runs the compiled JavaScript in dist/ (`npm run build`,
// done by `npm install`'s postinstall). Only when dist/ is missing or older than the sources (a
// checkout being edited) and tsx is installed (a development install) does it run the TypeScript
// sources through tsx instead, so a command never runs code older than what is on disk.
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const compiled = path.join(root, "dist/cli/main.js");
const stamp = path.join(root, "dist/.built");

/** Newest modification time of the TypeScript sources under `dir`. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (/\.tsx?$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function compiledIsCurrent() {
  if (!existsSync(compiled) || !existsSync(stamp)) return false;
  const sources = path.join(root, "src");
  return !existsSync(sources) || newestSource(sources) <= statSync(stamp).mtimeMs;
}

function tsxInstalled() {
  try {
    createRequire(import.meta.url).resolve("tsx/esm/api");
    return true;
  } catch {
    return false;
  }
}

if (compiledIsCurrent() || !tsxInstalled()) {
  if (!existsSync(compiled)) {
    console.error("dist/cli/main.js is missing: run `npm run build` (npm install does it) and try again.");
    process.exit(1);
  }
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(path.join(root, "src/cli/main.ts")).href);
}
