/** `chihoi start`: runs the service (main.ts) with the settings of this run. */
import type { Command } from "commander";
import { type CliContext, help } from "./context.ts";

export function registerStartCommand(program: Command, ctx: CliContext): void {
  program
    .command("start")
    .description(help("start"))
    .action(async () => {
      const { runMain } = await import("../main.ts");
      await runMain(ctx.config);
    });
}
