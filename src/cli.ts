/**
 * The `chihoi` command. Help is bilingual (Vietnamese first); messages follow DEFAULT_LOCALE.
 * Every command answers bad input with a clear message and exit code 1, leaving the database as
 * it was.
 */
import { systemActor } from "./domain/access/actor.ts";
import { setGroupAllowed } from "./domain/groups/group-service.ts";
import { movedTallyAt } from "./domain/meetings/reminder-plan.ts";
import { type Command, Option } from "commander";
import path from "node:path";
import { loadConfig, ConfigError, type Config } from "./config.ts";
import { createLogger, setRootLogger } from "./lib/logger.ts";
import { bilingual, errorText, translator, type Translate } from "./lib/i18n.ts";
import { AppError, isAppError } from "./lib/app-error.ts";
import { openDatabase, type Database } from "./storage/database.ts";
import {
  createOrganisation,
  createUnit,
  listRoots,
  listSubtree,
  moveUnit,
  renameUnit,
  resolveUnit,
} from "./domain/units/unit-service.ts";
import { addMembership, createPerson, findPersonByPhone, getPerson } from "./domain/people/people-service.ts";
import { organisationCode } from "./domain/organisations/organisation-presence.ts";
import { listChatGroups } from "./domain/channels-state/chat-group-list.ts";
import { currentLinkCode, ensureLinkCodes, formatLinkCode } from "./domain/linking/link-service.ts";
import { recordAudit } from "./domain/audit/audit-service.ts";
import { createSignInLink } from "./domain/web-auth/sign-in-service.ts";
import { grantRight, listRights, revokeRight, type RightRole } from "./domain/access/rights-service.ts";
import { importRosterFile } from "./domain/roster/import-roster.ts";
import { importUnitTreeFile } from "./domain/roster/import-units.ts";
import { printTicket } from "./cli-tickets.ts";
import { printCliStats } from "./cli-stats.ts";
import { CliReportError, runCliReport } from "./cli-report.ts";
import { createApiToken, listApiTokens, revokeApiToken } from "./domain/api-tokens/api-token-service.ts";
import { describeNameMismatch, describeUpdate } from "./cli-import-diff.ts";
import { tableCsv, writeTableFile, type Table } from "./lib/table-file.ts";
import {
  databaseErrorText,
  exitQuietlyOnClosedPipe,
  fileErrorText,
  listenErrorText,
  LocalisedCommand,
  minutesOption,
} from "./cli-messages.ts";
import { maskPhone } from "./lib/phone.ts";
import { memberDirectory } from "./domain/people/member-directory.ts";
import { formatMeetingTime } from "./lib/zoned-time.ts";
import { parseMeetingDateTime } from "./domain/meetings/parse-datetime.ts";
import { describeRecurrence, parseRecurrence } from "./domain/meetings/recurrence.ts";
import {
  cancelMeeting,
  createMeeting,
  createSeries,
  getMeeting,
  listUnitMeetings,
  MAX_DURATION_MINUTES,
  meetingText,
  moveMeeting,
} from "./domain/meetings/meeting-service.ts";
import { tallyText } from "./domain/meetings/meeting-messages.ts";
import { meetingTally } from "./domain/meetings/rsvp-service.ts";
import { setReminderPlan, type ReminderOffset } from "./domain/meetings/reminder-plan.ts";
import { ZaloLoginError, importZaloCredentials, runZaloLogin, zaloStatusReport } from "./channels/zalo/zalo-login.ts";
import { CredentialStoreError } from "./channels/zalo/credential-store.ts";
import { registerDbCommands } from "./cli-db.ts";
import { backupDatabase, BackupError } from "./storage/backup.ts";

const vi = translator("vi");
const en = translator("en");
/** Bilingual help text: "Vietnamese / English". */
const help = (key: string) => bilingualHelp(`cli.${key}`);
function bilingualHelp(key: string): string {
  return `${vi(key)} / ${en(key)}`;
}

let config: Config;
let t: Translate;

function fail(message: string): never {
  process.stderr.write(`${message.trimEnd()}\n`);
  process.exit(1);
}

async function withDatabase<T>(fn: (db: Database) => Promise<T> | T): Promise<T> {
  const db = await openDatabase(config.databaseUrl);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function out(line = ""): void {
  process.stdout.write(`${line}\n`);
}

function formatDate(ms: number): string {
  return new Intl.DateTimeFormat("vi-VN", {
    timeZone: config.timeZone,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
  }).format(new Date(ms));
}

/** Link-code slips as a table: the code is a text column (a code starting with 0 keeps it). */
function codesTable(
  rows: { fullName: string; unitName: string; code: string; expiresAt: number; linked: boolean }[],
): Table {
  const { botName, telegramLink, zaloLink } = config.slips;
  const places = [
    telegramLink && t("codes.where_telegram", { link: telegramLink }),
    zaloLink && t("codes.where_zalo", { link: zaloLink }),
  ].filter(Boolean);
  const where = places.length ? places.join(t("codes.where_or")) : t("codes.where_unknown");
  return {
    sheet: t("codes.sheet"),
    columns: [
      { header: t("codes.col_name"), kind: "text", width: 28 },
      { header: t("codes.col_unit"), kind: "text", width: 28 },
      { header: t("codes.col_code"), kind: "code", width: 14 },
      { header: t("codes.col_expires"), kind: "text", width: 12 },
      { header: t("codes.col_linked"), kind: "text", width: 10 },
      { header: t("codes.col_howto"), kind: "text", width: 70 },
    ],
    // Grouped "1234 5678 9012": easy to read aloud.
    rows: rows.map((r) => {
      const code = formatLinkCode(r.code);
      return [
        r.fullName,
        r.unitName,
        code,
        formatDate(r.expiresAt),
        r.linked ? "x" : "",
        t("codes.howto", { code, bot: botName, where }),
      ];
    }),
  };
}

export function buildProgram(): Command {
  const program = new LocalisedCommand("chihoi", () => t)
    .description(help("program"))
    .usage(vi("cli.usage"))
    .helpOption("-h, --help", "Trợ giúp / Help")
    .version("0.1.0", "-V, --version", "Phiên bản / Version")
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addHelpCommand("help [command]", "Trợ giúp cho một lệnh / Help for a command");

  program
    .command("start")
    .description(help("start"))
    .action(async () => {
      const { runMain } = await import("./main.ts");
      await runMain(config);
    });

  program
    .command("init")
    .description(help("init"))
    .requiredOption("--org <name>", help("init_org"))
    .requiredOption("--code <code>", help("init_code"))
    .option("--root <name>", help("init_root"))
    .option("--level <label>", help("init_level"), "")
    .action((o: { org: string; code: string; root?: string; level: string }) =>
      withDatabase(async (db) => {
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

  const units = program.command("units").description(help("units"));
  units
    .command("tree [unit]")
    .description(help("units_tree"))
    .action((unitRef?: string) =>
      withDatabase(async (db) => {
        const roots = unitRef ? [await resolveUnit(db, unitRef)] : await listRoots(db);
        if (!roots.length) fail(t("cli.no_units"));
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
      withDatabase(async (db) => {
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
      withDatabase(async (db) => {
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
      withDatabase(async (db) => {
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
      withDatabase(async (db) => {
        const parent = await resolveUnit(db, o.parent);
        const result = await importUnitTreeFile(db, systemActor("cli"), file, parent.id, { dryRun: o.dryRun });
        for (const issue of result.issues) out(t(`roster.row.${issue.code}`, { line: issue.line, ...issue.params }));
        for (const name of result.created) out(t("cli.import_change_unit", { unit: name }));
        if (result.issues.length) fail(t("roster.units_invalid_rows", { count: result.issues.length }));
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

  const members = program.command("members").description(help("members"));
  members
    .command("import <file>")
    .description(help("members_import"))
    .requiredOption("--unit <unit>", help("opt_unit"))
    .option("--create-units", help("opt_create_units"), false)
    .option("--skip-invalid", help("opt_skip_invalid"), false)
    .option("--dry-run", help("opt_dry_run"), false)
    .action((file: string, o: { unit: string; createUnits: boolean; skipInvalid: boolean; dryRun: boolean }) =>
      withDatabase(async (db) => {
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
          if (c.kind === "update" && c.nameMismatch) process.stderr.write(`${describeNameMismatch(t, c, c.phone)}\n`);
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
            fail(t("errors.import_invalid_rows", { count: result.invalidRows }));
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
      withDatabase(async (db) => {
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

  program
    .command("codes <unit>")
    .description(help("codes"))
    .option("--renew", help("opt_renew"), false)
    .option("--unlinked", help("opt_unlinked"), false)
    .option("-o, --out <file>", help("opt_out"))
    .action((ref: string, o: { renew: boolean; unlinked: boolean; out?: string }) =>
      withDatabase(async (db) => {
        const unit = await resolveUnit(db, ref);
        const rows = await ensureLinkCodes(db, systemActor("cli"), unit.id, {
          ttlDays: config.linkCodeTtlDays,
          renew: o.renew,
          unlinkedOnly: o.unlinked,
        });
        const table = codesTable(rows);
        await recordAudit(db, {
          source: "cli",
          action: "codes.print",
          entityType: "Unit",
          entityId: unit.id,
          detail: { count: rows.length, renew: o.renew },
        });
        if (!config.slips.telegramLink && !config.slips.zaloLink) process.stderr.write(`${t("codes.no_link")}\n`);
        if (o.out) {
          await writeTableFile(o.out, table, /\.xlsx$/i.test(o.out) ? "xlsx" : "csv");
          out(t("cli.codes_written", { count: rows.length, file: o.out }));
        } else process.stdout.write(tableCsv(table));
      }),
    );

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
      withDatabase(async (db) => {
        const unit = await resolveUnit(db, o.unit);
        const result = await db.transaction(async () => {
          let personId: number;
          if (o.phone) {
            // The phone's owner is shown, not silently given rights, when their name is not the one typed.
            const granted = await grantRight(
              db,
              null,
              { unitId: unit.id, role: o.role, phone: o.phone, fullName: o.name, confirmed: o.yes },
              new Date(),
              "cli",
            );
            if (granted.status === "confirm") return granted;
            personId = granted.personId;
          } else {
            personId = (await createPerson(db, { fullName: o.name })).id;
            await addMembership(db, systemActor("cli"), personId, unit.id, o.role);
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
          fail(
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
      withDatabase(async (db) => {
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
      withDatabase(async (db) => {
        const unit = await resolveUnit(db, o.unit);
        const person = await findPersonByPhone(db, o.phone);
        if (!person) throw new AppError("person_not_found", { person: maskPhone(o.phone) });
        const removed = await revokeRight(
          db,
          null,
          { personId: person.id, unitId: unit.id, role: o.role },
          new Date(),
          "cli",
        );
        if (!removed)
          fail(t("admin.cli_remove_none", { name: person.fullName, role: t(`cli.role_${o.role}`), unit: unit.name }));
        out(t("admin.cli_removed", { name: person.fullName, role: t(`cli.role_${o.role}`), unit: unit.name }));
      }),
    );

  admin
    .command("login-link")
    .description(`${vi("admin.cli_login_link")} / ${en("admin.cli_login_link")}`)
    .requiredOption("--phone <phone>", help("opt_phone"))
    .option("--url <url>", `${vi("admin.cli_opt_url")} / ${en("admin.cli_opt_url")}`)
    .action((o: { phone: string; url?: string }) =>
      withDatabase(async (db) => {
        const person = await findPersonByPhone(db, o.phone);
        if (!person) throw new AppError("person_not_found", { person: maskPhone(o.phone) });
        const { token, expiresAt } = await createSignInLink(db, person.id, new Date(), "cli");
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

  const meetings = program.command("meetings").description(help("meetings"));
  const when = (ms: number) => formatMeetingTime(new Date(ms), config.timeZone, config.defaultLocale);
  // The CLI acts as the system actor: its operator holds the database and the tokens (README "Rights").
  const meetingCtx = () => ({ now: new Date(), timeZone: config.timeZone, actor: systemActor("cli") });
  meetings
    .command("add")
    .description(help("meetings_add"))
    .requiredOption("--unit <unit>", help("opt_unit"))
    .option("--title <title>", help("opt_title"), vi("meetings.default_title"))
    .option("--when <time>", help("opt_when"))
    .option("--repeat <rule>", help("opt_repeat"))
    .option("--place <place>", help("opt_place"), "")
    .option("--agenda <agenda>", help("opt_agenda"), "")
    .option(
      "--duration <minutes>",
      help("opt_duration"),
      minutesOption(() => t, MAX_DURATION_MINUTES),
      "120",
    )
    .option("--subtree", help("opt_subtree"), false)
    .action(
      (o: {
        unit: string;
        title: string;
        when?: string;
        repeat?: string;
        place: string;
        agenda: string;
        duration: string;
        subtree: boolean;
      }) =>
        withDatabase(async (db) => {
          const unit = await resolveUnit(db, o.unit);
          const base = {
            unitId: unit.id,
            title: o.title,
            place: o.place,
            agenda: o.agenda,
            durationMinutes: Number(o.duration),
            includeSubtree: o.subtree,
          };
          if (o.repeat && o.when) fail(t("cli.when_and_repeat"));
          if (o.repeat) {
            const parsed = parseRecurrence(o.repeat);
            if (!parsed.time) fail(t("meetings.time_missing_repeat"));
            const { seriesId, meetings: created } = await createSeries(
              db,
              { ...base, rule: parsed.rule, time: parsed.time },
              meetingCtx(),
            );
            out(
              t("cli.series_created", {
                seriesId,
                title: o.title,
                rule: describeRecurrence(parsed.rule, parsed.time, config.defaultLocale),
                count: created.length,
                when: created[0] ? when(created[0].startsAt) : "—",
              }),
            );
            return;
          }
          if (!o.when) fail(t("cli.when_or_repeat"));
          const meeting = await createMeeting(
            db,
            { ...base, startsAt: parseMeetingDateTime(o.when, new Date(), config.timeZone) },
            meetingCtx(),
          );
          out(t("cli.meeting_created", { id: meeting.id, title: meeting.title, when: when(meeting.startsAt) }));
          const tallyAt = await movedTallyAt(db, meeting);
          if (tallyAt !== null) out(t("rights.short_notice_tally", { when: when(tallyAt) }));
        }),
    );
  meetings
    .command("list")
    .description(help("meetings_list"))
    .option("--unit <unit>", help("opt_unit"))
    .action((o: { unit?: string }) =>
      withDatabase(async (db) => {
        const roots = o.unit ? [await resolveUnit(db, o.unit)] : await listRoots(db);
        const ids = (await Promise.all(roots.map(async (r) => (await listSubtree(db, r.id)).map((u) => u.id)))).flat();
        for (const m of await listUnitMeetings(db, ids, { from: new Date(), includeCancelled: true, limit: 200 }))
          out(
            t("cli.meeting_line", {
              id: m.id,
              when: when(m.startsAt),
              title: m.title,
              unit: m.unitName,
              status: t(`cli.status_${m.status}`),
            }),
          );
      }),
    );
  meetings
    .command("cancel <id>")
    .description(help("meetings_cancel"))
    .action((id: string) =>
      withDatabase(async (db) => {
        const { notified } = await cancelMeeting(db, Number(id.replace("#", "")), meetingCtx());
        out(t("cli.meeting_cancelled", { id, notified }));
      }),
    );
  meetings
    .command("move <id>")
    .description(help("meetings_move"))
    .requiredOption("--when <time>", help("opt_when"))
    .action((id: string, o: { when: string }) =>
      withDatabase(async (db) => {
        const { meeting, notified } = await moveMeeting(
          db,
          Number(id.replace("#", "")),
          parseMeetingDateTime(o.when, new Date(), config.timeZone),
          meetingCtx(),
        );
        out(t("cli.meeting_moved", { id: meeting.id, when: when(meeting.startsAt), notified }));
      }),
    );
  meetings
    .command("tally <id>")
    .description(help("meetings_tally"))
    .action((id: string) =>
      withDatabase(async (db) => {
        const meeting = await getMeeting(db, Number(id.replace("#", "")));
        const tally = await meetingTally(db, meeting.id);
        const text = await meetingText(db, meeting);
        out(
          tallyText({
            tally,
            meeting: text,
            locale: config.defaultLocale,
            timeZone: config.timeZone,
            namesShown: Infinity,
          }),
        );
      }),
    );
  meetings
    .command("reminders")
    .description(help("meetings_reminders"))
    .requiredOption("--unit <unit>", help("opt_unit"))
    .requiredOption("--before <list>", help("opt_before"))
    .option("--nudge <duration>", help("opt_nudge"), "24h")
    .option("--tally <duration>", help("opt_tally"), "3h")
    .action((o: { unit: string; before: string; nudge: string; tally: string }) =>
      withDatabase(async (db) => {
        const unit = await resolveUnit(db, o.unit);
        const minutes = (value: string): number => {
          const m = /^(\d+)\s*(m|h|d)$/i.exec(value.trim());
          if (!m) fail(t("cli.reminders_invalid", { value }));
          return Number(m[1]) * { m: 1, h: 60, d: 1440 }[m[2]!.toLowerCase() as "m" | "h" | "d"];
        };
        const offsets: ReminderOffset[] = o.before.split(",").map((part) => {
          const at = /^\s*(\d+)\s*d\s*@\s*(\d{1,2}:\d{2})\s*$/i.exec(part);
          return at ? { daysBefore: Number(at[1]), at: at[2]!.padStart(5, "0") } : { minutesBefore: minutes(part) };
        });
        await setReminderPlan(
          db,
          { unitId: unit.id },
          { offsets, nudgeMinutesBefore: minutes(o.nudge), tallyMinutesBefore: minutes(o.tally) },
          systemActor("cli"),
        );
        out(t("cli.reminders_set", { unit: unit.name }));
      }),
    );

  const zalo = program.command("zalo").description(help("zalo"));
  const zaloKey = (): string => {
    if (!config.zalo) fail(t("cli.zalo_not_configured"));
    return config.zalo.credentialsKey;
  };
  zalo
    .command("login")
    .description(help("zalo_login"))
    .option("--qr <file>", help("opt_qr"), "./data/zalo-qr.png")
    .action((o: { qr: string }) =>
      withDatabase(async (db) => {
        try {
          await runZaloLogin({ db, key: zaloKey(), out, qrPngPath: path.resolve(o.qr), t });
        } catch (error) {
          if (error instanceof ZaloLoginError) fail(error.message);
          fail(`${error instanceof Error ? error.message : String(error)}\n${t("cli.zalo_login_failed_hint")}`);
        }
      }),
    );
  zalo
    .command("import <file>")
    .description(help("zalo_import"))
    .action((file: string) =>
      withDatabase(async (db) => {
        try {
          const r = await importZaloCredentials(db, zaloKey(), file);
          await recordAudit(db, { source: "cli", action: "zalo.import" });
          out(t(r.written ? "cli.zalo_import_done" : "cli.zalo_import_same", { count: r.cookieCount }));
        } catch (error) {
          if (error instanceof CredentialStoreError) fail(error.message);
          throw error;
        }
      }),
    );
  zalo
    .command("status")
    .description(help("zalo_status"))
    .action(() =>
      withDatabase(async (db) => {
        const s = await zaloStatusReport(db, zaloKey());
        const at = (d: Date | null) =>
          d ? formatMeetingTime(d, config.timeZone, config.defaultLocale) : t("cli.never");
        out(t("cli.zalo_status_state", { state: t(`cli.zalo_state_${s.state}`), since: at(s.since) }));
        out(t("cli.zalo_status_last_event", { when: at(s.lastEventAt) }));
        if (s.lastError) out(t("cli.zalo_status_last_error", { error: s.lastError }));
        out(t("cli.zalo_status_credentials", { state: t(`cli.zalo_credentials_${s.credentials}`) }));
        out(t("cli.zalo_status_queue", { count: s.queueLength }));
        out(t("cli.zalo_status_backoff", { count: s.backedOff.length }));
        for (const b of s.backedOff) out(t("cli.zalo_status_backoff_line", { chatId: b.chatId, until: at(b.until) }));
      }),
    );

  const groups = program.command("groups").description(help("groups"));
  groups
    .command("list")
    .description(help("groups_list"))
    .action(() =>
      withDatabase(async (db) => {
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
    withDatabase(async (db) => {
      const groupId = Number(id.replace("#", ""));
      const unitId = o.unit ? (await resolveUnit(db, o.unit)).id : null;
      await setGroupAllowed(db, groupId, allowed, systemActor("cli"), { unitId });
      out(t("cli.group_done", { id: groupId }));
    });
  groups
    .command("allow <id>")
    .description(help("groups_allow"))
    .option("--unit <unit>", help("opt_unit"))
    .action(setGroup(true));
  groups.command("deny <id>").description(help("groups_deny")).action(setGroup(false));

  program
    .command("backup <file>")
    .description(help("backup"))
    .option("--force", `${vi("security.opt_force")} / ${en("security.opt_force")}`, false)
    .action((file: string, o: { force: boolean }) =>
      withDatabase(async (db) => {
        try {
          const copy = await backupDatabase(db, file, { force: o.force });
          out(t("cli.backup_done", { file: copy.file, size: `${(copy.size / 1024).toFixed(0)} KB` }));
        } catch (error) {
          if (error instanceof BackupError && error.problem === "not_sqlite")
            fail(bilingual("cli.backup_not_sqlite", { url: error.file }));
          if (error instanceof BackupError)
            fail(
              t(error.problem === "same_file" ? "cli.backup_same_file" : `security.backup_${error.problem}`, {
                file: error.file,
              }),
            );
          fail(
            t("cli.backup_failed", {
              file: path.resolve(file),
              reason: error instanceof Error ? error.message : String(error),
            }),
          );
        }
      }),
    );

  const tickets = program
    .command("tickets")
    .description(`${vi("delivery.cli_tickets")} / ${en("delivery.cli_tickets")}`);
  tickets
    .command("show <id>")
    .description(`${vi("delivery.cli_tickets_show")} / ${en("delivery.cli_tickets_show")}`)
    .action((id: string) =>
      withDatabase((db) => printTicket(db, Number(id.replace("#", "")), t, out, config.timeZone, config.defaultLocale)),
    );

  program
    .command("stats <unit>")
    .description(help("stats"))
    .option("--csv <file>", bilingualHelp("stats.opt_csv"))
    .option("--xlsx <file>", bilingualHelp("stats.opt_xlsx"))
    .action((ref: string, o: { csv?: string; xlsx?: string }) =>
      withDatabase(async (db) => {
        const unit = await resolveUnit(db, ref);
        const table = await printCliStats(db, unit.id, t, out);
        for (const [file, format] of [
          [o.csv, "csv"],
          [o.xlsx, "xlsx"],
        ] as const) {
          if (!file) continue;
          await writeTableFile(file, table, format);
          out(t("stats.written", { file }));
        }
      }),
    );

  program
    .command("report <unit>")
    .description(bilingualHelp("reports.help"))
    .option("--from <date>", bilingualHelp("reports.opt_from"))
    .option("--to <date>", bilingualHelp("reports.opt_to"))
    .option("--csv <file>", bilingualHelp("reports.opt_csv"))
    .option("--xlsx <file>", bilingualHelp("reports.opt_xlsx"))
    .action((ref: string, o: { from?: string; to?: string; csv?: string; xlsx?: string }) =>
      withDatabase(async (db) => {
        try {
          await runCliReport(db, (await resolveUnit(db, ref)).id, o, t, config.timeZone, out);
        } catch (error) {
          if (error instanceof CliReportError) fail(error.message);
          throw error;
        }
      }),
    );

  const apiToken = program.command("api-token").description(bilingualHelp("api.help"));
  apiToken
    .command("create")
    .description(bilingualHelp("api.help_create"))
    .requiredOption("--unit <unit>", bilingualHelp("api.opt_unit"))
    .requiredOption("--name <name>", bilingualHelp("api.opt_name"))
    .option("--write", bilingualHelp("api.opt_write"), false)
    .action((o: { unit: string; name: string; write: boolean }) =>
      withDatabase(async (db) => {
        const unit = await resolveUnit(db, o.unit);
        const { token, secret } = await createApiToken(db, systemActor("cli"), {
          unitId: unit.id,
          name: o.name,
          access: o.write ? "write" : "read",
        });
        out(
          t("api.created", {
            id: token.id,
            name: token.name,
            unit: token.unitName,
            access: t(`api.access_${token.access}`),
          }),
        );
        out(secret);
      }),
    );
  apiToken
    .command("list")
    .description(bilingualHelp("api.help_list"))
    .action(() =>
      withDatabase(async (db) => {
        const tokens = await listApiTokens(db);
        if (!tokens.length) return out(t("api.list_none"));
        out(t("api.list_header"));
        for (const k of tokens)
          out(
            t("api.list_line", {
              id: k.id,
              name: k.name,
              unit: k.unitName,
              access: t(`api.access_${k.access}`),
              prefix: k.prefix,
              created: formatDate(k.createdAt),
              lastUsed: k.lastUsedAt === null ? t("api.never") : formatDate(k.lastUsedAt),
              state:
                k.revokedAt === null
                  ? t("api.state_active")
                  : t("api.state_revoked", { when: formatDate(k.revokedAt) }),
            }),
          );
      }),
    );
  apiToken
    .command("revoke <id>")
    .description(bilingualHelp("api.help_revoke"))
    .action((id: string) =>
      withDatabase(async (db) => {
        if (!/^#?\d{1,9}$/.test(id)) fail(t("api.bad_id", { input: id }));
        const token = await revokeApiToken(db, systemActor("cli"), Number(id.replace("#", "")));
        out(t("api.revoked", { id: token.id, name: token.name }));
      }),
    );

  registerDbCommands(program, { t, help: bilingualHelp, out, fail, databaseUrl: () => config.databaseUrl });

  return program;
}

export async function runCli(argv = process.argv): Promise<void> {
  exitQuietlyOnClosedPipe();
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  setRootLogger(createLogger(config.logLevel));
  t = translator(config.defaultLocale);
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (isAppError(e)) {
      // File errors carry a reason code with its own message (roster.file.<reason>).
      fail(errorText(t, e));
    }
    const fileText = fileErrorText(t, e) ?? databaseErrorText(t, e, config.databaseUrl) ?? listenErrorText(t, e);
    if (fileText) fail(fileText);
    fail(t("cli.unexpected", { message: e instanceof Error ? e.message : String(e) }));
  }
}

await runCli();
