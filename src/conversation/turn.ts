/**
 * One turn of a conversation: the message, who sent it, and helpers to reply in their language.
 * Features take a Turn and return replies; they never touch a platform type.
 */
import type { Database } from "../storage/database.ts";
import type { InboundMessage, OutboundMessage, Choice } from "../channels/channel.ts";
import type { ChatAccountRow } from "../domain/accounts/account-service.ts";
import type { PersonRow } from "../domain/people/people-service.ts";
import { errorText, translator, type Locale, type Translate } from "../lib/i18n.ts";
import type { GuessLimits } from "../domain/linking/link-service.ts";
import { setPendingQuestion, clearPendingQuestion, type PendingQuestion } from "../domain/conversation-state.ts";

export interface ConversationSettings {
  timeZone: string;
  defaultLocale: Locale;
  linkCodeTtlDays: number;
  /** Wrong link-code guesses allowed per account, per address and per deployment (defaults apply when absent). */
  linkGuessLimits?: GuessLimits;
  /** Tickets one member may open in 24 hours (default in the ticket service). */
  ticketsPerDay?: number;
  /** Lines describing the chat channels (login state, queues), for admins; given by the composition root. */
  channelStatus?: (locale: Locale) => Promise<string[]>;
}

export interface Reply extends OutboundMessage {
  entityType?: string;
  entityId?: number;
}

export interface TurnOutcome {
  replies: Reply[];
  /** What the inbound message concerned, for the message log. */
  entityType?: string;
  entityId?: number;
}

/** How long an ordinary question stays open. */
export const questionTtlMs = 30 * 60_000;

export class Turn {
  readonly t: Translate;
  readonly replies: Reply[] = [];
  entityType?: string;
  entityId?: number;

  constructor(
    readonly db: Database,
    readonly settings: ConversationSettings,
    readonly message: InboundMessage,
    readonly account: ChatAccountRow,
    public person: PersonRow | null,
    readonly logId: number,
    readonly now: Date,
    readonly pending: PendingQuestion | undefined,
    public locale: Locale,
  ) {
    this.t = translator(locale);
  }

  /** Switches the language of the rest of this turn's replies. */
  useLocale(locale: Locale): void {
    this.locale = locale;
    (this as { t: Translate }).t = translator(locale);
  }

  reply(text: string, choices?: Choice[], entity?: { type: string; id: number }): void {
    this.replies.push({
      text,
      choices,
      locale: this.locale,
      // In a group the bot answers the member's own message so the thread stays readable.
      replyTo: this.message.chatType === "group" ? this.message.messageId : undefined,
      entityType: entity?.type,
      entityId: entity?.id,
    });
  }

  /** Replies with a question whose choices are also understood as "1", "2"… or yes/no. */
  async ask(
    text: string,
    kind: string,
    choices: Choice[],
    data: Record<string, unknown> = {},
    ttlMs = questionTtlMs,
    entity?: { type: string; id: number },
  ): Promise<void> {
    this.reply(text, choices, entity);
    await setPendingQuestion(this.db, {
      chatAccountId: this.account.id,
      kind,
      data: { ...data, choices: choices.map((c) => c.payload) },
      expiresAt: new Date(this.now.getTime() + ttlMs),
      now: this.now,
    });
  }

  /** The localised message of an AppError (see errorText). */
  errorText(
    error: { code: string; params: Record<string, string | number> },
    extra: Record<string, string | number> = {},
  ): string {
    return errorText(this.t, error, extra);
  }

  async closeQuestion(kind?: string): Promise<void> {
    await clearPendingQuestion(this.db, this.account.id, kind);
  }

  concerns(type: string, id: number): void {
    this.entityType = type;
    this.entityId = id;
  }
}
