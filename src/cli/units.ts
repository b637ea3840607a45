/** `chihoi units tree|add|move|rename|import`: the unit tree. */
import type { Command } from "commander";
import { systemActor } from "../domain/access/actor.ts";
import { recordAudit } from "../domain/audit/audit-service.ts";
import { importUnitTreeFile } from "../input/roster/unit-tree-file.ts";
import { createUnit, listRoots, listSubtree, moveUnit, renameUnit, resolveUnit } from "../domain/units/unit-service.ts";
import { type CliContext, help } from "./context.ts";

export function registerUnitCommands(program: Command, ctx: CliContext): void {
  const { t, out } = ctx;
  const units = program.command("units").description(help("units"));
  units
    .command("tree [unit]")
    .description(help("units_tree"))
    .action((unitRef?: string) =>
      ctx.withDatabase(async (db) => {
        const roots = unitRef ? [await resolveUnit(db, unitRef)] : await listRoots(db);
        if (!roots.length) ctx.fail(t("cli.no_units"));
        for (const root of roots) {
          const base = root.depth;
          for (const u of await listSubtree(db, root.id))
            out(`${"  ".repeat(u.depth - base)}#${u.id} ${u.name}${u.levelLabel ? ` (${u.levelLabel})` : ""}`);
        }
      }),
    );
  units
    .command("add <name>")
    .description(help("units_add"))
    .requiredOption("--parent <unit>", help("opt_parent"))
    .option("--level <label>", help("opt_level"), "")
    .action((name: string, o: { parent: string; level: string }) =>
      ctx.withDatabase(async (db) => {
        const parent = await resolveUnit(db, o.parent);
        const unit = await createUnit(db, systemActor("cli"), { parentId: parent.id, name, levelLabel: o.level });
        await recordAudit(db, { source: "cli", action: "unit.add", entityType: "Unit", entityId: unit.id });
        out(t("cli.unit_added", { id: unit.id, name: unit.name }));
      }),
    );
  units
    .command("move <unit>")
    .description(help("units_move"))
    .requiredOption("--to <parent>", help("opt_to"))
    .action((ref: string, o: { to: string }) =>
      ctx.withDatabase(async (db) => {
        const unit = await resolveUnit(db, ref);
        const parent = await resolveUnit(db, o.to);
        await moveUnit(db, systemActor("cli"), unit.id, parent.id);
        await recordAudit(db, {
          source: "cli",
          action: "unit.move",
          entityType: "Unit",
          entityId: unit.id,
          detail: { from: unit.parentId, to: parent.id },
        });
        out(t("cli.unit_moved", { name: unit.name, parent: parent.name }));
      }),
    );
  units
    .command("rename <unit> <name>")
    .description(help("units_rename"))
    .action((ref: string, name: string) =>
      ctx.withDatabase(async (db) => {
        const unit = await renameUnit(db, systemActor("cli"), (await resolveUnit(db, ref)).id, name);
        await recordAudit(db, { source: "cli", action: "unit.rename", entityType: "Unit", entityId: unit.id });
        out(t("cli.unit_renamed", { id: unit.id, name: unit.name }));
      }),
    );
  units
    .command("import <file>")
    .description(help("units_import"))
    .requiredOption("--parent <unit>", help("opt_parent"))
    .option("--dry-run", help("opt_dry_run"), false)
    .action((file: string, o: { parent: string; dryRun: boolean }) =>
      ctx.withDatabase(async (db) => {
        const parent = await resolveUnit(db, o.parent);
        const result = await importUnitTreeFile(db, {
          actor: systemActor("cli"),
          file,
          rootId: parent.id,
          dryRun: o.dryRun,
        });
        for (const issue of result.issues) out(t(`roster.row.${issue.code}`, { line: issue.line, ...issue.params }));
        for (const name of result.created) out(t("cli.import_change_unit", { unit: name }));
        if (result.issues.length) ctx.fail(t("roster.units_invalid_rows", { count: result.issues.length }));
        out(o.dryRun ? t("cli.import_dry_run") : t("cli.import_written"));
        if (!o.dryRun)
          await recordAudit(db, {
            source: "cli",
            action: "units.import",
            entityType: "Unit",
            entityId: parent.id,
            detail: { created: result.created.length },
          });
      }),
    );
}
