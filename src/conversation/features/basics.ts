/** Help, language and the schedule: the member commands every platform has. */
import { encodePayload } from "../../domain/payloads.ts";
import { setPersonLocale } from "../../domain/people/people-service.ts";
import { scopeRoots } from "../../domain/access/access-scope.ts";
import { listUpcomingForPerson } from "../../domain/meetings/meeting-queries.ts";
import { formatMeetingTime } from "../../lib/zoned-time.ts";
import type { Turn } from "../turn.ts";

export async function sendHelp(turn: Turn): Promise<void> {
  if (!turn.person) return turn.reply(turn.t("chat.help_stranger"));
  const lines = [turn.t("chat.help")];
  // Cadres and officials also see their own commands.
  if ((await scopeRoots(turn.db, turn.person.id, "manage_meetings")).length) lines.push(turn.t("chat.help_cadre"));
  if ((await scopeRoots(turn.db, turn.person.id, "administer")).length) lines.push(turn.t("chat.help_admin"));
  turn.reply(lines.join("\n"));
}

export function sendWelcome(turn: Turn): void {
  turn.reply(turn.t("chat.welcome", { name: turn.person?.fullName ?? "" }));
}

export async function askLanguage(turn: Turn): Promise<void> {
  await turn.ask(turn.t("chat.language_ask"), "language", [
    { label: turn.t("chat.language_vi"), payload: encodePayload({ kind: "lang", locale: "vi" }) },
    { label: turn.t("chat.language_en"), payload: encodePayload({ kind: "lang", locale: "en" }) },
  ]);
}

export async function setLanguage(turn: Turn, locale: "vi" | "en"): Promise<void> {
  await turn.closeQuestion("language");
  if (turn.person) await setPersonLocale(turn.db, turn.person.id, locale);
  turn.useLocale(locale);
  turn.reply(turn.t("chat.language_set"));
}

export async function sendSchedule(turn: Turn): Promise<void> {
  if (!turn.person) return;
  const meetings = await listUpcomingForPerson(turn.db, turn.person.id, turn.now, 5);
  if (!meetings.length) {
    turn.reply(turn.t("chat.schedule_none"));
    return;
  }
  const lines = meetings.map((m) =>
    turn.t("chat.schedule_line", {
      when: formatMeetingTime(new Date(m.startsAt), turn.settings.timeZone, turn.locale),
      title: m.title,
      place: m.place ? turn.t("chat.schedule_place", { place: m.place }) : "",
    }),
  );
  turn.reply([turn.t("chat.schedule_header"), ...lines].join("\n"));
}
