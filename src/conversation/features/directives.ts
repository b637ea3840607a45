/**
 * Directives in chat: a cadre or official composes a summary step by step, previews it and sends
 * it to their unit's subtree; members confirm "Đã đọc" by button or in words, list recent ones with
 * /vanban, and a reply to a directive becomes a question (ticket) linked to it.
 */
import { isAppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { can, scopeRoots } from "../../domain/access/access-scope.ts";
import { getUnit, resolveUnit } from "../../domain/units/unit-service.ts";
import { entityOfMessage } from "../../domain/messages/message-log.ts";
import {
  createDirective, directiveAudienceCounts, directiveKinds, getDirective, listRecentDirectives, markRead, normaliseDirectiveNumber, readChoice,
  renderDirectiveText, sendDirective, summaryMaxLength, summaryWarnLength, validateDirective, type DirectiveKind, type DirectiveRow,
} from "../../domain/directives/directive-service.ts";
import { createTicket } from "../../domain/tickets/ticket-service.ts";
import type { Turn } from "../turn.ts";

const flowTtlMs = 2 * 3_600_000;
const skipWords = /^(bo qua|khong|ko|k|skip|-|\.|khong co)$/;

interface Draft {
  step: "unit" | "kind" | "number" | "title" | "summary" | "link" | "preview";
  unitId?: number;
  kind?: DirectiveKind;
  number?: string;
  issuer?: string;
  title?: string;
  summary?: string;
  link?: string | null;
  directiveId?: number;
}

export function hasDirectiveRights(turn: Turn): boolean {
  return Boolean(turn.person && scopeRoots(turn.db, turn.person.id, "send_directives").length);
}

function ask(turn: Turn, draft: Draft): void {
  const t = turn.t;
  const save = (text: string, choices: { label: string; payload: string }[] = []) => turn.ask(text, "directive_new", choices, { ...draft }, flowTtlMs);
  switch (draft.step) {
    case "unit":
      return save(t("vanban.compose_unit"), scopeRoots(turn.db, turn.person!.id, "send_directives").slice(0, 8).map((r) => ({ label: getUnit(turn.db, r.unitId).name, payload: `dnew:unit:${r.unitId}` })));
    case "kind":
      return save(t("vanban.compose_kind"), directiveKinds.map((k) => ({ label: t(`vanban.kind_${k}`), payload: `dnew:kind:${k}` })));
    case "number":
      return save(t("vanban.compose_number"), [{ label: t("vanban.skip"), payload: "dnew:skip" }]);
    case "title":
      return save(t("vanban.compose_title"));
    case "summary":
      return save(t("vanban.compose_summary"));
    case "link":
      return save(t("vanban.compose_link"), [{ label: t("vanban.skip"), payload: "dnew:skip" }]);
    case "preview": {
      const directive = getDirective(turn.db, draft.directiveId!);
      const { total, notLinked } = directiveAudienceCounts(turn.db, directive.id);
      return save(t("vanban.preview", { text: renderDirectiveText(directive, turn.locale), total, notLinked }), [
        { label: t("vanban.send"), payload: "dnew:send" },
        { label: t("vanban.cancel"), payload: "dnew:cancel" },
      ]);
    }
  }
}

export function startComposing(turn: Turn): void {
  if (!hasDirectiveRights(turn)) return turn.reply(turn.t("vanban.no_right"));
  const roots = scopeRoots(turn.db, turn.person!.id, "send_directives");
  const draft: Draft = roots.length === 1 ? { step: "kind", unitId: roots[0]!.unitId } : { step: "unit" };
  ask(turn, draft);
}

function toPreview(turn: Turn, draft: Draft): void {
  const directive = createDirective(
    turn.db,
    { unitId: draft.unitId!, kind: draft.kind!, number: draft.number ?? "", issuer: draft.issuer ?? "", title: draft.title!, summary: draft.summary!, link: draft.link ?? null, createdById: turn.person!.id },
    turn.now,
  );
  draft.directiveId = directive.id;
  draft.step = "preview";
  turn.concerns("Directive", directive.id);
}

/** Text typed while composing. */
export function continueComposing(turn: Turn, text: string): void {
  const draft = { ...(turn.pending!.data as unknown as Draft) };
  const value = text.trim();
  const folded = foldVietnamese(value);
  if (/^(huy|cancel|thoi)$/.test(folded)) return finish(turn, draft, false);
  try {
    switch (draft.step) {
      case "unit": {
        const root = scopeRoots(turn.db, turn.person!.id, "send_directives")[0]!;
        const unit = resolveUnit(turn.db, value, root.unitId);
        draft.unitId = unit.id;
        draft.step = "kind";
        break;
      }
      case "kind": {
        const kind = directiveKinds.find((k) => foldVietnamese(turn.t(`vanban.kind_${k}`)) === folded || k.replace("_", " ") === folded);
        if (kind) {
          draft.kind = kind;
          draft.step = "number";
        }
        break;
      }
      case "number": {
        if (!skipWords.test(folded)) {
          const [number, ...issuer] = value.split(",");
          draft.number = normaliseDirectiveNumber(number ?? "");
          draft.issuer = issuer.join(",").trim().slice(0, 200);
        }
        draft.step = "title";
        break;
      }
      case "title":
        if (value && value.length <= 300) {
          draft.title = value;
          draft.step = "summary";
        }
        break;
      case "summary": {
        validateDirective({ unitId: draft.unitId!, kind: draft.kind!, title: draft.title!, summary: value, createdById: turn.person!.id });
        draft.summary = value;
        if (value.length > summaryWarnLength) {
          turn.ask(turn.t("vanban.compose_summary_long", { length: value.length }), "directive_new", [{ label: turn.t("vanban.keep"), payload: "dnew:keep" }], { ...draft }, flowTtlMs);
          return;
        }
        draft.step = "link";
        break;
      }
      case "link":
        draft.link = skipWords.test(folded) ? null : value;
        validateDirective({ unitId: draft.unitId!, kind: draft.kind!, title: draft.title!, summary: draft.summary!, link: draft.link, createdById: turn.person!.id });
        toPreview(turn, draft);
        break;
      case "preview":
        if (/^(gui|co|ok|yes|dong y)$/.test(folded)) return finish(turn, draft, true);
        break;
    }
  } catch (error) {
    if (!isAppError(error)) throw error;
    if (draft.step === "link") draft.link = undefined;
    turn.reply(turn.errorText(error, { number: value, length: value.length, max: summaryMaxLength, unit: value }));
  }
  ask(turn, draft);
}

function finish(turn: Turn, draft: Draft, send: boolean): void {
  turn.closeQuestion("directive_new");
  if (!send || !draft.directiveId) return turn.reply(turn.t("vanban.cancelled"));
  try {
    const result = sendDirective(turn.db, draft.directiveId, { now: turn.now, byPersonId: turn.person!.id, senderAccountId: turn.account.id });
    turn.concerns("Directive", draft.directiveId);
    turn.reply(turn.t("vanban.sending", { id: draft.directiveId, queued: result.queued, notLinked: result.notLinked }));
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(turn.errorText(error));
  }
}

// ---- members -----------------------------------------------------------------------------------

function confirmRead(turn: Turn, directive: DirectiveRow): void {
  try {
    const { alreadyRead } = markRead(turn.db, directive.id, turn.person!.id, turn.account.id, turn.now);
    turn.closeQuestion("directive");
    turn.concerns("Directive", directive.id);
    turn.reply(alreadyRead ? turn.t("vanban.already_read") : turn.t("vanban.read_thanks", { title: directive.title }));
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(turn.t("chat.read_nothing"));
  }
}

function directiveOfContext(turn: Turn): number | undefined {
  const { message } = turn;
  if (message.replyTo) {
    const entity = entityOfMessage(turn.db, message.platform, message.chatId, message.replyTo);
    if (entity?.entityType === "Directive") return entity.entityId;
  }
  if (turn.pending?.kind === "directive" && typeof turn.pending.data.directiveId === "number") return turn.pending.data.directiveId;
  return undefined;
}

/** "đã đọc" in words: the directive replied to, the one just sent, else the newest unread one. */
export function readFromText(turn: Turn): void {
  if (!turn.person) return;
  const id = directiveOfContext(turn) ?? listRecentDirectives(turn.db, turn.person.id, 10).find((d) => d.readAt === null)?.id;
  if (id === undefined) return turn.reply(turn.t("chat.read_nothing"));
  confirmRead(turn, getDirective(turn.db, id));
}

/** A reply to a directive that is not "đã đọc" is a question about it: a ticket linked to it. */
export function questionAboutDirective(turn: Turn, text: string): boolean {
  if (!turn.person || !turn.message.replyTo) return false;
  const entity = entityOfMessage(turn.db, turn.message.platform, turn.message.chatId, turn.message.replyTo);
  if (entity?.entityType !== "Directive") return false;
  const directive = getDirective(turn.db, entity.entityId);
  let ticket;
  try {
    ticket = createTicket(turn.db, { personId: turn.person.id, text, sourceAccountId: turn.account.id, messageLogId: turn.logId, directiveId: directive.id }, turn.now, { perDay: turn.settings.ticketsPerDay });
  } catch (error) {
    if (!isAppError(error, "ticket_too_many")) throw error;
    turn.reply(turn.errorText(error));
    return true;
  }
  turn.concerns("Ticket", ticket.id);
  turn.reply(turn.t("vanban.question_created", { id: ticket.id, title: directive.title, unit: ticket.unitName }), undefined, { type: "Ticket", id: ticket.id });
  return true;
}

export function listForMember(turn: Turn): void {
  if (!turn.person) return;
  const recent = listRecentDirectives(turn.db, turn.person.id, 5);
  if (!recent.length) return turn.reply(turn.t("vanban.list_none"));
  const lines = recent.map((d, i) =>
    turn.t("vanban.list_line", { n: i + 1, kind: turn.t(`vanban.kind_${d.kind}`), number: d.number, title: d.title, read: d.readAt ? turn.t("vanban.read_mark") : "" }),
  );
  turn.ask([turn.t("vanban.list_header"), ...lines, turn.t("vanban.list_hint")].join("\n"), "directive_list", recent.map((d, i) => ({ label: String(i + 1), payload: `vb:${d.id}` })));
}

export const directivePayloads = {
  dnew(turn: Turn, argument: string): void {
    if (turn.pending?.kind !== "directive_new") return turn.reply(turn.t("chat.question_expired"));
    const draft = { ...(turn.pending.data as unknown as Draft) };
    const [what, value] = argument.split(":");
    try {
      if (what === "unit" && draft.step === "unit" && value && can(turn.db, turn.person!.id, "send_directives", Number(value))) {
        draft.unitId = Number(value);
        draft.step = "kind";
      } else if (what === "kind" && draft.step === "kind" && (directiveKinds as readonly string[]).includes(value ?? "")) {
        draft.kind = value as DirectiveKind;
        draft.step = "number";
      } else if (what === "skip" && draft.step === "number") draft.step = "title";
      else if (what === "keep" && draft.step === "summary" && draft.summary) draft.step = "link";
      else if (what === "skip" && draft.step === "link") {
        draft.link = null;
        toPreview(turn, draft);
      } else if (what === "send" && draft.step === "preview") return finish(turn, draft, true);
      else if (what === "cancel") return finish(turn, draft, false);
    } catch (error) {
      if (!isAppError(error)) throw error;
      turn.reply(turn.errorText(error));
    }
    ask(turn, draft);
  },
  read(turn: Turn, argument: string): void {
    if (!/^\d+$/.test(argument)) return turn.reply(turn.t("chat.question_expired"));
    try {
      confirmRead(turn, getDirective(turn.db, Number(argument)));
    } catch (error) {
      if (!isAppError(error)) throw error;
      turn.reply(turn.t("chat.read_nothing"));
    }
  },
  vb(turn: Turn, argument: string): void {
    if (!turn.person || !/^\d+$/.test(argument)) return turn.reply(turn.t("chat.question_expired"));
    const mine = listRecentDirectives(turn.db, turn.person.id, 50).find((d) => d.id === Number(argument));
    if (!mine) return turn.reply(turn.t("vanban.list_none"));
    turn.closeQuestion("directive_list");
    turn.ask(renderDirectiveText(mine, turn.locale), "directive", mine.readAt ? [] : [readChoice(mine.id, turn.locale)], { directiveId: mine.id }, 7 * 86_400_000, { type: "Directive", id: mine.id });
  },
};
