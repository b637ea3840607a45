/**
 * Entry point of the `chihoi` command (bin/chihoi.js loads dist/cli/main.js, or this file through
 * tsx in a checkout being edited): one command line on the process's own streams and settings.
 */
import { exitQuietlyOnClosedPipe } from "./messages.ts";
import { runCli } from "./program.ts";

exitQuietlyOnClosedPipe();
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// On success the process ends by itself once nothing is left to do (`chihoi start` keeps serving).
if (code !== 0) process.exit(code);
