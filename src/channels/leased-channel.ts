/**
 * A channel that only one process at a time may run (the personal Zalo account: a second login
 * elsewhere takes the session over), wrapped so that with several service processes on one
 * database exactly one runs it: the process holding the lease `name` starts the channel, the
 * others keep it stopped, and one of them starts it within ttl + interval (40 s with the defaults)
 * after the holder dies. A process not holding the lease says so (`canSend`), and its delivery
 * engine claims none of the channel's rows; a send that reaches it all the same (the lease lost
 * mid-send) is refused as rate limited for the platform, so the row goes back to the queue.
 */
import type { Database } from "../storage/database.ts";
import type { Logger } from "../lib/logger.ts";
import { LeasedWork } from "../domain/coordination/leased-work.ts";
import {
  ChannelSendError,
  type Channel,
  type InboundHandler,
  type OutboundMessage,
  type SendResult,
  type SendTarget,
} from "./channel.ts";

export interface LeasedChannelOptions {
  db: Database;
  /** The lease's name, e.g. "zalo:listen". */
  name: string;
  logger: Logger;
  ttlMs?: number;
  intervalMs?: number;
}

export class LeasedChannel<C extends Channel> implements Channel {
  readonly #work: LeasedWork;
  readonly #log: Logger;
  #handler?: InboundHandler;

  constructor(
    readonly inner: C,
    readonly options: LeasedChannelOptions,
  ) {
    this.#log = options.logger.child({ module: "leased-channel", channel: inner.id });
    this.#work = new LeasedWork(options.db, options.name, {
      ttlMs: options.ttlMs,
      intervalMs: options.intervalMs,
      begin: async () => {
        this.#log.info({ lease: options.name }, "this process holds the channel's lease; starting it");
        if (this.#handler) await inner.start(this.#handler);
      },
      end: async () => {
        this.#log.info({ lease: options.name }, "the channel's lease was given up or lost; stopping it");
        await inner.stop();
      },
      onError: (error) => this.#log.warn({ err: error, lease: options.name }, "channel lease: error"),
    });
  }

  get id(): C["id"] {
    return this.inner.id;
  }

  get capabilities(): Channel["capabilities"] {
    return this.inner.capabilities;
  }

  /** True while the channel runs in this process (it holds the lease). */
  get active(): boolean {
    return this.#work.running;
  }

  /** Only the process running the channel sends on it. */
  get canSend(): boolean {
    return this.#work.running;
  }

  async start(handler: InboundHandler): Promise<void> {
    this.#handler = handler;
    await this.#work.start();
  }

  async send(target: SendTarget, message: OutboundMessage, pace?: () => Promise<void>): Promise<SendResult> {
    if (!this.#work.running)
      throw new ChannelSendError("rate_limited", `${this.inner.id}: another process runs this channel`, {
        retryAfterSeconds: 30,
        scope: "platform",
      });
    return await this.inner.send(target, message, pace);
  }

  async stop(): Promise<void> {
    await this.#work.stop();
    this.#handler = undefined;
  }
}
