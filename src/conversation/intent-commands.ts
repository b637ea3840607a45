/**
 * Commands ("/lich", "/start@ChiHoiBot 483920"), link codes and requests to cancel a flow. These
 * work on the text itself, not on words.
 */
import { foldVietnamese } from "../lib/vietnamese.ts";
import type { Intent } from "./intent.ts";
import { analyse, clean, is, onlyCoreAndAllowed } from "./intent-analysis.ts";
import { CANCEL_COMMANDS } from "./intent-lexicon.ts";
import { own, vocab } from "./intent-vocabulary.ts";

const COMMAND_RE = /^\/([\p{L}\p{N}_]+)(?:@[\p{L}\p{N}_.]*)?([\s\S]*)$/u;
export const TME_RE = /(?:https?:\/\/)?(?:www\.)?(?:t|telegram)\.me\/[A-Za-z0-9_]+\/?\?start=([A-Za-z0-9_-]+)/i;
/** Digits with single spaces, dots or dashes between them: "1234 5678 9012", "123-456". */
const CODE_RE = /(?<!\d)\d(?:[ .-]?\d)*(?!\d)/;
/** Link codes are 12 digits (16 for officials); 6 digits is an old slip, answered as such. */
const CODE_LENGTHS = new Set([6, 12, 16]);

/** A link code, alone or with words like "DK", "mã", "đăng ký", "/start"; digits only. */
export function linkCode(text: string): string | undefined {
  const folded = foldVietnamese(text);
  const match = CODE_RE.exec(folded);
  if (!match) return undefined;
  const code = match[0].replace(/\D/g, "");
  if (!CODE_LENGTHS.has(code.length)) return undefined;
  const rest = `${folded.slice(0, match.index)} ${folded.slice(match.index + match[0].length)}`;
  if (/\d/.test(rest)) return undefined;
  const others = rest.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return others.every((w) => vocab.linkFillers.has(w)) ? code : undefined;
}

const COMMAND_ALIASES: Readonly<Record<string, string>> = {
  help: "trogiup",
  huongdan: "trogiup",
  giupdo: "trogiup",
  menu: "trogiup",
  schedule: "lich",
  lichhop: "lich",
  language: "ngonngu",
  lang: "ngonngu",
  unlink: "huylienket",
  ykien: "ykien",
  gopy: "ykien",
};

/**
 * "/cmd@BotName args". Commands that have a dedicated intent return it (the fixture expects
 * "/help" → help, "/lich" → schedule, "/start 483920" → link); the others return `command`.
 */
export function parseCommand(text: string): Intent | undefined {
  const match = COMMAND_RE.exec(text);
  if (!match) return undefined;
  const folded = foldVietnamese(match[1] ?? "");
  const name = own(COMMAND_ALIASES, folded) ?? folded;
  let args = (match[2] ?? "").trim();
  if (!/[\p{L}\p{N}]/u.test(args)) args = "";
  switch (name) {
    case "trogiup":
      return { kind: "help" };
    case "lich":
      return { kind: "schedule" };
    case "huylienket":
      return { kind: "unlink" };
    case "ngonngu": {
      const words = args ? analyse(args).words : [];
      if (words.some((w) => is(w, vocab.languageCodesEn))) return { kind: "language", locale: "en" };
      if (words.some((w) => is(w, vocab.languageCodesVi))) return { kind: "language", locale: "vi" };
      return { kind: "language" };
    }
    case "start": {
      const code = args ? linkCode(args) : undefined;
      if (code) return { kind: "link", code };
      return { kind: "command", name, args };
    }
    default:
      return { kind: "command", name, args };
  }
}

/**
 * True when the message asks to stop the flow in progress: "hủy", "huy", "/huy", "thôi", "cancel",
 * "/cancel", "dừng lại ạ"… (the words alone, with particles). Guided flows check it first, so the
 * word never becomes a value ("hủy" as a document kind).
 */
export function isCancelRequest(text: string): boolean {
  const cleaned = clean(typeof text === "string" ? text : "");
  if (!cleaned || cleaned.length > 60) return false;
  const command = COMMAND_RE.exec(cleaned);
  if (command)
    return CANCEL_COMMANDS.includes(foldVietnamese(command[1] ?? "")) && !/[\p{L}\p{N}]/u.test(command[2] ?? "");
  return onlyCoreAndAllowed(analyse(cleaned).words, (w) => is(w, vocab.cancel), vocab.cancelAllowed, vocab.polite);
}
