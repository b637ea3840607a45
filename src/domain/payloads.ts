/**
 * Button payloads: the one typed codec between the buttons the bot sends and the conversation that
 * handles a press (docs/storage.md, "Button payloads").
 *
 * `encodePayload` writes exactly the strings the bot has always sent ("rsvp:12:attend",
 * "tsat:7:yes"…), so buttons already sitting in members' chats keep working; `decodePayload`
 * checks a pressed string with zod and gives the typed value, or null for anything unknown or
 * malformed (the conversation then says the button is no longer valid). Telegram carries at most
 * 64 bytes of callback data: every kind stays within it with the largest ids (tested).
 */
import { z } from "zod";
import { directiveKinds, type DirectiveKind } from "./directives/directive-kinds.ts";
import type { RsvpAnswer } from "./meetings/meeting-types.ts";

/** Telegram's limit on callback data, in bytes. */
export const MAX_PAYLOAD_BYTES = 64;
/** The largest id a payload carries (ids are 32-bit on PostgreSQL). */
export const MAX_PAYLOAD_ID = 2_147_483_647;

export type TicketAction = "take" | "answer" | "escalate" | "close";

export type Payload =
  | { kind: "lang"; locale: "vi" | "en" }
  | { kind: "unlink"; confirm: boolean }
  | { kind: "concern"; confirm: boolean }
  | { kind: "rsvp"; meetingId: number; answer: RsvpAnswer }
  | { kind: "rsvpwhich"; meetingId: number }
  | { kind: "rsvpreason"; meetingId: number }
  | { kind: "rsvpmix"; choice: "answer" | "concern" | "both" }
  | { kind: "mnew"; action: "unit"; unitId: number }
  | { kind: "mnew"; action: "title" | "skip" | "create" | "cancel" }
  | { kind: "mcancel"; meetingId: number; confirm: boolean }
  | { kind: "attend"; action: "all" | "save" }
  | { kind: "dnew"; action: "unit"; unitId: number }
  | { kind: "dnew"; action: "kind"; directiveKind: DirectiveKind }
  | { kind: "dnew"; action: "skip" | "keep" | "send" | "cancel" }
  | { kind: "read"; directiveId: number }
  | { kind: "vb"; directiveId: number }
  | { kind: "tk"; action: TicketAction; ticketId: number }
  | { kind: "tsat"; ticketId: number; satisfied: boolean }
  | { kind: "tkadd"; ticketId: number }
  | { kind: "flow"; action: "cancel" };

export type PayloadKind = Payload["kind"];
/** The payload of one kind. */
export type PayloadOf<K extends PayloadKind> = Extract<Payload, { kind: K }>;

const yesNo = (b: boolean) => (b ? "yes" : "no");

/**
 * The string a button carries for `payload`. Throws (a programming error) for an id that is not
 * an integer in 1…MAX_PAYLOAD_ID, or past 64 bytes: what it writes, `decodePayload` reads back.
 */
export function encodePayload(payload: Payload): string {
  const parts = encodeParts(payload);
  for (const part of parts) {
    if (typeof part === "number" && !(Number.isInteger(part) && part >= 1 && part <= MAX_PAYLOAD_ID))
      throw new Error(`payload id out of range: ${part}`);
  }
  const text = parts.join(":");
  if (Buffer.byteLength(text, "utf8") > MAX_PAYLOAD_BYTES)
    throw new Error(`payload over ${MAX_PAYLOAD_BYTES} bytes: ${text}`);
  return text;
}

function encodeParts(p: Payload): (string | number)[] {
  switch (p.kind) {
    case "lang":
      return ["lang", p.locale];
    case "unlink":
    case "concern":
      return [p.kind, yesNo(p.confirm)];
    case "rsvp":
      return ["rsvp", p.meetingId, p.answer];
    case "rsvpwhich":
      return ["rsvpwhich", p.meetingId];
    case "rsvpreason":
      return ["rsvpreason", p.meetingId, "none"];
    case "rsvpmix":
      return ["rsvpmix", p.choice];
    case "mnew":
      if (p.action === "unit") return ["mnew", "unit", p.unitId];
      return p.action === "title" ? ["mnew", "title", "default"] : ["mnew", p.action];
    case "mcancel":
      return ["mcancel", p.meetingId, yesNo(p.confirm)];
    case "attend":
      return ["attend", p.action];
    case "dnew":
      if (p.action === "unit") return ["dnew", "unit", p.unitId];
      if (p.action === "kind") return ["dnew", "kind", p.directiveKind];
      return ["dnew", p.action];
    case "read":
    case "vb":
      return [p.kind, p.directiveId];
    case "tk":
      return ["tk", p.action, p.ticketId];
    case "tsat":
      return ["tsat", p.ticketId, yesNo(p.satisfied)];
    case "tkadd":
      return ["tkadd", p.ticketId];
    case "flow":
      return ["flow", p.action];
  }
}

// Decoding: the string split at ":" is checked as a tuple per kind.
const id = z
  .string()
  .regex(/^\d{1,10}$/)
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_PAYLOAD_ID));
const yesNoPart = z.enum(["yes", "no"]).transform((v) => v === "yes");
const lit = <T extends string>(v: T) => z.literal(v);

const schemas = new Map<string, z.ZodType<Payload, readonly string[]>>([
  ["lang", z.tuple([lit("lang"), z.enum(["vi", "en"])]).transform(([, locale]) => ({ kind: "lang" as const, locale }))],
  ["unlink", z.tuple([lit("unlink"), yesNoPart]).transform(([, confirm]) => ({ kind: "unlink" as const, confirm }))],
  ["concern", z.tuple([lit("concern"), yesNoPart]).transform(([, confirm]) => ({ kind: "concern" as const, confirm }))],
  [
    "rsvp",
    z
      .tuple([lit("rsvp"), id, z.enum(["attend", "absent", "unsure"])])
      .transform(([, meetingId, answer]) => ({ kind: "rsvp" as const, meetingId, answer })),
  ],
  [
    "rsvpwhich",
    z.tuple([lit("rsvpwhich"), id]).transform(([, meetingId]) => ({ kind: "rsvpwhich" as const, meetingId })),
  ],
  [
    "rsvpreason",
    z
      .tuple([lit("rsvpreason"), id, lit("none")])
      .transform(([, meetingId]) => ({ kind: "rsvpreason" as const, meetingId })),
  ],
  [
    "rsvpmix",
    z
      .tuple([lit("rsvpmix"), z.enum(["answer", "concern", "both"])])
      .transform(([, choice]) => ({ kind: "rsvpmix" as const, choice })),
  ],
  [
    "mnew",
    z.union([
      z
        .tuple([lit("mnew"), lit("unit"), id])
        .transform(([, , unitId]) => ({ kind: "mnew" as const, action: "unit" as const, unitId })),
      z
        .tuple([lit("mnew"), lit("title"), lit("default")])
        .transform(() => ({ kind: "mnew" as const, action: "title" as const })),
      z
        .tuple([lit("mnew"), z.enum(["skip", "create", "cancel"])])
        .transform(([, action]) => ({ kind: "mnew" as const, action })),
    ]),
  ],
  [
    "mcancel",
    z
      .tuple([lit("mcancel"), id, yesNoPart])
      .transform(([, meetingId, confirm]) => ({ kind: "mcancel" as const, meetingId, confirm })),
  ],
  [
    "attend",
    z.tuple([lit("attend"), z.enum(["all", "save"])]).transform(([, action]) => ({ kind: "attend" as const, action })),
  ],
  [
    "dnew",
    z.union([
      z
        .tuple([lit("dnew"), lit("unit"), id])
        .transform(([, , unitId]) => ({ kind: "dnew" as const, action: "unit" as const, unitId })),
      z
        .tuple([lit("dnew"), lit("kind"), z.enum(directiveKinds)])
        .transform(([, , directiveKind]) => ({ kind: "dnew" as const, action: "kind" as const, directiveKind })),
      z
        .tuple([lit("dnew"), z.enum(["skip", "keep", "send", "cancel"])])
        .transform(([, action]) => ({ kind: "dnew" as const, action })),
    ]),
  ],
  ["read", z.tuple([lit("read"), id]).transform(([, directiveId]) => ({ kind: "read" as const, directiveId }))],
  ["vb", z.tuple([lit("vb"), id]).transform(([, directiveId]) => ({ kind: "vb" as const, directiveId }))],
  [
    "tk",
    z
      .tuple([lit("tk"), z.enum(["take", "answer", "escalate", "close"]), id])
      .transform(([, action, ticketId]) => ({ kind: "tk" as const, action, ticketId })),
  ],
  [
    "tsat",
    z
      .tuple([lit("tsat"), id, yesNoPart])
      .transform(([, ticketId, satisfied]) => ({ kind: "tsat" as const, ticketId, satisfied })),
  ],
  ["tkadd", z.tuple([lit("tkadd"), id]).transform(([, ticketId]) => ({ kind: "tkadd" as const, ticketId }))],
  [
    "flow",
    z.tuple([lit("flow"), lit("cancel")]).transform(() => ({ kind: "flow" as const, action: "cancel" as const })),
  ],
]);

/** Every payload kind the codec knows (the conversation dispatches each). */
export const payloadKinds = [
  "lang",
  "unlink",
  "concern",
  "rsvp",
  "rsvpwhich",
  "rsvpreason",
  "rsvpmix",
  "mnew",
  "mcancel",
  "attend",
  "dnew",
  "read",
  "vb",
  "tk",
  "tsat",
  "tkadd",
  "flow",
] as const satisfies readonly PayloadKind[];

/** The payload a pressed button carries, or null when the string is unknown or malformed. */
export function decodePayload(text: string): Payload | null {
  if (typeof text !== "string" || Buffer.byteLength(text, "utf8") > MAX_PAYLOAD_BYTES) return null;
  const parts = text.split(":");
  const schema = schemas.get(parts[0]!);
  if (!schema) return null;
  const parsed = schema.safeParse(parts);
  return parsed.success ? parsed.data : null;
}
