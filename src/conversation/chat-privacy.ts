/**
 * The one rule for group chats, enforced by the router before any feature runs:
 *
 * 1. The bot answers only in groups an admin allowed (every platform; `chihoi groups allow`, or
 *    `/chophep` typed in the group by an admin). Elsewhere it stays silent (the message is still
 *    stored) except for that command.
 * 2. In an allowed group it answers only what is declared public below: help, the schedule, and
 *    a member's own answer to a meeting (which they just said in front of the group). Everything
 *    else is personal — concerns and their threads, tallies with names and reasons, link codes,
 *    directives, status, attendance, languages, linking — and is answered only in a private chat:
 *    in a group the bot says so briefly and, where the platform allows (Telegram), adds a button
 *    that opens the private chat with the bot.
 *
 * New features are private unless added to the public list: forgetting to declare one can only
 * send someone to their private chat, never leak it into a group.
 */
import { AppError, isAppError } from "../lib/app-error.ts";
import { isGroupAllowed, noteGroup, setGroupAllowed } from "../domain/groups/group-service.ts";
import { personActor } from "../domain/access/actor.ts";
import type { Intent } from "./intent.ts";
import type { InboundMessage } from "../channels/channel.ts";
import type { PendingQuestion } from "../domain/conversation-state.ts";
import type { Turn } from "./turn.ts";

/** Button payload prefixes that may be answered in a group: a member's own answer to a meeting. */
const publicPayloads = new Set(["rsvp", "rsvpwhich", "rsvpreason"]);
/** Intents that may be answered in a group. */
const publicIntents = new Set<Intent["kind"]>(["help", "schedule", "attend", "absent", "unsure", "empty"]);
/** Commands an admin types in a group to allow or block it. */
const allowCommands = new Set(["chophep", "allowgroup"]);
const denyCommands = new Set(["chanhom", "denygroup"]);

/** Whether what the turn asks for may be answered in a group. */
function isPublic(turn: Turn, intent: Intent | undefined): boolean {
  const { message } = turn;
  // Someone not linked yet may only get help in a group; linking happens in private.
  if (!turn.person) return intent?.kind === "help";
  if (message.kind === "callback") return publicPayloads.has((message.payload ?? "").split(":")[0]!);
  if (message.kind === "contact") return false; // a phone number
  if (message.kind !== "text") return true; // "text only, please", or a 👍 that answers a reminder
  if (!intent) return false;
  if (publicIntents.has(intent.kind)) return true;
  // "1", "có" or a reason answer the reminder question the member has open, nothing else.
  const pending = turn.pending?.kind ?? "";
  if (intent.kind === "yes" || intent.kind === "no" || intent.kind === "choice") return pending.startsWith("rsvp");
  if (intent.kind === "concern") return pending === "rsvp_reason";
  return false;
}

/**
 * The open question a message may answer: in a group only a meeting question (the member's own
 * answer); a flow opened in the private chat (an answer to a concern, a meeting being created…)
 * never takes text typed in a group.
 */
export function questionForChat(
  message: InboundMessage,
  pending: PendingQuestion | undefined,
): PendingQuestion | undefined {
  if (message.chatType !== "group" || !pending) return pending;
  return pending.kind.startsWith("rsvp") ? pending : undefined;
}

/** "Mời anh/chị nhắn riêng cho bot", with a button that opens the private chat where there is one. */
export function sendToPrivate(turn: Turn): void {
  const { message } = turn;
  const username =
    message.platform === "telegram" && /^[A-Za-z0-9_]{3,64}$/.test(message.account) ? message.account : undefined;
  const choices = username
    ? [{ label: turn.t("rights.open_private"), payload: "", url: `https://t.me/${username}?start=nhanrieng` }]
    : undefined;
  turn.reply(turn.t("rights.private_only"), choices);
}

/** An admin's /chophep or /chanhom typed in the group. Returns true when it was one. */
async function groupCommand(turn: Turn, intent: Intent | undefined, groupId: number): Promise<boolean> {
  if (intent?.kind !== "command" || (!allowCommands.has(intent.name) && !denyCommands.has(intent.name))) return false;
  const allow = allowCommands.has(intent.name);
  try {
    if (!turn.person) throw new AppError("forbidden", { permission: "administer" });
    await setGroupAllowed(turn.db, { groupId, allowed: allow, actor: personActor(turn.person.id), now: turn.now });
    turn.reply(turn.t(allow ? "rights.group_allowed" : "rights.group_denied"));
  } catch (error) {
    if (!isAppError(error, "forbidden")) throw error;
    // In a group not allowed, anyone else's try gets no answer: the bot stays silent there.
    if (await isGroupAllowed(turn.db, turn.message.platform, turn.message.chatId))
      turn.reply(turn.t("rights.group_admin_only"));
  }
  return true;
}

/**
 * Applies the group rule to a turn (`intent`: the parsed text, for text messages). Returns true when the turn is settled (silent, redirected to
 * the private chat, or an allow/block command); false to let the router handle it as usual.
 * Private chats always pass.
 */
export async function settleInGroup(turn: Turn, intent: Intent | undefined): Promise<boolean> {
  const { message } = turn;
  if (message.chatType !== "group") return false;
  const group = await noteGroup(turn.db, {
    platform: message.platform,
    externalId: message.chatId,
    title: message.chatTitle ?? null,
    now: turn.now,
  });
  if (await groupCommand(turn, intent, group.id)) return true;
  if (!group.allowed) return true; // silent
  if (isPublic(turn, intent)) return false;
  sendToPrivate(turn);
  return true;
}
