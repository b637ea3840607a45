/** `chihoi codes UNIT`: link-code slips, printed as CSV or written as .xlsx / .csv. */
import type { Command } from "commander";
import { systemActor } from "../domain/access/actor.ts";
import { recordAudit } from "../domain/audit/audit-service.ts";
import { ensureLinkCodes, formatLinkCode } from "../domain/linking/link-service.ts";
import { resolveUnit } from "../domain/units/unit-service.ts";
import { type Table, tableCsv, writeTableFile } from "../lib/table-file.ts";
import { type CliContext, formatDate, help } from "./context.ts";

/** Link-code slips as a table: the code is a text column (a code starting with 0 keeps it). */
function codesTable(
  ctx: CliContext,
  rows: { fullName: string; unitName: string; code: string; expiresAt: number; linked: boolean }[],
): Table {
  const { t } = ctx;
  const { botName, telegramLink, zaloLink } = ctx.config.slips;
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
        formatDate(ctx, r.expiresAt),
        r.linked ? "x" : "",
        t("codes.howto", { code, bot: botName, where }),
      ];
    }),
  };
}

export function registerCodesCommand(program: Command, ctx: CliContext): void {
  const { t, out, config } = ctx;
  program
    .command("codes <unit>")
    .description(help("codes"))
    .option("--renew", help("opt_renew"), false)
    .option("--unlinked", help("opt_unlinked"), false)
    .option("-o, --out <file>", help("opt_out"))
    .action((ref: string, o: { renew: boolean; unlinked: boolean; out?: string }) =>
      ctx.withDatabase(async (db) => {
        const unit = await resolveUnit(db, ref);
        const rows = await ensureLinkCodes(db, systemActor("cli"), unit.id, {
          ttlDays: config.linkCodeTtlDays,
          renew: o.renew,
          unlinkedOnly: o.unlinked,
        });
        const table = codesTable(ctx, rows);
        await recordAudit(db, {
          source: "cli",
          action: "codes.print",
          entityType: "Unit",
          entityId: unit.id,
          detail: { count: rows.length, renew: o.renew },
        });
        if (!config.slips.telegramLink && !config.slips.zaloLink) ctx.warn(t("codes.no_link"));
        if (o.out) {
          await writeTableFile(o.out, table, /\.xlsx$/i.test(o.out) ? "xlsx" : "csv");
          out(t("cli.codes_written", { count: rows.length, file: o.out }));
        } else ctx.stdout.write(tableCsv(table));
      }),
    );
}
