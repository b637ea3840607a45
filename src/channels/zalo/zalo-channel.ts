/**
 * The Zalo personal account as a Channel: inbound events (from the supervisor, which owns the login
 * and the listener) become InboundMessages, outbound messages become zca-js sends.
 *
 * Inbound, live events and the history replayed after each connection go through one path: an
 * in-memory LRU skips what it saw (the inbox dedupes by event id for the rest); groups no admin
 * allowed are recorded for the admins. Sending needs only a logged-in API (not the listener), so
 * sends go on during a socket gap. While there is no API, sends are answered "rate_limited,
 * platform-wide" so the outbox keeps the messages instead of spending attempts.
 */
import { LRUCache } from "lru-cache";
import type { Logger } from "../../lib/logger.ts";
import {
  isOwnZaloMessage,
  isZaloGroupAllowed,
  nameZaloGroup,
  registerZaloGroup,
} from "../../domain/channels-state/zalo-state.ts";
import {
  ChannelSendError,
  choicesAsText,
  splitText,
  type Channel,
  type ChannelCapabilities,
  type InboundHandler,
  type OutboundMessage,
  type SendResult,
  type SendTarget,
} from "../channel.ts";
import type { ZaloStatus } from "./credential-store.ts";
import { interpretZaloEvent, zca, type MessageContent, type SendMessageQuote } from "./normalise-zalo-event.ts";
import { classifyZaloError, isSessionError, loggable } from "./zalo-errors.ts";
import { ZaloSupervisor, type ZaloEventSource, type ZaloSupervisorOptions } from "./zalo-supervisor.ts";

export const zaloMaxLength = 2000;

/**
 * Start a group message with this to mention everyone (@all) on Zalo, e.g. a meeting reminder:
 * `${mentionAllPrefix} Họp chi hội 19:30 thứ Sáu…`. In a group the prefix becomes a real @all
 * mention and the message is marked important; in a private chat it is removed. Other platforms
 * show it as plain text.
 */
export const mentionAllPrefix = "@All";

/** Prefixes a text with the @all mention (see mentionAllPrefix). */
export function withMentionAll(text: string): string {
  return text.startsWith(mentionAllPrefix) ? text : `${mentionAllPrefix} ${text}`;
}

/** The supervisor's options (login, timing, admin alerts), without its event handler: the channel is it. */
export type ZaloChannelOptions = Omit<ZaloSupervisorOptions, "handleEvent"> & {
  /** Whether an admin allowed a group; default: ChatGroup(platform "zalo", allowed). */
  isGroupAllowed?: (groupId: string) => boolean | Promise<boolean>;
};

export class ZaloChannel implements Channel {
  readonly id = "zalo" as const;
  readonly capabilities: ChannelCapabilities = { buttons: false, maxLength: zaloMaxLength, groups: true };

  readonly #log: Logger;
  readonly #supervisor: ZaloSupervisor;
  readonly #isGroupAllowed: (groupId: string) => boolean | Promise<boolean>;
  readonly #now: () => Date;
  #handler?: InboundHandler;
  readonly #seen = new LRUCache<string, true>({ max: 5000 });
  /** Recent inbound text messages, to quote them in group replies. */
  readonly #recent = new LRUCache<string, SendMessageQuote>({ max: 500 });
  readonly #knownGroups = new Set<string>();

  constructor(readonly options: ZaloChannelOptions) {
    this.#log = options.logger.child({ module: "zalo" });
    this.#isGroupAllowed = options.isGroupAllowed ?? ((groupId) => isZaloGroupAllowed(options.db, groupId));
    this.#now = options.now ?? (() => new Date());
    this.#supervisor = new ZaloSupervisor({
      ...options,
      handleEvent: (event, source) => this.#handleEvent(event, source),
    });
  }

  /** The channel's status as stored (shared with `chihoi zalo status`). */
  status(): Promise<ZaloStatus> {
    return this.#supervisor.status();
  }

  /**
   * Starts the supervisor and returns at once; never throws. Without usable credentials it records
   * needs_login, tells the admins and waits for new credentials while the rest of the service runs.
   */
  async start(handler: InboundHandler): Promise<void> {
    this.#handler = handler;
    await this.#supervisor.start();
  }

  /**
   * Stops the supervisor and closes the socket cleanly, waiting (up to `closeTimeoutMs`) until it
   * is closed: a socket left half-open is what makes Zalo kick the next start with 3003.
   */
  async stop(): Promise<void> {
    await this.#supervisor.stop();
    this.#handler = undefined;
  }

  // ──────────────────────────────────────────────────────────── inbound

  async #isOwnMessage(chatId: string, msgId: string): Promise<boolean> {
    return await isOwnZaloMessage(this.options.db, chatId, msgId);
  }

  /** Notes a group the account is in but no admin allowed yet, so that admins can find and allow it. */
  async #registerGroup(groupId: string): Promise<void> {
    if (this.#knownGroups.has(groupId)) return;
    this.#knownGroups.add(groupId);
    if (!(await registerZaloGroup(this.options.db, groupId, this.#now()))) return;
    this.#log.info({ groupId }, "message from a Zalo group that is not allowed; recorded for the admins");
    const api = this.#supervisor.api;
    if (!api?.getGroupInfo) return;
    void api
      .getGroupInfo(groupId)
      .then(async (info) => {
        const name = info?.gridInfoMap?.[groupId]?.name;
        if (name) await nameZaloGroup(this.options.db, groupId, name);
      })
      .catch((error) => this.#log.debug({ err: loggable(error) }, "could not read the Zalo group name"));
  }

  /** The error boundary: one bad event never stops the listener or the queue. */
  async #handleEvent(event: unknown, source: ZaloEventSource): Promise<void> {
    try {
      const self = this.#supervisor.self;
      const handler = this.#handler;
      if (!self || !handler) return;
      if (source === "live") this.#supervisor.noteLiveEvent();
      const result = await interpretZaloEvent(event, {
        self,
        isGroupAllowed: this.#isGroupAllowed,
        isOwnMessage: (chatId, msgId) => this.#isOwnMessage(chatId, msgId),
      });
      if ("skip" in result) {
        if (result.skip === "group_not_allowed" && result.chatId) await this.#registerGroup(result.chatId);
        if (result.skip !== "group_not_addressed") this.#log.debug({ skip: result.skip, source }, "Zalo event skipped");
        return;
      }
      const message = result.message;
      if (this.#seen.has(message.eventId)) return;
      if (source === "history" && !this.#supervisor.isReplayable(message.at)) return;
      this.#seen.set(message.eventId, true);
      const data = (event as { data?: unknown }).data as SendMessageQuote | undefined;
      if (message.kind === "text" && message.messageId && data && typeof data.content === "string")
        this.#recent.set(message.messageId, data);
      try {
        await handler(message);
      } catch (error) {
        // Not seen after all: a later history replay may deliver it again.
        this.#seen.delete(message.eventId);
        throw error;
      }
      if (source === "history") this.#supervisor.noteHistoryHandled(message.at);
    } catch (error) {
      this.#log.error({ err: loggable(error), source }, "error while handling a Zalo event");
    }
  }

  // ──────────────────────────────────────────────────────────── outbound

  async send(target: SendTarget, message: OutboundMessage): Promise<SendResult> {
    const supervisor = this.#supervisor;
    const api = supervisor.api;
    if (!api || supervisor.stopping) {
      const waiting = supervisor.state === "connecting";
      throw new ChannelSendError("rate_limited", `zalo: not logged in (${supervisor.state})`, {
        retryAfterSeconds: waiting ? 30 : 300,
        scope: "platform",
      });
    }
    const isGroup = target.chatType === "group";
    let text = choicesAsText(message);
    const mentionAll = text.startsWith(mentionAllPrefix);
    if (mentionAll && !isGroup) text = text.slice(mentionAllPrefix.length).trimStart();
    const parts = splitText(text.trim() ? text : " ", zaloMaxLength);
    const ids: string[] = [];
    for (const [i, part] of parts.entries()) {
      const content: MessageContent = { msg: part };
      if (i === 0 && isGroup && mentionAll) {
        content.mentions = [{ pos: 0, uid: "-1", len: mentionAllPrefix.length }];
        content.urgency = zca.Urgency.Important;
      }
      const quote = i === 0 && message.replyTo ? this.#recent.get(message.replyTo) : undefined;
      if (quote) content.quote = quote;
      try {
        const result = await api.sendMessage(
          content,
          target.chatId,
          isGroup ? zca.ThreadType.Group : zca.ThreadType.User,
        );
        const id = result?.message?.msgId;
        if (id !== undefined && id !== null && String(id)) ids.push(String(id));
      } catch (error) {
        if (isSessionError(error)) supervisor.requestRelogin("session expired (send)");
        throw classifyZaloError(error);
      }
    }
    supervisor.snapshotCredentials(api);
    return { messageIds: ids };
  }
}
