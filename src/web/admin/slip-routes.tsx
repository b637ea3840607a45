/**
 * Link-code slips: a print view of a unit's slips (name, unit, code, how to link, and a QR code of
 * each platform's deep link), eight to an A4 page, and the same list as .xlsx with the codes kept
 * as text (a code starting with 0 survives Excel).
 */
import type { Context, Hono } from "hono";
import { raw } from "hono/html";
import ExcelJS from "exceljs";
import QRCode from "qrcode";
import type { Channel } from "../../channels/channel.ts";
import type { Translate } from "../../lib/i18n.ts";
import { formatDate } from "../../lib/zoned-time.ts";
import { can } from "../../domain/access/access-scope.ts";
import { personActor } from "../../domain/access/actor.ts";
import { recordAudit } from "../../domain/audit/audit-service.ts";
import { ensureLinkCodes, formatLinkCode, type UnitCodeRow } from "../../domain/linking/link-service.ts";
import { getUnit } from "../../domain/units/unit-service.ts";
import type { AdminEnv, AdminOptions } from "./admin-auth.ts";

/** Most slips in one print view or file (a larger unit prints by its sub-units). */
const maxSlips = 2000;

/** Where a member can send their code: a deep link (with the code in it) when the platform has one. */
export interface LinkTarget {
  platform: string;
  /** The bot's name as members see it ("@ChiHoiBot"). */
  name: string;
  url(code: string): string;
}

/** The link targets of the running channels: Telegram's deep link, and the local web chat. */
export function linkTargets(channels: readonly Channel[], serviceUrl: () => string): LinkTarget[] {
  const targets: LinkTarget[] = [];
  for (const channel of channels) {
    if (channel.id === "telegram") {
      let username: string | undefined;
      try {
        username = (channel as unknown as { bot: { botInfo: { username: string } } }).bot.botInfo.username;
      } catch {
        username = undefined; // not initialised yet (Telegram unreachable at start-up)
      }
      if (username)
        targets.push({
          platform: "telegram",
          name: `@${username}`,
          url: (code) => `https://t.me/${username}?start=${code}`,
        });
    }
    if (channel.id === "web")
      targets.push({ platform: "web", name: `${serviceUrl()}/chat`, url: () => `${serviceUrl()}/chat` });
  }
  return targets;
}

const printStyles = `
@page{size:A4;margin:10mm}
body{font-family:system-ui,sans-serif;margin:0;color:#111}
.toolbar{padding:1rem;font-size:18px}
.sheet{display:grid;grid-template-columns:1fr 1fr;gap:4mm;padding:0 4mm}
.slip{border:1px dashed #555;padding:4mm;height:64mm;box-sizing:border-box;overflow:hidden;break-inside:avoid;page-break-inside:avoid;display:flex;gap:3mm}
.slip .text{flex:1;display:flex;flex-direction:column;gap:2mm;min-width:0}
.slip h2{font-size:15pt;margin:0}
.slip .unit{font-size:10pt;color:#333}
.slip .code{font-size:22pt;font-weight:700;letter-spacing:2pt;font-family:ui-monospace,monospace}
.slip .how{font-size:9.5pt}
.slip .qrs{display:flex;flex-direction:column;gap:2mm}
.slip .qr{text-align:center;font-size:8pt}
.slip .qr svg{width:26mm;height:26mm;display:block}
@media print{.toolbar{display:none}}
`;

/** Mounts /admin/units/:id/slips (print view) and /admin/units/:id/slips.xlsx. */
export function mountSlips(
  app: Hono<AdminEnv>,
  options: AdminOptions & { timeZone: string; linkCodeTtlDays: number; targets: () => LinkTarget[] },
): void {
  const { db, timeZone } = options;
  const now = () => options.now?.() ?? new Date();

  /** The unit's slips, codes issued where missing; undefined without manage_people on the unit. */
  const slipsOf = async (c: Context<AdminEnv>): Promise<{ unitName: string; rows: UnitCodeRow[] } | undefined> => {
    const raw = c.req.param("id") ?? "";
    const unitId = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    const personId = c.get("signedIn").session.personId;
    try {
      if (Number.isNaN(unitId) || !(await can(db, personId, "manage_people", unitId))) return undefined;
    } catch {
      return undefined;
    }
    const rows = (
      await ensureLinkCodes(db, personActor(personId, "web"), unitId, {
        ttlDays: options.linkCodeTtlDays,
        now: now(),
        unlinkedOnly: c.req.query("all") !== "1",
      })
    ).slice(0, maxSlips);
    await recordAudit(
      db,
      {
        actorPersonId: personId,
        source: "web",
        action: "codes.print",
        entityType: "Unit",
        entityId: unitId,
        detail: { count: rows.length },
      },
      now(),
    );
    return { unitName: (await getUnit(db, unitId)).name, rows };
  };

  const howText = (t: Translate, targets: LinkTarget[], code: string) =>
    targets.length
      ? t("admin.slip_how", {
          code,
          bots: targets.map((x) => `${t(`admin.platform_${x.platform}`)} ${x.name}`).join(", "),
        })
      : t("admin.slip_how_generic", { code });

  app.get("/admin/units/:id/slips", async (c) => {
    const t = c.get("t");
    const slips = await slipsOf(c);
    if (!slips) return c.text(t("admin.unit_not_found"), 404);
    const targets = options.targets();
    const cards: string[] = [];
    for (const r of slips.rows) {
      const qrs: string[] = [];
      for (const target of targets) {
        const svg = await QRCode.toString(target.url(r.code), { type: "svg", margin: 0, errorCorrectionLevel: "M" });
        qrs.push(`<div class="qr">${svg}${escapeHtml(t(`admin.platform_${target.platform}`))}</div>`);
      }
      cards.push(
        `<div class="slip"><div class="text"><h2>${escapeHtml(r.fullName)}</h2><div class="unit">${escapeHtml(r.unitName)}</div>` +
          `<div>${escapeHtml(t("admin.slip_code"))}: <span class="code">${escapeHtml(formatLinkCode(r.code))}</span></div>` +
          `<div class="how">${escapeHtml(howText(t, targets, r.code))} ${escapeHtml(t("admin.slip_expires", { date: formatDate(new Date(r.expiresAt), timeZone) }))}</div>` +
          `</div><div class="qrs">${qrs.join("")}</div></div>`,
      );
    }
    const lang = c.get("locale");
    return c.html(
      <>
        {raw("<!doctype html>")}
        <html lang={lang}>
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>{t("admin.slips_title", { unit: slips.unitName })}</title>
            <style>{raw(printStyles)}</style>
          </head>
          <body>
            <div class="toolbar">
              <a href={`/admin/units/${c.req.param("id")}`}>← {slips.unitName}</a> ·{" "}
              {t("admin.slips_count", { count: slips.rows.length })} ·{" "}
              <a href={`/admin/units/${c.req.param("id")}/slips.xlsx${c.req.query("all") === "1" ? "?all=1" : ""}`}>
                {t("admin.slips_xlsx")}
              </a>{" "}
              ·{" "}
              {c.req.query("all") === "1" ? (
                <a href={`/admin/units/${c.req.param("id")}/slips`}>{t("admin.slips_unlinked_only")}</a>
              ) : (
                <a href={`/admin/units/${c.req.param("id")}/slips?all=1`}>{t("admin.slips_all")}</a>
              )}
              <p>{t("admin.slips_print_hint")}</p>
            </div>
            <main class="sheet">{raw(cards.join(""))}</main>
          </body>
        </html>
      </>,
    );
  });

  app.get("/admin/units/:id/slips.xlsx", async (c) => {
    const t = c.get("t");
    const slips = await slipsOf(c);
    if (!slips) return c.text(t("admin.unit_not_found"), 404);
    const targets = options.targets();
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet(t("admin.slips_sheet"));
    sheet.columns = [
      { header: t("admin.col_name"), key: "name", width: 28 },
      { header: t("admin.col_unit"), key: "unit", width: 28 },
      { header: t("admin.slip_code"), key: "code", width: 12, style: { numFmt: "@" } },
      { header: t("admin.slip_expiry"), key: "expires", width: 14 },
      ...targets.map((x) => ({ header: t(`admin.platform_${x.platform}`), key: x.platform, width: 40 })),
      { header: t("admin.slip_how_column"), key: "how", width: 60 },
    ];
    for (const r of slips.rows) {
      const row = sheet.addRow({
        name: r.fullName,
        unit: r.unitName,
        code: String(r.code),
        expires: formatDate(new Date(r.expiresAt), timeZone),
        how: howText(t, targets, r.code),
        ...Object.fromEntries(targets.map((x) => [x.platform, x.url(r.code)])),
      });
      // Text, so that Excel never turns 012345 into 12345.
      row.getCell("code").numFmt = "@";
      row.getCell("code").value = String(r.code);
    }
    sheet.getRow(1).font = { bold: true };
    const buffer = Buffer.from(await book.xlsx.writeBuffer());
    const file = `ma-lien-ket-${c.req.param("id")}.xlsx`;
    return c.body(buffer, 200, {
      "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "Content-Disposition": `attachment; filename="${file}"`,
    });
  });
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!,
  );
}
