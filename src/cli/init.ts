/** `chihoi init`: an organisation and its root unit, in one transaction. */
import type { Command } from "commander";
import { systemActor } from "../domain/access/actor.ts";
import { recordAudit } from "../domain/audit/audit-service.ts";
import { organisationCode } from "../domain/organisations/organisation-presence.ts";
import { createOrganisation, createUnit } from "../domain/units/unit-service.ts";
import { type CliContext, help } from "./context.ts";

export function registerInitCommand(program: Command, ctx: CliContext): void {
  const { t, out } = ctx;
  program
    .command("init")
    .description(help("init"))
    .requiredOption("--org <name>", help("init_org"))
    .requiredOption("--code <code>", help("init_code"))
    .option("--root <name>", help("init_root"))
    .option("--level <label>", help("init_level"), "")
    .action((o: { org: string; code: string; root?: string; level: string }) =>
      ctx.withDatabase(async (db) => {
        const result = await db.transaction(async () => {
          const org = await createOrganisation(db, systemActor("cli"), { code: o.code, name: o.org });
          const root = await createUnit(db, systemActor("cli"), {
            organisationId: org.id,
            name: o.root ?? o.org,
            levelLabel: o.level,
          });
          await recordAudit(db, {
            source: "cli",
            action: "organisation.init",
            entityType: "Organisation",
            entityId: org.id,
          });
          return { org, root };
        });
        const code = (await organisationCode(db, result.org.id)) ?? o.code;
        out(t("cli.init_done", { name: o.org, code, unitId: result.root.id, unit: result.root.name }));
      }),
    );
}
