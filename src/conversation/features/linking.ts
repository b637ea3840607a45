/** Linking a chat account to a roster entry: link codes, shared contacts, unlinking, strangers. */
import { encodePayload } from "../../domain/payloads.ts";
import { isAppError } from "../../lib/app-error.ts";
import { linkByPhone, redeemLinkCode, unlinkAccount, type LinkResult } from "../../domain/linking/link-service.ts";
import { announcePrivilegedLink } from "../../domain/linking/link-alerts.ts";
import { getPerson } from "../../domain/people/people-service.ts";
import { recordAudit } from "../../domain/audit/audit-service.ts";
import type { Turn } from "../turn.ts";

export function replyToStranger(turn: Turn): void {
  turn.reply(
    [turn.t("chat.stranger"), turn.message.platform === "telegram" ? turn.t("chat.stranger_contact") : ""]
      .filter(Boolean)
      .join("\n"),
  );
}

/** Greets the newly linked person in their language and records the link. */
async function announceLink(turn: Turn, result: LinkResult, by: "code" | "contact"): Promise<void> {
  turn.person = await getPerson(turn.db, result.personId);
  turn.useLocale(turn.person.locale === "en" ? "en" : "vi");
  turn.reply(turn.t(result.newlyLinked ? "chat.linked" : "chat.already_linked", { name: result.fullName }));
  if (!result.newlyLinked) return;
  // An official's identity is worth taking over: their other accounts and their admins hear of it.
  await announcePrivilegedLink(turn.db, {
    personId: result.personId,
    accountId: turn.account.id,
    now: turn.now,
    timeZone: turn.settings.timeZone,
  });
  await recordAudit(
    turn.db,
    {
      actorPersonId: result.personId,
      source: "chat",
      action: "account.link",
      entityType: "ChatAccount",
      entityId: turn.account.id,
      detail: { platform: turn.account.platform, by },
    },
    turn.now,
  );
}

export async function linkWithCode(turn: Turn, code: string): Promise<void> {
  try {
    const options = { source: turn.message.sourceAddress ?? null, limits: turn.settings.linkGuessLimits };
    await announceLink(
      turn,
      await redeemLinkCode(turn.db, { accountId: turn.account.id, code, now: turn.now, ...options }),
      "code",
    );
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(turn.errorText(error));
  }
}

/**
 * A shared contact links only when it is the sender's own (the platform says whose it is) and its
 * phone matches one roster entry; a forwarded contact of someone else is refused.
 */
export async function linkWithContact(turn: Turn): Promise<void> {
  const contact = turn.message.contact;
  if (!contact?.userId || contact.userId !== turn.message.sender.id) {
    turn.reply(turn.t("chat.contact_not_own"));
    return;
  }
  try {
    await announceLink(turn, await linkByPhone(turn.db, turn.account.id, contact.phone, turn.now), "contact");
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(error.code === "person_not_found" ? turn.t("chat.contact_no_match") : turn.errorText(error));
  }
}

export async function askUnlink(turn: Turn): Promise<void> {
  if (!turn.person) {
    turn.reply(turn.t("chat.not_linked_unlink"));
    return;
  }
  await turn.ask(turn.t("chat.unlink_ask", { name: turn.person.fullName }), "unlink", [
    { label: turn.t("chat.unlink_yes"), payload: encodePayload({ kind: "unlink", confirm: true }) },
    { label: turn.t("chat.unlink_no"), payload: encodePayload({ kind: "unlink", confirm: false }) },
  ]);
}

export async function answerUnlink(turn: Turn, answer: string): Promise<void> {
  await turn.closeQuestion("unlink");
  if (answer !== "yes") {
    turn.reply(turn.t("chat.unlink_kept"));
    return;
  }
  const result = await unlinkAccount(turn.db, turn.account.id, turn.now);
  if (result)
    await recordAudit(
      turn.db,
      {
        actorPersonId: result.personId,
        source: "chat",
        action: "account.unlink",
        entityType: "ChatAccount",
        entityId: turn.account.id,
      },
      turn.now,
    );
  turn.person = null;
  turn.reply(turn.t("chat.unlinked"));
}
