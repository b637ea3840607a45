/**
 * `chihoi tickets show N`: a concern printed whole, with its thread and history (in chat a long
 * text is cut, with a note pointing here, until the web workplace shows it).
 */
import type { Command } from "commander";
import { ticketThreadForOperator } from "../domain/tickets/ticket-service.ts";
import type { Translate } from "../lib/i18n.ts";
import { formatShortDate } from "../lib/zoned-time.ts";
import type { Database } from "../storage/database.ts";
import { type CliContext, en, idOf, vi } from "./context.ts";

export function registerTicketCommands(program: Command, ctx: CliContext): void {
  const { t, out, config } = ctx;
  const tickets = program
    .command("tickets")
    .description(`${vi("delivery.cli_tickets")} / ${en("delivery.cli_tickets")}`);
  tickets
    .command("show <id>")
    .description(`${vi("delivery.cli_tickets_show")} / ${en("delivery.cli_tickets_show")}`)
    .action((id: string) =>
      ctx.withDatabase((db) => printTicket(db, idOf(id), t, out, config.timeZone, config.defaultLocale)),
    );
}

export async function printTicket(
  db: Database,
  id: number,
  t: Translate,
  out: (line?: string) => void,
  timeZone: string,
  locale: "vi" | "en",
): Promise<void> {
  const { ticket, messages, history } = await ticketThreadForOperator(db, id);
  const when = (ms: number) => formatShortDate(new Date(ms), timeZone, locale);
  out(
    t("delivery.cli_ticket_header", {
      id: ticket.id,
      member: ticket.memberName,
      unit: ticket.unitName,
      status: t(`ykien.status_${ticket.status}`),
    }),
  );
  for (const m of messages) {
    out();
    out(
      t("delivery.cli_ticket_message", {
        when: when(m.createdAt),
        author: m.authorName ?? t("ykien.member"),
        length: m.text.length.toLocaleString(locale === "vi" ? "vi-VN" : "en-GB"),
      }),
    );
    out(m.text);
  }
  if (history.length) out();
  for (const h of history)
    out(
      t("delivery.cli_ticket_history", {
        when: when(h.createdAt),
        who: h.byName ?? "—",
        from: h.fromUnit ?? h.fromStatus ?? "—",
        to: h.toUnit ?? h.toStatus,
        note: h.note ? ` (${h.note})` : "",
      }),
    );
}
