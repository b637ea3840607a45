/**
 * Starts the fake Telegram Bot API and load generator (telegram-peer.ts) in a process of its own,
 * so its work does not count against the service being measured, and talks to it by IPC.
 */
import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface TelegramPeer {
  apiRoot: string;
  token: string;
  /** Sends a command and resolves with the peer's answer (answers come back in order). */
  ask<T>(command: object): Promise<T>;
  stop(): void;
}

/** `env`: the peer's settings (PEER_LIMITS, PEER_JITTER_MS, PEER_LATENCY_MS…), added to ours. */
export async function startTelegramPeer(env: Record<string, string> = {}): Promise<TelegramPeer> {
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), "telegram-peer.ts"), {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
  });
  const inbox: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  child.on("message", (m) => (waiters.length ? waiters.shift()!(m) : inbox.push(m)));
  const next = <T>(): Promise<T> =>
    new Promise((resolve) =>
      inbox.length ? resolve(inbox.shift() as T) : waiters.push(resolve as (m: unknown) => void),
    );
  const { apiRoot, token } = await next<{ apiRoot: string; token: string }>();
  return {
    apiRoot,
    token,
    ask<T>(command: object) {
      child.send(command);
      return next<T>();
    },
    stop: () => child.send({ kind: "stop" }),
  };
}
