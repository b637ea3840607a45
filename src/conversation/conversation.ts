/**
 * Decides what a message means and calls one domain service: the router of the conversation.
 * Order: non-text kinds, contacts, button payloads, then text through the intent parser, with the
 * account's pending question as context (so "1", "có", "ok" mean something only when a question is
 * open). Strangers (unlinked accounts) get linking instructions and nothing else.
 */
import type { Database } from "../storage/database.ts";
import type { InboundMessage } from "../channels/channel.ts";
import type { ChatAccountRow } from "../domain/accounts/account-service.ts";
import type { PersonRow } from "../domain/people/people-service.ts";
import { getPendingQuestion, type PendingQuestion } from "../domain/conversation-state.ts";
import { isLocale, type Locale } from "../lib/i18n.ts";
import { scopeRoots } from "../domain/access/access-scope.ts";
import { decodePayload, type Payload } from "../domain/payloads.ts";
import { parseIntent, type Intent, type ParseContext } from "./intent.ts";
import { Turn, type ConversationSettings, type TurnOutcome } from "./turn.ts";
import { questionForChat, settleInGroup } from "./chat-privacy.ts";
import { answerUnlink, askUnlink, linkWithCode, linkWithContact, replyToStranger } from "./features/linking.ts";
import { askLanguage, sendHelp, sendSchedule, sendWelcome, setLanguage } from "./features/basics.ts";
import { answerConcern, askConcernText, createConcernTicket, offerConcern } from "./features/concerns.ts";
import { answerReaction, handleRsvpIntent, rsvpPayloads } from "./features/rsvp.ts";
import { cancelFlow, flowPayloads, ownChoices } from "./features/flow-cancel.ts";
import {
  continueComposing,
  directivePayloads,
  listForMember,
  questionAboutDirective,
  readFromText,
  startComposing,
} from "./features/directives.ts";
import {
  continueTicketFlow,
  continueReopened,
  hasTicketRights,
  memberFollowUp,
  runTicketCommand,
  satisfactionFromText,
  showTicket,
  ticketCommands,
  ticketPayloads,
} from "./features/ticket-queue.ts";
import {
  cadreCommandFromWords,
  cadreCommands,
  cadrePayloads,
  continueAttendance,
  continueCreation,
  hasMeetingRights,
  runCadreCommand,
} from "./features/cadre-meetings.ts";

export type { ConversationSettings, TurnOutcome };

/** Runs the feature that handles a decoded button payload. */
async function handlePayload(turn: Turn, payload: Payload): Promise<void> {
  switch (payload.kind) {
    case "lang":
      return await setLanguage(turn, payload.locale);
    case "unlink":
      return await answerUnlink(turn, payload.confirm ? "yes" : "no");
    case "concern":
      return await answerConcern(turn, payload.confirm ? "yes" : "no");
    case "rsvp":
      return await rsvpPayloads.rsvp(turn, payload);
    case "rsvpwhich":
      return await rsvpPayloads.rsvpwhich(turn, payload);
    case "rsvpreason":
      return await rsvpPayloads.rsvpreason(turn, payload);
    case "rsvpmix":
      return await rsvpPayloads.rsvpmix(turn, payload);
    case "mnew":
      return await cadrePayloads.mnew(turn, payload);
    case "mcancel":
      return await cadrePayloads.mcancel(turn, payload);
    case "attend":
      return await cadrePayloads.attend(turn, payload);
    case "dnew":
      return await directivePayloads.dnew(turn, payload);
    case "read":
      return await directivePayloads.read(turn, payload);
    case "vb":
      return await directivePayloads.vb(turn, payload);
    case "tk":
      return await ticketPayloads.tk(turn, payload);
    case "tsat":
      return await ticketPayloads.tsat(turn, payload);
    case "tkadd":
      return await ticketPayloads.tkadd(turn, payload);
    case "flow":
      return await flowPayloads.flow(turn, payload.action);
  }
}

/** Multi-step flows own the text typed while their question is open (numbers included). */
async function continueFlow(turn: Turn, intent: Intent): Promise<boolean> {
  const kind = turn.pending?.kind;
  if (intent.kind === "command" || intent.kind === "link") return false;
  const text = turn.message.text ?? "";
  if (kind === "attendance") {
    await continueAttendance(turn, text);
    return true;
  }
  if (kind === "ticket_answer" || kind === "ticket_escalate") return continueTicketFlow(turn, text);
  if (kind === "meeting_new" || kind === "directive_new") {
    // A number picks one of the offered buttons, "có"/"không" the first/second of the step's own
    // (not "Hủy"); the generic choice routing does that. Anything else is the step's value.
    const choices = turn.pending?.data.choices ?? [];
    const own = ownChoices(choices);
    if (intent.kind === "choice" && choices[intent.index - 1] !== undefined) return false;
    if ((intent.kind === "yes" && own[0] !== undefined) || (intent.kind === "no" && own[1] !== undefined)) return false;
    if (kind === "meeting_new") await continueCreation(turn, text);
    else await continueComposing(turn, text);
    return true;
  }
  return false;
}

/** Replies to a directive or to a ticket message keep their thread; "đã đọc", "hài lòng" find theirs. */
async function threads(turn: Turn, intent: Intent): Promise<boolean> {
  if (intent.kind === "read") {
    await readFromText(turn);
    return true;
  }
  if (intent.kind === "satisfied" || intent.kind === "unsatisfied")
    return satisfactionFromText(turn, intent.kind === "satisfied");
  if (intent.kind === "concern")
    return (await questionAboutDirective(turn, intent.text)) || (await memberFollowUp(turn, intent.text));
  return false;
}

/** Cadre commands typed in words, for people who have the right to use them. */
async function cadreWords(turn: Turn, intent: Intent): Promise<boolean> {
  if (intent.kind !== "concern" || !(await hasMeetingRights(turn))) return false;
  const command = cadreCommandFromWords(intent.text);
  if (!command) return false;
  await runCadreCommand(turn, command.name, command.args);
  return true;
}

/** Tried in order before the built-in routing; each returns true when it handled the message. */
const intentHandlers: ((turn: Turn, intent: Intent) => boolean | Promise<boolean>)[] = [
  cancelFlow,
  continueFlow,
  continueReopened,
  handleRsvpIntent,
  threads,
  cadreWords,
];

/** Maps a pending question to the parser's context. Features name their question kinds with these prefixes. */
function contextOf(kind: string | undefined): ParseContext {
  if (!kind) return "none";
  if (kind.startsWith("rsvp") || kind === "reminder") return "reminder";
  if (kind.startsWith("directive")) return "directive";
  return "question";
}

function localeFor(person: PersonRow | null, message: InboundMessage, settings: ConversationSettings): Locale {
  if (person && isLocale(person.locale)) return person.locale;
  const hint = (message as InboundMessage & { languageCode?: string }).languageCode;
  if (!person && hint?.startsWith("en")) return "en";
  return settings.defaultLocale;
}

/**
 * Handles a button payload (pressed, or picked by number from the open question's choices).
 * Returns false when the string is not a valid payload (unknown kind, malformed, or from a
 * version of the bot that no longer exists): the caller answers that the button is not valid.
 */
export async function dispatchPayload(turn: Turn, text: string): Promise<boolean> {
  const payload = decodePayload(text);
  if (!payload) return false;
  await handlePayload(turn, payload);
  return true;
}

/**
 * Handles one stored inbound message and returns the replies to send. `question`: the account's
 * open question when the caller read it with the account (undefined: none open), else it is read.
 */
export async function converse(
  db: Database,
  settings: ConversationSettings,
  message: InboundMessage,
  account: ChatAccountRow,
  person: PersonRow | null,
  logId: number,
  now: Date,
  question?: { open: PendingQuestion | undefined },
): Promise<TurnOutcome> {
  const pending = questionForChat(message, question ? question.open : await getPendingQuestion(db, account.id, now));
  const turn = new Turn(
    db,
    settings,
    message,
    account,
    person,
    logId,
    now,
    pending,
    localeFor(person, message, settings),
  );
  await route(turn);
  return { replies: turn.replies, entityType: turn.entityType, entityId: turn.entityId };
}

async function route(turn: Turn): Promise<void> {
  const { message } = turn;
  const intent = message.kind === "text" ? parseIntent(message.text ?? "", contextOf(turn.pending?.kind)) : undefined;
  // Groups: only allowed ones, and only what is public (chat-privacy.ts); the rest goes private.
  if (await settleInGroup(turn, intent)) return;

  if (message.kind === "contact") return linkWithContact(turn);

  if (message.kind === "callback" && message.payload) {
    if (!turn.person && decodePayload(message.payload)?.kind !== "lang") return replyToStranger(turn);
    if (await dispatchPayload(turn, message.payload)) return;
    return turn.reply(turn.t("chat.button_no_longer_valid"));
  }

  if (message.kind === "reaction") return answerReaction(turn);

  if (message.kind !== "text") {
    if (!turn.person) return replyToStranger(turn);
    return turn.reply(turn.t("chat.non_text"));
  }

  if (!intent) return;
  if (!turn.person) return routeStranger(turn, intent);
  for (const handler of intentHandlers) if (await handler(turn, intent)) return;
  await routeMember(turn, intent);
}

async function routeStranger(turn: Turn, intent: Intent): Promise<void> {
  if (intent.kind === "link") return await linkWithCode(turn, intent.code);
  if (intent.kind === "command" && intent.name === "start" && intent.args.replace(/\D/g, "").length >= 6)
    return await linkWithCode(turn, intent.args);
  if (intent.kind === "help" || (intent.kind === "command" && intent.name === "trogiup")) return sendHelp(turn);
  if (turn.message.chatType === "group")
    return turn.reply(turn.t("chat.group_not_linked", { name: turn.message.sender.name ?? "" }));
  replyToStranger(turn);
}

async function routeMember(turn: Turn, intent: Intent): Promise<void> {
  const pending = turn.pending;
  switch (intent.kind) {
    case "choice":
    case "yes":
    case "no": {
      const choices = pending?.data.choices;
      if (!pending || !choices?.length) return turn.reply(turn.t("chat.no_open_question"));
      const index = intent.kind === "choice" ? intent.index - 1 : intent.kind === "yes" ? 0 : 1;
      const payload = choices[index];
      if (payload === undefined || !(await dispatchPayload(turn, payload)))
        return turn.reply(turn.t("chat.not_understood"));
      return;
    }
    case "link":
      return linkWithCode(turn, intent.code);
    case "command":
      return routeCommand(turn, intent.name, intent.args);
    case "help":
      return sendHelp(turn);
    case "schedule":
      return sendSchedule(turn);
    case "language":
      return intent.locale ? await setLanguage(turn, intent.locale) : await askLanguage(turn);
    case "unlink":
      return askUnlink(turn);
    case "concern_start":
      return askConcernText(turn);
    case "empty":
      // Thanks or a lone particle deserves an acknowledgement, not "you sent nothing".
      return turn.reply(turn.t((turn.message.text ?? "").trim() ? "chat.ack" : "chat.empty"));
    case "attend":
    case "absent":
    case "unsure":
      return turn.reply(turn.t("chat.no_pending_meeting"));
    case "satisfied":
    case "unsatisfied":
      return turn.reply(turn.t("chat.no_open_question"));
    case "mixed":
    case "concern":
      // After "/ykien" too, the text gets the one-tap confirmation before it becomes a ticket.
      await turn.closeQuestion("concern_text");
      return offerConcern(turn, intent.text);
  }
}

async function routeCommand(turn: Turn, name: string, args: string): Promise<void> {
  switch (name) {
    case "start":
      if (args.replace(/\D/g, "").length >= 6) return await linkWithCode(turn, args);
      return sendWelcome(turn);
    case "trogiup":
    case "help":
      return sendHelp(turn);
    case "lich":
      return sendSchedule(turn);
    case "ngonngu": {
      const wanted = args.trim().toLowerCase();
      if (wanted === "vi" || wanted === "en") return await setLanguage(turn, wanted);
      return await askLanguage(turn);
    }
    case "huylienket":
      return await askUnlink(turn);
    case "ykien":
      // Handlers get the queue (/ykien); anyone opens a concern by number (/ykien 12: a member
      // their own); members start a concern (/ykien, /ykien text).
      if (/^#?\d+$/.test(args.trim())) return await showTicket(turn, Number(args.trim().replace("#", "")));
      if ((await hasTicketRights(turn)) && !args.trim()) return await runTicketCommand(turn, "ykien", args);
      if (args.trim().length >= 3) return createConcernTicket(turn, args.trim(), turn.logId);
      return await askConcernText(turn);
    case "vanban":
      return await listForMember(turn, args);
    case "trangthai":
      if (!turn.person || !(await scopeRoots(turn.db, turn.person.id, "administer")).length)
        return turn.reply(turn.t("meetings.cadre_no_right"));
      return turn.reply(
        [turn.t("chat.status_header"), ...((await turn.settings.channelStatus?.(turn.locale)) ?? [])].join("\n"),
      );
    case "guivanban":
      return await startComposing(turn);
    default:
      if ((ticketCommands as readonly string[]).includes(name)) {
        if (!(await hasTicketRights(turn))) return turn.reply(turn.t("meetings.cadre_no_right"));
        return await runTicketCommand(turn, name, args);
      }
      if ((cadreCommands as readonly string[]).includes(name))
        return await runCadreCommand(turn, name as (typeof cadreCommands)[number], args);
      return turn.reply(turn.t("chat.not_understood"));
  }
}
