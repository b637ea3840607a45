/**
 * What the meeting messages say: reminders, nudges, move and cancellation notices, tallies and
 * attendance prompts (texts in locales/<lang>/reminders.json). Builders of plain data: no database,
 * so the services and the scheduler can all use them without importing each other.
 */
import type { OutboxBody } from "../deliveries/outbox-service.ts";
import { translator, type Locale } from "../../lib/i18n.ts";
import { formatMeetingTime } from "../../lib/zoned-time.ts";
import { encodePayload } from "../payloads.ts";
import type { MeetingText, Named, RsvpAnswer, Tally } from "./meeting-types.ts";

export type { MeetingText };

/** The three answers a reminder offers. */
export type RsvpChoice = RsvpAnswer;
const rsvpChoices: readonly RsvpChoice[] = ["attend", "absent", "unsure"];

/** The button payloads of a meeting's RSVP question: "rsvp:<id>:attend" etc. */
export function rsvpPayloads(meetingId: number): string[] {
  return rsvpChoices.map((answer) => encodePayload({ kind: "rsvp", meetingId, answer }));
}

function detailLines(
  t: ReturnType<typeof translator>,
  meeting: MeetingText,
  timeZone: string,
  locale: string,
): string[] {
  const lines = [t("reminders.line.when", { when: formatMeetingTime(new Date(meeting.startsAt), timeZone, locale) })];
  if (meeting.place.trim()) lines.push(t("reminders.line.place", { place: meeting.place }));
  if (meeting.agenda.trim()) lines.push(t("reminders.line.agenda", { agenda: meeting.agenda }));
  return lines;
}

function rsvpChoiceButtons(t: ReturnType<typeof translator>, meetingId: number): { label: string; payload: string }[] {
  return rsvpChoices.map((c) => ({
    label: t(`reminders.choice.${c}`),
    payload: encodePayload({ kind: "rsvp", meetingId, answer: c }),
  }));
}

/**
 * A message asking for an RSVP, with the three choices: the reminder, the nudge to those who have
 * not answered, or the notice that the meeting moved (`previousStartsAt` required).
 */
export function rsvpRequestBody({
  kind,
  meetingId,
  meeting,
  locale,
  timeZone,
}: {
  kind: "reminder" | "nudge" | "moved";
  meetingId: number;
  meeting: MeetingText & { previousStartsAt?: number | null };
  locale: Locale | string;
  timeZone: string;
}): OutboxBody {
  const t = translator(locale);
  const params = { title: meeting.title, unit: meeting.unitName };
  const head =
    kind === "moved"
      ? t("reminders.moved.head", {
          ...params,
          previous: formatMeetingTime(new Date(meeting.previousStartsAt ?? meeting.startsAt), timeZone, locale),
        })
      : t(`reminders.${kind}.head`, params);
  const text = [head, ...detailLines(t, meeting, timeZone, String(locale)), t(`reminders.${kind}.ask`)].join("\n");
  return { text, choices: rsvpChoiceButtons(t, meetingId), locale: locale === "en" ? "en" : "vi" };
}

/** The notice that a meeting was cancelled. */
export function cancelledBody(meeting: MeetingText, locale: Locale | string, timeZone: string): OutboxBody {
  const t = translator(locale);
  const text = t("reminders.cancelled.text", {
    title: meeting.title,
    unit: meeting.unitName,
    when: formatMeetingTime(new Date(meeting.startsAt), timeZone, locale),
  });
  return { text, locale: locale === "en" ? "en" : "vi" };
}

/** At most this many names per category in the tally sent to the cadres (the rest are counted). */
export const TALLY_NAMES_SHOWN = 20;

function nameList(
  t: ReturnType<typeof translator>,
  people: (Named & { reason?: string | null })[],
  namesShown: number,
): string {
  if (!people.length) return t("reminders.tally.nobody");
  const shown = people
    .slice(0, namesShown)
    .map((p) => (p.reason ? t("reminders.tally.with_reason", { name: p.fullName, reason: p.reason }) : p.fullName));
  const more = people.length - shown.length;
  return more > 0 ? `${shown.join(", ")} ${t("reminders.tally.more", { count: more })}` : shown.join(", ");
}

export interface TallyTextOptions {
  tally: Tally;
  meeting: MeetingText;
  locale: Locale | string;
  timeZone: string;
  /** Names listed per category before "and N others" (default TALLY_NAMES_SHOWN). */
  namesShown?: number;
}

/**
 * The answers so far, as the cadres read them in chat, in the CLI and in the tally sent before the
 * meeting: counts and names per category (with the reasons given for absences), how many are not
 * linked, and who came once attendance is recorded.
 */
export function tallyText({
  tally,
  meeting,
  locale,
  timeZone,
  namesShown = TALLY_NAMES_SHOWN,
}: TallyTextOptions): string {
  const t = translator(locale);
  const names = (people: (Named & { reason?: string | null })[]) => nameList(t, people, namesShown);
  const lines = [
    t("reminders.tally.head", {
      title: meeting.title,
      unit: meeting.unitName,
      when: formatMeetingTime(new Date(meeting.startsAt), timeZone, locale),
    }),
    t("reminders.tally.invited", { count: tally.invited }),
    t("reminders.tally.attend", { n: tally.attend.length, names: names(tally.attend) }),
    t("reminders.tally.absent", { n: tally.absent.length, names: names(tally.absent) }),
    t("reminders.tally.unsure", { n: tally.unsure.length, names: names(tally.unsure) }),
    t("reminders.tally.no_answer", { n: tally.noAnswer.length, names: names(tally.noAnswer) }),
  ];
  if (tally.notLinked > 0) lines.push(t("reminders.tally.not_linked", { count: tally.notLinked }));
  if (tally.came) lines.push(t("reminders.tally.came", { count: tally.came.length, invited: tally.invited }));
  return lines.join("\n");
}

/** The tally sent to the cadres before the meeting (see tallyText). */
export function tallyBody(tally: Tally, meeting: MeetingText, locale: Locale | string, timeZone: string): OutboxBody {
  return { text: tallyText({ tally, meeting, locale, timeZone }), locale: locale === "en" ? "en" : "vi" };
}

/** After the meeting: asks a cadre to record who came with "/diemdanh <id>". */
export function attendancePromptBody(
  meetingId: number,
  meeting: MeetingText,
  locale: Locale | string,
  timeZone: string,
): OutboxBody {
  const t = translator(locale);
  const text = t("reminders.attendance_prompt.text", {
    title: meeting.title,
    unit: meeting.unitName,
    when: formatMeetingTime(new Date(meeting.startsAt), timeZone, locale),
    meetingId,
  });
  return { text, locale: locale === "en" ? "en" : "vi" };
}
