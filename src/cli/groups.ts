/** `chihoi groups list|allow|deny`: the group chats the bot is in, and which unit each serves. */
import type { Command } from "commander";
import { systemActor } from "../domain/access/actor.ts";
import { listChatGroups } from "../domain/channels-state/chat-group-list.ts";
import { setGroupAllowed } from "../domain/groups/group-service.ts";
import { resolveUnit } from "../domain/units/unit-service.ts";
import { type CliContext, help, idOf } from "./context.ts";

export function registerGroupCommands(program: Command, ctx: CliContext): void {
  const { t, out } = ctx;
  const groups = program.command("groups").description(help("groups"));
  groups
    .command("list")
    .description(help("groups_list"))
    .action(() =>
      ctx.withDatabase(async (db) => {
        const rows = await listChatGroups(db);
        if (!rows.length) out(t("cli.group_none"));
        for (const g of rows)
          out(
            t("cli.group_line", {
              id: g.id,
              platform: g.platform,
              title: g.title ?? g.externalId,
              unit: g.unitName ?? "—",
              allowed: t(g.allowed ? "cli.group_allowed" : "cli.group_not_allowed"),
            }),
          );
      }),
    );
  const setGroup = (allowed: boolean) => (id: string, o: { unit?: string }) =>
    ctx.withDatabase(async (db) => {
      const groupId = idOf(id);
      const unitId = o.unit ? (await resolveUnit(db, o.unit)).id : null;
      await setGroupAllowed(db, { groupId, allowed, actor: systemActor("cli"), unitId });
      out(t("cli.group_done", { id: groupId }));
    });
  groups
    .command("allow <id>")
    .description(help("groups_allow"))
    .option("--unit <unit>", help("opt_unit"))
    .action(setGroup(true));
  groups.command("deny <id>").description(help("groups_deny")).action(setGroup(false));
}
