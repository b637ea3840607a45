/**
 * Cadre commands in chat: create a meeting through a guided conversation, list upcoming meetings,
 * cancel or move one, see the tally, record attendance. Only cadres and officials of the meeting's
 * unit (or an ancestor) may; everyone else is told politely.
 */
import { isAppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { formatMeetingTime, formatShortDate } from "../../lib/zoned-time.ts";
import { can, scopeRoots } from "../../domain/access/access-scope.ts";
import { personActor } from "../../domain/access/actor.ts";
import { getUnit, resolveUnit, subtreeIds } from "../../domain/units/unit-service.ts";
import { parseMeetingDateTime } from "../../domain/meetings/parse-datetime.ts";
import { describeRecurrence, type RecurrenceRule } from "../../domain/meetings/recurrence.ts";
import { parseMeetingWhen } from "../../domain/meetings/meeting-when.ts";
import {
  cancelMeeting,
  createMeeting,
  createSeries,
  getMeeting,
  invitees,
  listUnitMeetings,
  meetingText,
  moveMeeting,
  type MeetingRow,
} from "../../domain/meetings/meeting-service.ts";
import { tallyText } from "../../domain/meetings/meeting-messages.ts";
import { movedTallyAt } from "../../domain/meetings/reminder-plan.ts";
import { attendanceOf, meetingTally, recordAttendance } from "../../domain/meetings/rsvp-service.ts";
import { getPerson } from "../../domain/people/people-service.ts";
import { encodePayload, type PayloadOf } from "../../domain/payloads.ts";
import type { Turn } from "../turn.ts";
import { cancelChoice } from "./flow-cancel.ts";

const flowTtlMs = 2 * 3_600_000;

/** Cadre commands and the plain words that reach them. */
export const cadreCommands = ["taohop", "hop", "huyhop", "doihop", "tonghop", "diemdanh"] as const;
const cadreWords: [RegExp, (typeof cadreCommands)[number]][] = [
  [/^(tao|dat|len) (lich )?(hop|sinh hoat|buoi sinh hoat)\b/, "taohop"],
  [/^diem danh\b/, "diemdanh"],
  [/^(tong hop|thong ke) (tra loi|hop|buoi)\b/, "tonghop"],
  [/^huy (lich )?(hop|buoi|sinh hoat)\b/, "huyhop"],
  [/^(doi|doi lich|chuyen|hoan) (hop|buoi|lich hop)\b/, "doihop"],
  [/^(cac buoi hop|lich hop cua chi hoi|danh sach buoi hop)\b/, "hop"],
];

/** A cadre command typed in words ("điểm danh 12"), for people with the right to use it. */
export function cadreCommandFromWords(
  text: string,
): { name: (typeof cadreCommands)[number]; args: string } | undefined {
  const folded = foldVietnamese(text);
  for (const [re, name] of cadreWords) {
    const m = re.exec(folded);
    if (m) return { name, args: folded.slice(m[0].length).trim() };
  }
  return undefined;
}

export async function hasMeetingRights(turn: Turn): Promise<boolean> {
  return Boolean(turn.person && (await scopeRoots(turn.db, turn.person.id, "manage_meetings")).length);
}

function when(turn: Turn, ms: number): string {
  return formatMeetingTime(new Date(ms), turn.settings.timeZone, turn.locale);
}

function ctx(turn: Turn) {
  return { now: turn.now, timeZone: turn.settings.timeZone, actor: personActor(turn.person!.id) };
}

/** The meeting named by "#12"/"12" in args, if the person may manage it; replies otherwise. */
async function meetingArg(turn: Turn, args: string, command: string): Promise<MeetingRow | undefined> {
  const m = /#?(\d+)/.exec(args);
  if (!m) {
    turn.reply(turn.t("meetings.need_id", { command }));
    return undefined;
  }
  try {
    const meeting = await getMeeting(turn.db, Number(m[1]));
    if (!(await can(turn.db, turn.person!.id, "manage_meetings", meeting.unitId))) {
      turn.reply(turn.t("meetings.cadre_no_right"));
      return undefined;
    }
    return meeting;
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(turn.errorText(error, { what: `#${m[1]}` }));
    return undefined;
  }
}

export async function runCadreCommand(turn: Turn, name: (typeof cadreCommands)[number], args: string): Promise<void> {
  if (!(await hasMeetingRights(turn))) return turn.reply(turn.t("meetings.cadre_no_right"));
  switch (name) {
    case "taohop":
      return startCreation(turn);
    case "hop":
      return listMeetings(turn);
    case "tonghop": {
      const meeting = await meetingArg(turn, args, name);
      if (meeting) await sendTally(turn, meeting);
      return;
    }
    case "huyhop": {
      const meeting = await meetingArg(turn, args, name);
      if (!meeting) return;
      await turn.ask(
        turn.t("meetings.cancel_ask", { title: meeting.title, when: when(turn, meeting.startsAt) }),
        "meeting_cancel",
        [
          {
            label: turn.t("meetings.cancel_yes"),
            payload: encodePayload({ kind: "mcancel", meetingId: meeting.id, confirm: true }),
          },
          {
            label: turn.t("meetings.cancel_no"),
            payload: encodePayload({ kind: "mcancel", meetingId: meeting.id, confirm: false }),
          },
        ],
      );
      return;
    }
    case "doihop": {
      const meeting = await meetingArg(turn, args, name);
      if (!meeting) return;
      const text = args.replace(/^#?\d+\s*/, "");
      if (!text) return turn.reply(turn.t("meetings.move_need_time", { id: meeting.id }));
      try {
        const startsAt = parseMeetingDateTime(text, turn.now, turn.settings.timeZone);
        const { meeting: moved, notified } = await moveMeeting(turn.db, meeting.id, startsAt, ctx(turn));
        turn.reply(turn.t("meetings.moved", { id: moved.id, when: when(turn, moved.startsAt), notified }));
      } catch (error) {
        if (!isAppError(error)) throw error;
        turn.reply(turn.errorText(error, { input: text, when: text }));
      }
      return;
    }
    case "diemdanh": {
      const meeting = await meetingArg(turn, args, name);
      if (meeting) await startAttendance(turn, meeting);
      return;
    }
  }
}

async function listMeetings(turn: Turn): Promise<void> {
  const roots = await scopeRoots(turn.db, turn.person!.id, "manage_meetings");
  const unitIds = [...new Set((await Promise.all(roots.map((r) => subtreeIds(turn.db, r.unitId)))).flat())];
  const meetings = await listUnitMeetings(turn.db, unitIds, { from: turn.now, limit: 10 });
  if (!meetings.length) return turn.reply(turn.t("meetings.list_none"));
  const lines = await Promise.all(
    meetings.map(async (m) => {
      const tally = await meetingTally(turn.db, m.id);
      const answered = tally.attend.length + tally.absent.length + tally.unsure.length;
      return turn.t("meetings.list_line", {
        id: m.id,
        when: formatShortDate(new Date(m.startsAt), turn.settings.timeZone, turn.locale),
        title: m.title,
        unit: m.unitName,
        answered,
        invited: tally.invited,
      });
    }),
  );
  turn.reply([turn.t("meetings.list_header"), ...lines, "", turn.t("meetings.list_hint")].join("\n"));
}

export async function sendTally(turn: Turn, meeting: MeetingRow): Promise<void> {
  const text = tallyText({
    tally: await meetingTally(turn.db, meeting.id),
    meeting: await meetingText(turn.db, meeting),
    locale: turn.locale,
    timeZone: turn.settings.timeZone,
    // Asked for: every name, not the first TALLY_NAMES_SHOWN of the tally sent unasked.
    namesShown: Number.POSITIVE_INFINITY,
  });
  turn.reply(text, undefined, { type: "Meeting", id: meeting.id });
}

// ---- guided creation -------------------------------------------------------------------------

interface Draft {
  step: "unit" | "title" | "when" | "place" | "agenda" | "confirm";
  unitId?: number;
  title?: string;
  startsAt?: number;
  rule?: RecurrenceRule;
  time?: { hour: number; minute: number };
  place?: string;
  agenda?: string;
  choices?: string[];
}

async function askStep(turn: Turn, draft: Draft): Promise<void> {
  const t = turn.t;
  // Every step but the summary (which has its own "Hủy") ends with the "Hủy" button.
  const save = (text: string, choices: { label: string; payload: string }[] = []) =>
    turn.ask(
      text,
      "meeting_new",
      draft.step === "confirm" ? choices : [...choices, cancelChoice(turn)],
      { ...draft },
      flowTtlMs,
    );
  switch (draft.step) {
    case "unit": {
      const roots = (await scopeRoots(turn.db, turn.person!.id, "manage_meetings")).slice(0, 8);
      return save(
        `${t("meetings.new_unit")} ${t("meetings.new_unit_hint")}`,
        await Promise.all(
          roots.map(async (r) => ({
            label: (await getUnit(turn.db, r.unitId)).name,
            payload: encodePayload({ kind: "mnew", action: "unit", unitId: r.unitId }),
          })),
        ),
      );
    }
    case "title":
      return save(t("meetings.new_title"), [
        { label: t("meetings.default_title"), payload: encodePayload({ kind: "mnew", action: "title" }) },
      ]);
    case "when":
      return save(t("meetings.new_when"));
    case "place":
      return save(t("meetings.new_place"), [
        { label: t("meetings.skip"), payload: encodePayload({ kind: "mnew", action: "skip" }) },
      ]);
    case "agenda":
      return save(t("meetings.new_agenda"), [
        { label: t("meetings.skip"), payload: encodePayload({ kind: "mnew", action: "skip" }) },
      ]);
    case "confirm": {
      const unit = await getUnit(turn.db, draft.unitId!);
      const whenText = draft.rule
        ? describeRecurrence(draft.rule, draft.time!, turn.locale)
        : when(turn, draft.startsAt!);
      return save(
        t("meetings.new_summary", {
          unit: unit.name,
          title: draft.title!,
          when: whenText,
          place: draft.place || t("meetings.empty_value"),
          agenda: draft.agenda || t("meetings.empty_value"),
        }),
        [
          { label: t("meetings.create"), payload: encodePayload({ kind: "mnew", action: "create" }) },
          { label: t("meetings.cancel"), payload: encodePayload({ kind: "mnew", action: "cancel" }) },
        ],
      );
    }
  }
}

async function startCreation(turn: Turn): Promise<void> {
  const roots = await scopeRoots(turn.db, turn.person!.id, "manage_meetings");
  const draft: Draft = { step: "unit" };
  // One unit in scope and it has no sub-units to choose from: no need to ask.
  if (roots.length === 1 && (await subtreeIds(turn.db, roots[0]!.unitId)).length === 1) {
    draft.unitId = roots[0]!.unitId;
    draft.step = "title";
  }
  await askStep(turn, draft);
}

const skipWords = /^(bo qua|khong|ko|k|skip|-|\.|chua co)$/;

/** Text typed while a creation question is open. */
export async function continueCreation(turn: Turn, text: string): Promise<void> {
  const draft = { ...(turn.pending!.data as unknown as Draft) };
  const value = text.trim();
  const folded = foldVietnamese(value);
  try {
    switch (draft.step) {
      case "unit": {
        const unit = await unitInScope(turn, value);
        if (!unit) {
          turn.reply(turn.t("errors.unit_not_found", { unit: value }));
          break;
        }
        draft.unitId = unit.id;
        draft.step = "title";
        break;
      }
      case "title":
        if (!value || value.length > 200) return await askStep(turn, draft);
        draft.title = value;
        draft.step = "when";
        break;
      case "when":
        Object.assign(draft, parseWhen(turn, value));
        draft.step = "place";
        break;
      case "place":
        draft.place = skipWords.test(folded) ? "" : value.slice(0, 200);
        draft.step = "agenda";
        break;
      case "agenda":
        draft.agenda = skipWords.test(folded) ? "" : value.slice(0, 1000);
        draft.step = "confirm";
        break;
      case "confirm":
        if (/^(co|ok|dong y|tao|tao lich|yes|create|1)$/.test(folded)) return await finishCreation(turn, draft, true);
        if (/^(khong|ko|huy|no|2)$/.test(folded)) return await finishCreation(turn, draft, false);
        break;
    }
  } catch (error) {
    if (error instanceof TimeMissing) turn.reply(turn.t("meetings.time_missing_repeat"));
    else if (isAppError(error)) turn.reply(turn.errorText(error, { input: value, when: value, unit: value }));
    else throw error;
  }
  await askStep(turn, draft);
}

/** A unit the person may schedule for, by what they typed (searched within each of their scope roots). */
async function unitInScope(turn: Turn, text: string) {
  for (const root of await scopeRoots(turn.db, turn.person!.id, "manage_meetings")) {
    try {
      return await resolveUnit(turn.db, text, root.unitId);
    } catch (error) {
      if (!isAppError(error, "unit_not_found") && !isAppError(error, "unit_ambiguous")) throw error;
    }
  }
  return undefined;
}

class TimeMissing extends Error {}

function parseWhen(turn: Turn, text: string): Partial<Draft> {
  // The same reading as the web workplace's form (domain/meetings/meeting-when.ts).
  const parsed = parseMeetingWhen(text, turn.now, turn.settings.timeZone);
  if (parsed.kind === "series") {
    if (!parsed.time) throw new TimeMissing();
    return { rule: parsed.rule, time: parsed.time, startsAt: undefined };
  }
  return { startsAt: parsed.startsAt.getTime(), rule: undefined, time: undefined };
}

async function finishCreation(turn: Turn, draft: Draft, create: boolean): Promise<void> {
  await turn.closeQuestion("meeting_new");
  if (!create) return turn.reply(turn.t("meetings.creation_cancelled"));
  if (!(await can(turn.db, turn.person!.id, "manage_meetings", draft.unitId!)))
    return turn.reply(turn.t("meetings.cadre_no_right"));
  const base = {
    unitId: draft.unitId!,
    title: draft.title ?? turn.t("meetings.default_title"),
    place: draft.place ?? "",
    agenda: draft.agenda ?? "",
  };
  try {
    if (draft.rule) {
      const { meetings } = await createSeries(turn.db, { ...base, rule: draft.rule, time: draft.time! }, ctx(turn));
      const first = meetings[0];
      turn.reply(
        turn.t("meetings.created_series", {
          title: base.title,
          rule: describeRecurrence(draft.rule, draft.time!, turn.locale),
          when: first ? when(turn, first.startsAt) : "—",
          id: first?.id ?? "—",
        }),
      );
      if (first) turn.concerns("Meeting", first.id);
      return;
    }
    const meeting = await createMeeting(turn.db, { ...base, startsAt: new Date(draft.startsAt!) }, ctx(turn));
    turn.concerns("Meeting", meeting.id);
    const lines = [
      turn.t("meetings.created_one", { id: meeting.id, title: meeting.title, when: when(turn, meeting.startsAt) }),
    ];
    const tallyAt = await movedTallyAt(turn.db, meeting);
    if (tallyAt !== null) lines.push(turn.t("rights.short_notice_tally", { when: when(turn, tallyAt) }));
    turn.reply(lines.join("\n"));
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(turn.errorText(error, { when: when(turn, draft.startsAt ?? turn.now.getTime()) }));
  }
}

// ---- attendance ------------------------------------------------------------------------------

interface AttendanceDraft {
  meetingId: number;
  order: number[];
  present: number[];
}

async function startAttendance(turn: Turn, meeting: MeetingRow): Promise<void> {
  if (meeting.startsAt > turn.now.getTime()) return turn.reply(turn.t("meetings.attendance_not_started"));
  const order = await invitees(turn.db, meeting.id);
  const recorded = await attendanceOf(turn.db, meeting.id);
  const tally = await meetingTally(turn.db, meeting.id);
  // Start from what is known: recorded attendance, else those who said they would come.
  const present = recorded.size ? order.filter((id) => recorded.get(id)) : tally.attend.map((p) => p.personId);
  await showAttendance(turn, { meetingId: meeting.id, order, present });
}

async function showAttendance(turn: Turn, draft: AttendanceDraft): Promise<void> {
  const meeting = await getMeeting(turn.db, draft.meetingId);
  const present = new Set(draft.present);
  const lines = await Promise.all(
    draft.order.map(async (id, i) =>
      turn.t("meetings.attendance_line", {
        n: i + 1,
        mark: present.has(id) ? "✓" : "✗",
        name: (await getPerson(turn.db, id)).fullName,
      }),
    ),
  );
  await turn.ask(
    turn.t("meetings.attendance_list", {
      title: meeting.title,
      when: when(turn, meeting.startsAt),
      lines: lines.join("\n"),
    }),
    "attendance",
    [
      { label: turn.t("meetings.attendance_all"), payload: encodePayload({ kind: "attend", action: "all" }) },
      { label: turn.t("meetings.attendance_save"), payload: encodePayload({ kind: "attend", action: "save" }) },
      cancelChoice(turn),
    ],
    { ...draft },
    flowTtlMs,
    { type: "Meeting", id: draft.meetingId },
  );
}

async function saveAttendance(turn: Turn, draft: AttendanceDraft): Promise<void> {
  await turn.closeQuestion("attendance");
  try {
    const result = await recordAttendance(turn.db, {
      meetingId: draft.meetingId,
      presentPersonIds: draft.present,
      actor: personActor(turn.person!.id),
      now: turn.now,
    });
    turn.concerns("Meeting", draft.meetingId);
    turn.reply(
      turn.t("meetings.attendance_saved", {
        id: draft.meetingId,
        present: result.present,
        total: result.present + result.absent,
      }),
    );
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(turn.errorText(error));
  }
}

/** "3 7", "tất cả", "tất cả trừ 3, 5", "tất cả có mặt trừ An, Bình", "xong". */
export async function continueAttendance(turn: Turn, text: string): Promise<void> {
  const draft = { ...(turn.pending!.data as unknown as AttendanceDraft) };
  // Commas separate names ("trừ An, Bình"); full stops and semicolons are read as commas.
  const folded = foldVietnamese(text)
    .replace(/[.;]+/g, ",")
    .replace(/\s+/g, " ")
    .replace(/[\s,]+$/, "")
    .trim();
  if (/^(xong|luu|save|done|ok)$/.test(folded)) return saveAttendance(turn, draft);
  const all = /^(tat ca|ca|all)( (co mat|deu co mat|di du|du))?/.exec(folded);
  if (all) {
    const rest = folded.slice(all[0].length).trim();
    const except = /^(tru|ngoai tru|except)\s+(.+)$/.exec(rest);
    const excluded = except ? await pickPeople(turn, draft, except[2]!) : [];
    if (excluded === null) return;
    draft.present = draft.order.filter((id) => !excluded.includes(id));
    return showAttendance(turn, draft);
  }
  const picked = await pickPeople(turn, draft, folded);
  if (picked === null) return;
  const present = new Set(draft.present);
  for (const id of picked) present.has(id) ? present.delete(id) : present.add(id);
  draft.present = draft.order.filter((id) => present.has(id));
  await showAttendance(turn, draft);
}

/** Numbers (positions in the list) or names; null after replying when a name is unknown. */
async function pickPeople(turn: Turn, draft: AttendanceDraft, text: string): Promise<number[] | null> {
  const out: number[] = [];
  const tokens = text
    .split(/\s*(?:,|\bva\b|\bvoi\b|&)\s*|\s+(?=\d)/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const token of tokens) {
    for (const part of /^\d+( \d+)*$/.test(token) ? token.split(" ") : [token]) {
      if (/^\d+$/.test(part)) {
        const id = draft.order[Number(part) - 1];
        if (id !== undefined) out.push(id);
        continue;
      }
      const matches: number[] = [];
      for (const id of draft.order) {
        const name = foldVietnamese((await getPerson(turn.db, id)).fullName);
        if (name === part || name.endsWith(` ${part}`)) matches.push(id);
      }
      if (matches.length !== 1) {
        turn.reply(turn.t("meetings.attendance_unknown", { name: part }));
        return null;
      }
      out.push(matches[0]!);
    }
  }
  return out;
}

export const cadrePayloads = {
  async mnew(turn: Turn, payload: PayloadOf<"mnew">): Promise<void> {
    if (turn.pending?.kind !== "meeting_new") return turn.reply(turn.t("chat.question_expired"));
    const draft = { ...(turn.pending.data as unknown as Draft) };
    const what = payload.action;
    if (
      payload.action === "unit" &&
      draft.step === "unit" &&
      (await can(turn.db, turn.person!.id, "manage_meetings", payload.unitId))
    ) {
      draft.unitId = payload.unitId;
      draft.step = "title";
    } else if (what === "title" && draft.step === "title") {
      draft.title = turn.t("meetings.default_title");
      draft.step = "when";
    } else if (what === "skip" && (draft.step === "place" || draft.step === "agenda")) {
      if (draft.step === "place") draft.place = "";
      else draft.agenda = "";
      draft.step = draft.step === "place" ? "agenda" : "confirm";
    } else if (what === "create" && draft.step === "confirm") return finishCreation(turn, draft, true);
    else if (what === "cancel") return finishCreation(turn, draft, false);
    await askStep(turn, draft);
  },
  async mcancel(turn: Turn, payload: PayloadOf<"mcancel">): Promise<void> {
    await turn.closeQuestion("meeting_cancel");
    if (!payload.confirm) return turn.reply(turn.t("meetings.cancel_kept"));
    const meeting = await meetingArg(turn, String(payload.meetingId), "huyhop");
    if (!meeting) return;
    try {
      const { notified } = await cancelMeeting(turn.db, meeting.id, ctx(turn));
      turn.reply(turn.t("meetings.cancelled", { id: meeting.id, notified }));
    } catch (error) {
      if (!isAppError(error)) throw error;
      turn.reply(turn.errorText(error));
    }
  },
  async attend(turn: Turn, payload: PayloadOf<"attend">): Promise<void> {
    if (turn.pending?.kind !== "attendance") return turn.reply(turn.t("chat.question_expired"));
    const draft = { ...(turn.pending.data as unknown as AttendanceDraft) };
    if (payload.action === "save") return saveAttendance(turn, draft);
    draft.present = [...draft.order];
    await showAttendance(turn, draft);
  },
};
