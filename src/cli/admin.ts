/** `chihoi admin add|list|remove|login-link`: who holds rights, and a sign-in link for the web workplace. */
import { type Command, Option } from "commander";
import { systemActor } from "../domain/access/actor.ts";
import { grantRight, listRights, revokeRight, type RightRole } from "../domain/access/rights-service.ts";
import { recordAudit } from "../domain/audit/audit-service.ts";
import { currentLinkCode, formatLinkCode } from "../domain/linking/link-service.ts";
import { addMembership, createPerson, findPersonByPhone, getPerson } from "../domain/people/people-service.ts";
import { resolveUnit } from "../domain/units/unit-service.ts";
import { createSignInLink } from "../domain/web-auth/sign-in-service.ts";
import { AppError } from "../lib/app-error.ts";
import { maskPhone } from "../lib/phone.ts";
import { formatMeetingTime } from "../lib/zoned-time.ts";
import { type CliContext, en, help, vi } from "./context.ts";

export function registerAdminCommands(program: Command, ctx: CliContext): void {
  const { t, out, config } = ctx;
  const admin = program.command("admin").description(help("admin"));
  admin
    .command("add")
    .description(help("admin_add"))
    .requiredOption("--unit <unit>", help("opt_unit"))
    .requiredOption("--name <name>", help("opt_name"))
    .option("--phone <phone>", help("opt_phone"))
    .addOption(new Option("--role <role>", help("opt_role")).choices(["admin", "official", "cadre"]).default("admin"))
    .option("--yes", `${vi("admin.cli_opt_yes")} / ${en("admin.cli_opt_yes")}`)
    .action((o: { unit: string; name: string; phone?: string; role: RightRole; yes?: boolean }) =>
      ctx.withDatabase(async (db) => {
        const unit = await resolveUnit(db, o.unit);
        const result = await db.transaction(async () => {
          let personId: number;
          if (o.phone) {
            // The phone's owner is shown, not silently given rights, when their name is not the one typed.
            const granted = await grantRight(db, {
              actorId: null,
              input: { unitId: unit.id, role: o.role, phone: o.phone, fullName: o.name, confirmed: o.yes },
              now: ctx.now(),
              source: "cli",
            });
            if (granted.status === "confirm") return granted;
            personId = granted.personId;
          } else {
            personId = (await createPerson(db, { fullName: o.name })).id;
            await addMembership(db, { actor: systemActor("cli"), personId, unitId: unit.id, role: o.role });
            await recordAudit(db, {
              source: "cli",
              action: "rights.grant",
              entityType: "Person",
              entityId: personId,
              detail: { unitId: unit.id, role: o.role },
            });
          }
          // A person already on the roster keeps the code printed for them.
          const code = await currentLinkCode(db, personId, { ttlDays: config.linkCodeTtlDays });
          return { status: "granted" as const, person: await getPerson(db, personId), code };
        });
        if (result.status === "confirm")
          ctx.fail(
            t("admin.cli_name_differs", {
              phone: maskPhone(o.phone),
              owner: result.fullName,
              typed: o.name,
              units: result.units.join(", ") || "—",
            }),
          );
        out(
          t("cli.admin_added", {
            name: result.person.fullName,
            role: t(`cli.role_${o.role}`),
            unit: unit.name,
            code: formatLinkCode(result.code.code),
          }),
        );
      }),
    );

  admin
    .command("list")
    .description(`${vi("admin.cli_list")} / ${en("admin.cli_list")}`)
    .option("--unit <unit>", help("opt_unit"))
    .action((o: { unit?: string }) =>
      ctx.withDatabase(async (db) => {
        const rows = await listRights(db, { unitId: o.unit ? (await resolveUnit(db, o.unit)).id : undefined });
        if (!rows.length) out(t("admin.cli_list_none"));
        for (const r of rows)
          out(
            t("admin.cli_list_line", {
              unit: r.unitName,
              name: r.fullName,
              role: t(`cli.role_${r.role}`),
              phone: maskPhone(r.phone) || "—",
              linked: r.linkedAccounts ? t("admin.linked_yes") : t("admin.not_linked_short"),
            }),
          );
      }),
    );

  admin
    .command("remove")
    .description(`${vi("admin.cli_remove")} / ${en("admin.cli_remove")}`)
    .requiredOption("--unit <unit>", help("opt_unit"))
    .requiredOption("--phone <phone>", help("opt_phone"))
    .addOption(
      new Option("--role <role>", help("opt_role")).choices(["admin", "official", "cadre"]).makeOptionMandatory(),
    )
    .action((o: { unit: string; phone: string; role: RightRole }) =>
      ctx.withDatabase(async (db) => {
        const unit = await resolveUnit(db, o.unit);
        const person = await findPersonByPhone(db, o.phone);
        if (!person) throw new AppError("person_not_found", { person: maskPhone(o.phone) });
        const removed = await revokeRight(db, {
          actorId: null,
          input: { personId: person.id, unitId: unit.id, role: o.role },
          now: ctx.now(),
          source: "cli",
        });
        if (!removed)
          ctx.fail(
            t("admin.cli_remove_none", { name: person.fullName, role: t(`cli.role_${o.role}`), unit: unit.name }),
          );
        out(t("admin.cli_removed", { name: person.fullName, role: t(`cli.role_${o.role}`), unit: unit.name }));
      }),
    );

  admin
    .command("login-link")
    .description(`${vi("admin.cli_login_link")} / ${en("admin.cli_login_link")}`)
    .requiredOption("--phone <phone>", help("opt_phone"))
    .option("--url <url>", `${vi("admin.cli_opt_url")} / ${en("admin.cli_opt_url")}`)
    .action((o: { phone: string; url?: string }) =>
      ctx.withDatabase(async (db) => {
        const person = await findPersonByPhone(db, o.phone);
        if (!person) throw new AppError("person_not_found", { person: maskPhone(o.phone) });
        const { token, expiresAt } = await createSignInLink(db, person.id, ctx.now(), "cli");
        const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
        const base = (o.url ?? `http://${host}:${config.port}`).replace(/\/+$/, "");
        out(
          t("admin.cli_login_link_made", {
            name: person.fullName,
            url: `${base}/admin/link/${token}`,
            until: formatMeetingTime(new Date(expiresAt), config.timeZone, config.defaultLocale),
          }),
        );
      }),
    );
}
