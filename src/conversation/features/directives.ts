/**
 * Directives in chat: a cadre or official composes a summary step by step, previews it and sends
 * it to their unit's subtree; members confirm "Đã đọc" by button or in words, list recent ones with
 * /vanban, and a reply to a directive becomes a question (ticket) linked to it.
 */
import { encodePayload } from "../../domain/payloads.ts";
import { isAppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { can, scopeRoots } from "../../domain/access/access-scope.ts";
import { getUnit, listChildUnits, resolveUnit, subtreeIds } from "../../domain/units/unit-service.ts";
import { entityOfMessage } from "../../domain/messages/message-log.ts";
import {
  createDirective,
  directiveAudienceByUnit,
  directiveAudienceCounts,
  directiveKinds,
  getDirective,
  listRecentDirectives,
  markRead,
  normaliseDirectiveNumber,
  readChoice,
  renderDirectiveText,
  sendDirective,
  summaryMaxLength,
  summaryWarnLength,
  validateDirective,
  type DirectiveKind,
  type DirectiveRow,
} from "../../domain/directives/directive-service.ts";
import { createTicket } from "../../domain/tickets/ticket-service.ts";
import type { PayloadOf } from "../../domain/payloads.ts";
import type { Turn } from "../turn.ts";
import { cancelChoice } from "./flow-cancel.ts";

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

export async function hasDirectiveRights(turn: Turn): Promise<boolean> {
  return Boolean(turn.person && (await scopeRoots(turn.db, turn.person.id, "send_directives")).length);
}

async function ask(turn: Turn, draft: Draft): Promise<void> {
  const t = turn.t;
  // Every step but the preview (which has its own "Hủy") ends with the "Hủy" button.
  const save = (text: string, choices: { label: string; payload: string }[] = []) =>
    turn.ask(
      text,
      "directive_new",
      draft.step === "preview" ? choices : [...choices, cancelChoice(turn)],
      { ...draft },
      flowTtlMs,
    );
  switch (draft.step) {
    case "unit":
      return save(t("vanban.compose_unit"), await unitChoices(turn));
    case "kind":
      return save(
        t("vanban.compose_kind"),
        directiveKinds.map((k) => ({
          label: t(`vanban.kind_${k}`),
          payload: encodePayload({ kind: "dnew", action: "kind", directiveKind: k }),
        })),
      );
    case "number":
      return save(t("vanban.compose_number"), [
        { label: t("vanban.skip"), payload: encodePayload({ kind: "dnew", action: "skip" }) },
      ]);
    case "title":
      return save(t("vanban.compose_title"));
    case "summary":
      return save(t("vanban.compose_summary"));
    case "link":
      return save(t("vanban.compose_link"), [
        { label: t("vanban.skip"), payload: encodePayload({ kind: "dnew", action: "skip" }) },
      ]);
    case "preview": {
      const directive = await getDirective(turn.db, draft.directiveId!);
      const { total, notLinked } = await directiveAudienceCounts(turn.db, directive.id);
      return save(
        [
          t("vanban.preview", { text: renderDirectiveText(directive, turn.locale), total, notLinked }),
          ...(await targetLines(turn, directive.id, directive.unitId, total, notLinked)),
        ].join("\n"),
        [
          { label: t("vanban.send"), payload: encodePayload({ kind: "dnew", action: "send" }) },
          { label: t("vanban.cancel"), payload: encodePayload({ kind: "dnew", action: "cancel" }) },
        ],
      );
    }
  }
}

/** Most sub-units offered as buttons at the unit step (the others are typed by name). */
const maxUnitChoices = 8;

/**
 * The units a sender may choose: each scope root (with all its units) and the root's direct
 * sub-units, up to maxUnitChoices.
 */
async function unitChoices(turn: Turn): Promise<{ label: string; payload: string }[]> {
  const choices: { label: string; payload: string }[] = [];
  for (const root of await scopeRoots(turn.db, turn.person!.id, "send_directives")) {
    const unit = await getUnit(turn.db, root.unitId);
    const children = await listChildUnits(turn.db, unit.id);
    choices.push({
      label: children.length ? turn.t("understand.compose_unit_whole", { unit: unit.name }) : unit.name,
      payload: encodePayload({ kind: "dnew", action: "unit", unitId: unit.id }),
    });
    for (const child of children)
      choices.push({ label: child.name, payload: encodePayload({ kind: "dnew", action: "unit", unitId: child.id }) });
  }
  return choices.slice(0, maxUnitChoices);
}

/** "Gửi tới: Xã A — 25 người (3 chưa liên kết)", then the people per sub-unit. */
async function targetLines(
  turn: Turn,
  directiveId: number,
  unitId: number,
  total: number,
  notLinked: number,
): Promise<string[]> {
  const lines = [
    "",
    turn.t("understand.preview_targets", { unit: (await getUnit(turn.db, unitId)).name, total, notLinked }),
  ];
  const { direct, units } = await directiveAudienceByUnit(turn.db, directiveId);
  if (!units.length) return lines;
  const shown = units.slice(0, maxUnitChoices);
  if (direct)
    lines.push(
      turn.t("understand.preview_target_line", { unit: (await getUnit(turn.db, unitId)).name, total: direct }),
    );
  for (const u of shown) lines.push(turn.t("understand.preview_target_line", { unit: u.name, total: u.total }));
  if (units.length > shown.length)
    lines.push(turn.t("understand.preview_more_units", { count: units.length - shown.length }));
  return lines;
}

export async function startComposing(turn: Turn): Promise<void> {
  if (!(await hasDirectiveRights(turn))) return turn.reply(turn.t("vanban.no_right"));
  const roots = await scopeRoots(turn.db, turn.person!.id, "send_directives");
  // Only one unit in scope (no sub-units to choose from): no need to ask.
  const single = roots.length === 1 && (await subtreeIds(turn.db, roots[0]!.unitId)).length === 1;
  await ask(turn, single ? { step: "kind", unitId: roots[0]!.unitId } : { step: "unit" });
}

/** A unit the person may send to, by what they typed (searched within each of their scope roots). */
async function unitInScope(turn: Turn, text: string) {
  let lastError: unknown;
  for (const root of await scopeRoots(turn.db, turn.person!.id, "send_directives")) {
    try {
      return await resolveUnit(turn.db, text, root.unitId);
    } catch (error) {
      if (!isAppError(error, "unit_not_found") && !isAppError(error, "unit_ambiguous")) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

async function toPreview(turn: Turn, draft: Draft): Promise<void> {
  const directive = await createDirective(
    turn.db,
    {
      unitId: draft.unitId!,
      kind: draft.kind!,
      number: draft.number ?? "",
      issuer: draft.issuer ?? "",
      title: draft.title!,
      summary: draft.summary!,
      link: draft.link ?? null,
      createdById: turn.person!.id,
    },
    turn.now,
  );
  draft.directiveId = directive.id;
  draft.step = "preview";
  turn.concerns("Directive", directive.id);
}

/** Text typed while composing. */
export async function continueComposing(turn: Turn, text: string): Promise<void> {
  const draft = { ...(turn.pending!.data as unknown as Draft) };
  const value = text.trim();
  const folded = foldVietnamese(value);
  try {
    switch (draft.step) {
      case "unit": {
        const unit = await unitInScope(turn, value);
        draft.unitId = unit.id;
        draft.step = "kind";
        break;
      }
      case "kind": {
        const kind = directiveKinds.find(
          (k) => foldVietnamese(turn.t(`vanban.kind_${k}`)) === folded || k.replace("_", " ") === folded,
        );
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
        validateDirective({
          unitId: draft.unitId!,
          kind: draft.kind!,
          title: draft.title!,
          summary: value,
          createdById: turn.person!.id,
        });
        draft.summary = value;
        if (value.length > summaryWarnLength) {
          await turn.ask(
            turn.t("vanban.compose_summary_long", { length: value.length }),
            "directive_new",
            [
              { label: turn.t("vanban.keep"), payload: encodePayload({ kind: "dnew", action: "keep" }) },
              cancelChoice(turn),
            ],
            { ...draft },
            flowTtlMs,
          );
          return;
        }
        draft.step = "link";
        break;
      }
      case "link":
        draft.link = skipWords.test(folded) ? null : value;
        validateDirective({
          unitId: draft.unitId!,
          kind: draft.kind!,
          title: draft.title!,
          summary: draft.summary!,
          link: draft.link,
          createdById: turn.person!.id,
        });
        await toPreview(turn, draft);
        break;
      case "preview":
        if (/^(gui|co|ok|yes|dong y)$/.test(folded)) return await finish(turn, draft, true);
        break;
    }
  } catch (error) {
    if (!isAppError(error)) throw error;
    if (draft.step === "link") draft.link = undefined;
    turn.reply(turn.errorText(error, { number: value, length: value.length, max: summaryMaxLength, unit: value }));
  }
  await ask(turn, draft);
}

async function finish(turn: Turn, draft: Draft, send: boolean): Promise<void> {
  await turn.closeQuestion("directive_new");
  if (!send || !draft.directiveId) return turn.reply(turn.t("vanban.cancelled"));
  try {
    const result = await sendDirective(turn.db, draft.directiveId, {
      now: turn.now,
      byPersonId: turn.person!.id,
      senderAccountId: turn.account.id,
    });
    turn.concerns("Directive", draft.directiveId);
    turn.reply(turn.t("vanban.sending", { id: draft.directiveId, queued: result.queued, notLinked: result.notLinked }));
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(turn.errorText(error));
  }
}

// ---- members -----------------------------------------------------------------------------------

async function confirmRead(turn: Turn, directive: DirectiveRow): Promise<void> {
  try {
    const { alreadyRead } = await markRead(turn.db, {
      directiveId: directive.id,
      personId: turn.person!.id,
      viaAccountId: turn.account.id,
      now: turn.now,
    });
    await turn.closeQuestion("directive");
    turn.concerns("Directive", directive.id);
    turn.reply(alreadyRead ? turn.t("vanban.already_read") : turn.t("vanban.read_thanks", { title: directive.title }));
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(turn.t("chat.read_nothing"));
  }
}

async function directiveOfContext(turn: Turn): Promise<number | undefined> {
  const { message } = turn;
  if (message.replyTo) {
    const entity = await entityOfMessage(turn.db, message.platform, message.chatId, message.replyTo);
    if (entity?.entityType === "Directive") return entity.entityId;
  }
  if (turn.pending?.kind === "directive" && typeof turn.pending.data.directiveId === "number")
    return turn.pending.data.directiveId;
  return undefined;
}

/** "đã đọc" in words: the directive replied to, the one just sent, else the newest unread one. */
export async function readFromText(turn: Turn): Promise<void> {
  if (!turn.person) return;
  const id =
    (await directiveOfContext(turn)) ??
    (await listRecentDirectives(turn.db, turn.person.id, 10)).find((d) => d.readAt === null)?.id;
  if (id === undefined) return turn.reply(turn.t("chat.read_nothing"));
  await confirmRead(turn, await getDirective(turn.db, id));
}

/** A reply to a directive that is not "đã đọc" is a question about it: a ticket linked to it. */
export async function questionAboutDirective(turn: Turn, text: string): Promise<boolean> {
  if (!turn.person || !turn.message.replyTo) return false;
  const entity = await entityOfMessage(turn.db, turn.message.platform, turn.message.chatId, turn.message.replyTo);
  if (entity?.entityType !== "Directive") return false;
  const directive = await getDirective(turn.db, entity.entityId);
  let ticket;
  try {
    ticket = await createTicket(
      turn.db,
      {
        personId: turn.person.id,
        text,
        sourceAccountId: turn.account.id,
        messageLogId: turn.logId,
        directiveId: directive.id,
      },
      turn.now,
      { perDay: turn.settings.ticketsPerDay },
    );
  } catch (error) {
    if (!isAppError(error, "ticket_too_many")) throw error;
    turn.reply(turn.errorText(error));
    return true;
  }
  turn.concerns("Ticket", ticket.id);
  turn.reply(
    turn.t("vanban.question_created", { id: ticket.id, title: directive.title, unit: ticket.unitName }),
    undefined,
    { type: "Ticket", id: ticket.id },
  );
  return true;
}

/** Most documents "/vanban N" reaches back to. */
const maxListed = 50;

/** /vanban: the member's recent documents; /vanban N: the Nth of that list, or "not found". */
export async function listForMember(turn: Turn, args = ""): Promise<void> {
  if (!turn.person) return;
  const wanted = /^#?(\d+)$/.exec(args.trim());
  if (wanted) {
    const n = Number(wanted[1]);
    const directive =
      n >= 1 && n <= maxListed ? (await listRecentDirectives(turn.db, turn.person.id, n))[n - 1] : undefined;
    if (!directive) return turn.reply(turn.t("understand.vanban_not_found", { n: wanted[1] }));
    return showToMember(turn, directive);
  }
  const recent = await listRecentDirectives(turn.db, turn.person.id, 5);
  if (!recent.length) return turn.reply(turn.t("vanban.list_none"));
  const lines = recent.map((d, i) =>
    turn.t("vanban.list_line", {
      n: i + 1,
      kind: turn.t(`vanban.kind_${d.kind}`),
      number: d.number,
      title: d.title,
      read: d.readAt ? turn.t("vanban.read_mark") : "",
    }),
  );
  await turn.ask(
    [turn.t("vanban.list_header"), ...lines, turn.t("vanban.list_hint")].join("\n"),
    "directive_list",
    recent.map((d, i) => ({ label: String(i + 1), payload: encodePayload({ kind: "vb", directiveId: d.id }) })),
  );
}

/** A directive shown again, with "Đã đọc" while unread. */
async function showToMember(turn: Turn, directive: DirectiveRow & { readAt: number | null }): Promise<void> {
  await turn.ask(
    renderDirectiveText(directive, turn.locale),
    "directive",
    directive.readAt ? [] : [readChoice(directive.id, turn.locale)],
    { directiveId: directive.id },
    7 * 86_400_000,
    { type: "Directive", id: directive.id },
  );
}

export const directivePayloads = {
  async dnew(turn: Turn, payload: PayloadOf<"dnew">): Promise<void> {
    if (turn.pending?.kind !== "directive_new") return turn.reply(turn.t("chat.question_expired"));
    const draft = { ...(turn.pending.data as unknown as Draft) };
    const what = payload.action;
    try {
      if (
        payload.action === "unit" &&
        draft.step === "unit" &&
        (await can(turn.db, turn.person!.id, "send_directives", payload.unitId))
      ) {
        draft.unitId = payload.unitId;
        draft.step = "kind";
      } else if (payload.action === "kind" && draft.step === "kind") {
        draft.kind = payload.directiveKind;
        draft.step = "number";
      } else if (what === "skip" && draft.step === "number") draft.step = "title";
      else if (what === "keep" && draft.step === "summary" && draft.summary) draft.step = "link";
      else if (what === "skip" && draft.step === "link") {
        draft.link = null;
        await toPreview(turn, draft);
      } else if (what === "send" && draft.step === "preview") return await finish(turn, draft, true);
      else if (what === "cancel") return await finish(turn, draft, false);
    } catch (error) {
      if (!isAppError(error)) throw error;
      turn.reply(turn.errorText(error));
    }
    await ask(turn, draft);
  },
  async read(turn: Turn, payload: PayloadOf<"read">): Promise<void> {
    try {
      await confirmRead(turn, await getDirective(turn.db, payload.directiveId));
    } catch (error) {
      if (!isAppError(error)) throw error;
      turn.reply(turn.t("chat.read_nothing"));
    }
  },
  async vb(turn: Turn, payload: PayloadOf<"vb">): Promise<void> {
    if (!turn.person) return turn.reply(turn.t("chat.question_expired"));
    const mine = (await listRecentDirectives(turn.db, turn.person.id, maxListed)).find(
      (d) => d.id === payload.directiveId,
    );
    if (!mine) return turn.reply(turn.t("vanban.list_none"));
    await turn.closeQuestion("directive_list");
    await showToMember(turn, mine);
  },
};
