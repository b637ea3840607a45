import { describe, expect, it } from "vitest";
import {
  MAX_PAYLOAD_BYTES,
  MAX_PAYLOAD_ID,
  decodePayload,
  encodePayload,
  payloadKinds,
  type Payload,
} from "../../src/domain/payloads.ts";
import { directiveKinds } from "../../src/domain/directives/directive-service.ts";

const big = MAX_PAYLOAD_ID;

/** Every shape of every kind, with the largest ids. */
const samples: Payload[] = [
  { kind: "lang", locale: "vi" },
  { kind: "lang", locale: "en" },
  { kind: "unlink", confirm: true },
  { kind: "unlink", confirm: false },
  { kind: "concern", confirm: true },
  { kind: "concern", confirm: false },
  ...(["attend", "absent", "unsure"] as const).map((answer): Payload => ({ kind: "rsvp", meetingId: big, answer })),
  { kind: "rsvpwhich", meetingId: big },
  { kind: "rsvpreason", meetingId: big },
  ...(["answer", "concern", "both"] as const).map((choice): Payload => ({ kind: "rsvpmix", choice })),
  { kind: "mnew", action: "unit", unitId: big },
  ...(["title", "skip", "create", "cancel"] as const).map((action): Payload => ({ kind: "mnew", action })),
  { kind: "mcancel", meetingId: big, confirm: true },
  { kind: "mcancel", meetingId: big, confirm: false },
  { kind: "attend", action: "all" },
  { kind: "attend", action: "save" },
  { kind: "dnew", action: "unit", unitId: big },
  ...directiveKinds.map((directiveKind): Payload => ({ kind: "dnew", action: "kind", directiveKind })),
  ...(["skip", "keep", "send", "cancel"] as const).map((action): Payload => ({ kind: "dnew", action })),
  { kind: "read", directiveId: big },
  { kind: "vb", directiveId: big },
  ...(["take", "answer", "escalate", "close"] as const).map(
    (action): Payload => ({ kind: "tk", action, ticketId: big }),
  ),
  { kind: "tsat", ticketId: big, satisfied: true },
  { kind: "tsat", ticketId: big, satisfied: false },
  { kind: "tkadd", ticketId: big },
  { kind: "flow", action: "cancel" },
];

describe("encodePayload", () => {
  it("should cover every kind in the samples", () => {
    expect(new Set(samples.map((p) => p.kind))).toEqual(new Set(payloadKinds));
  });

  it("should round-trip every kind and stay within Telegram's 64 bytes with the largest ids", () => {
    for (const payload of samples) {
      const text = encodePayload(payload);
      expect(Buffer.byteLength(text, "utf8")).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
      expect(decodePayload(text)).toEqual(payload);
    }
  });

  it("should write exactly the strings buttons already sent carry", () => {
    const known: [Payload, string][] = [
      [{ kind: "lang", locale: "en" }, "lang:en"],
      [{ kind: "unlink", confirm: true }, "unlink:yes"],
      [{ kind: "concern", confirm: false }, "concern:no"],
      [{ kind: "rsvp", meetingId: 12, answer: "attend" }, "rsvp:12:attend"],
      [{ kind: "rsvpwhich", meetingId: 12 }, "rsvpwhich:12"],
      [{ kind: "rsvpreason", meetingId: 12 }, "rsvpreason:12:none"],
      [{ kind: "rsvpmix", choice: "both" }, "rsvpmix:both"],
      [{ kind: "mnew", action: "unit", unitId: 4 }, "mnew:unit:4"],
      [{ kind: "mnew", action: "title" }, "mnew:title:default"],
      [{ kind: "mnew", action: "skip" }, "mnew:skip"],
      [{ kind: "mcancel", meetingId: 9, confirm: true }, "mcancel:9:yes"],
      [{ kind: "attend", action: "save" }, "attend:save"],
      [{ kind: "dnew", action: "kind", directiveKind: "chi_thi" }, "dnew:kind:chi_thi"],
      [{ kind: "dnew", action: "unit", unitId: 3 }, "dnew:unit:3"],
      [{ kind: "dnew", action: "keep" }, "dnew:keep"],
      [{ kind: "read", directiveId: 5 }, "read:5"],
      [{ kind: "vb", directiveId: 5 }, "vb:5"],
      [{ kind: "tk", action: "escalate", ticketId: 8 }, "tk:escalate:8"],
      [{ kind: "tsat", ticketId: 8, satisfied: true }, "tsat:8:yes"],
      [{ kind: "tkadd", ticketId: 8 }, "tkadd:8"],
      [{ kind: "flow", action: "cancel" }, "flow:cancel"],
    ];
    for (const [payload, text] of known) {
      expect(encodePayload(payload)).toBe(text);
      expect(decodePayload(text)).toEqual(payload);
    }
  });

  it("should refuse to write an id too large for a payload", () => {
    expect(() => encodePayload({ kind: "read", directiveId: 12 ** 40 })).toThrow();
  });
});

describe("decodePayload", () => {
  it("should give null for unknown kinds and malformed strings", () => {
    for (const text of [
      "",
      ":",
      "x",
      "x:1",
      "__proto__:1",
      "constructor",
      "toString:1",
      "rsvp",
      "rsvp:12",
      "rsvp:12:maybe",
      "rsvp:abc:attend",
      "rsvp:0:attend",
      "rsvp:-1:attend",
      "rsvp:1.5:attend",
      "rsvp:12:attend:extra",
      `rsvp:${MAX_PAYLOAD_ID + 1}:attend`,
      "rsvp:99999999999:attend",
      "RSVP:12:attend",
      "rsvpreason:12",
      "rsvpreason:12:some",
      "rsvpmix:all",
      "mnew:unit",
      "mnew:unit:x",
      "mnew:title",
      "mnew:title:other",
      "mnew:go",
      "mcancel:9",
      "mcancel:9:maybe",
      "attend:none",
      "dnew:kind:law",
      "dnew:unit:",
      "dnew:publish",
      "read:",
      "read:x",
      "vb:1:2",
      "tk:take",
      "tk:steal:8",
      "tk:take:8x",
      "tsat:8",
      "tsat:8:ok",
      "tkadd:",
      "flow:stop",
      "lang:fr",
      "unlink:maybe",
      "concern:1",
      `read:${"9".repeat(70)}`,
    ]) {
      expect(decodePayload(text), text).toBeNull();
    }
  });
});
