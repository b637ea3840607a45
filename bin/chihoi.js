#!/usr/bin/env node
// Entry point of the `chihoi` command: runs the TypeScript sources through tsx, so there is no
// build step between a fresh clone and a running service.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
