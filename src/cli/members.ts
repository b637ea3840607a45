/** `chihoi members import|list`: the roster from a spreadsheet, and who is in a unit. */
import path from "node:path";
import type { Command } from "commander";
import { systemActor } from "../domain/access/actor.ts";
import { recordAudit } from "../domain/audit/audit-service.ts";
import { memberDirectory } from "../domain/people/member-directory.ts";
import { importRosterFile } from "../input/roster/import-roster-file.ts";
import { resolveUnit } from "../domain/units/unit-service.ts";
import { maskPhone } from "../lib/phone.ts";
import { bilingualHelp, type CliContext, help } from "./context.ts";
import { describeNameMismatch, describeUpdate } from "./members-diff.ts";

export function registerMemberCommands(program: Command, ctx: CliContext): void {
  const { t, out } = ctx;
  const members = program.command("members").description(help("members"));
  members
    .command("import <file>")
    .description(help("members_import"))
    .requiredOption("--unit <unit>", help("opt_unit"))
    .option("--create-units", help("opt_create_units"), false)
    .option("--skip-invalid", help("opt_skip_invalid"), false)
    .option("--dry-run", help("opt_dry_run"), false)
    .action((file: string, o: { unit: string; createUnits: boolean; skipInvalid: boolean; dryRun: boolean }) =>
      ctx.withDatabase(async (db) => {
        const unit = await resolveUnit(db, o.unit);
        const result = await importRosterFile(db, {
          actor: systemActor("cli"),
          file,
          unitId: unit.id,
          createUnits: o.createUnits,
          skipInvalid: o.skipInvalid,
          dryRun: o.dryRun,
        });
        for (const issue of result.issues) out(t(`roster.row.${issue.code}`, { line: issue.line, ...issue.params }));
        if (o.dryRun || result.issues.length) {
          for (const u of result.unitsToCreate) out(t("cli.import_change_unit", { unit: u }));
          for (const c of result.changes)
            out(
              c.kind === "create"
                ? t("cli.import_change_create", { line: c.line, name: c.name, unit: c.unit })
                : describeUpdate(t, c),
            );
        }
        // A phone number that now names someone else is shown whether or not this is a dry run.
        for (const c of result.changes)
          if (c.kind === "update" && c.nameMismatch) ctx.warn(describeNameMismatch(t, c, c.phone));
        out(
          t("cli.import_summary", {
            created: result.created,
            updated: result.updated,
            unchanged: result.unchanged,
            unitsCreated: result.unitsToCreate.length,
            invalid: result.invalidRows,
          }),
        );
        if (!result.written) {
          if (result.issues.length && !o.skipInvalid)
            ctx.fail(t("errors.import_invalid_rows", { count: result.invalidRows }));
          out(o.dryRun ? t("cli.import_dry_run") : t("cli.import_nothing_written"));
          return;
        }
        await recordAudit(db, {
          source: "cli",
          action: "members.import",
          entityType: "Unit",
          entityId: unit.id,
          detail: { file: path.basename(file), created: result.created, updated: result.updated },
        });
        out(t("cli.import_written"));
      }),
    );
  members
    .command("list <unit>")
    .description(help("members_list"))
    .option("--show-phones", bilingualHelp("members.opt_show_phones"), false)
    .action((ref: string, o: { showPhones: boolean }) =>
      ctx.withDatabase(async (db) => {
        const unit = await resolveUnit(db, ref);
        const people = await memberDirectory(db, unit.id);
        if (!people.length) {
          out(t("members.nobody", { unit: unit.name }));
          return;
        }
        // Full numbers are personal data: who asked for them is in the audit log.
        if (o.showPhones)
          await recordAudit(db, {
            source: "cli",
            action: "members.phones_shown",
            entityType: "Unit",
            entityId: unit.id,
            detail: { count: people.length },
          });
        for (const p of people) {
          const roles = p.roles.map((r) =>
            t("members.role_in", {
              role: t(`cli.role_${r.role}`),
              title: r.title ? ` (${r.title})` : "",
              unit: r.unitName,
            }),
          );
          const phone = p.phone ? (o.showPhones ? p.phone : maskPhone(p.phone)) : "—";
          out(`#${p.personId}\t${p.fullName}\t${phone}\t${roles.join("; ")}\t${p.linkedAccounts > 0 ? "✓" : ""}`);
        }
      }),
    );
}
