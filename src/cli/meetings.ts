/** `chihoi meetings add|list|cancel|move|tally|reminders`: meetings of a unit and their reminders. */
import type { Command } from "commander";
import { systemActor } from "../domain/access/actor.ts";
import {
  cancelMeeting,
  createMeeting,
  createSeries,
  getMeeting,
  listUnitMeetings,
  MAX_DURATION_MINUTES,
  meetingText,
  moveMeeting,
} from "../domain/meetings/meeting-service.ts";
import { tallyText } from "../domain/meetings/meeting-messages.ts";
import { parseMeetingDateTime } from "../domain/meetings/parse-datetime.ts";
import { describeRecurrence, parseRecurrence } from "../domain/meetings/recurrence.ts";
import { movedTallyAt, type ReminderOffset, setReminderPlan } from "../domain/meetings/reminder-plan.ts";
import { meetingTally } from "../domain/meetings/rsvp-service.ts";
import { listRoots, listSubtree, resolveUnit } from "../domain/units/unit-service.ts";
import { formatMeetingTime } from "../lib/zoned-time.ts";
import { type CliContext, help, idOf, vi } from "./context.ts";
import { minutesOption } from "./messages.ts";

export function registerMeetingCommands(program: Command, ctx: CliContext): void {
  const { t, out, config } = ctx;
  const meetings = program.command("meetings").description(help("meetings"));
  const when = (ms: number) => formatMeetingTime(new Date(ms), config.timeZone, config.defaultLocale);
  // The CLI acts as the system actor: its operator holds the database and the tokens (README "Rights").
  const meetingCtx = () => ({ now: ctx.now(), timeZone: config.timeZone, actor: systemActor("cli") });
  meetings
    .command("add")
    .description(help("meetings_add"))
    .requiredOption("--unit <unit>", help("opt_unit"))
    .option("--title <title>", help("opt_title"), vi("meetings.default_title"))
    .option("--when <time>", help("opt_when"))
    .option("--repeat <rule>", help("opt_repeat"))
    .option("--place <place>", help("opt_place"), "")
    .option("--agenda <agenda>", help("opt_agenda"), "")
    .option(
      "--duration <minutes>",
      help("opt_duration"),
      minutesOption(() => t, MAX_DURATION_MINUTES),
      "120",
    )
    .option("--subtree", help("opt_subtree"), false)
    .action(
      (o: {
        unit: string;
        title: string;
        when?: string;
        repeat?: string;
        place: string;
        agenda: string;
        duration: string;
        subtree: boolean;
      }) =>
        ctx.withDatabase(async (db) => {
          const unit = await resolveUnit(db, o.unit);
          const base = {
            unitId: unit.id,
            title: o.title,
            place: o.place,
            agenda: o.agenda,
            durationMinutes: Number(o.duration),
            includeSubtree: o.subtree,
          };
          if (o.repeat && o.when) ctx.fail(t("cli.when_and_repeat"));
          if (o.repeat) {
            const parsed = parseRecurrence(o.repeat);
            if (!parsed.time) ctx.fail(t("meetings.time_missing_repeat"));
            const { seriesId, meetings: created } = await createSeries(
              db,
              { ...base, rule: parsed.rule, time: parsed.time },
              meetingCtx(),
            );
            out(
              t("cli.series_created", {
                seriesId,
                title: o.title,
                rule: describeRecurrence(parsed.rule, parsed.time, config.defaultLocale),
                count: created.length,
                when: created[0] ? when(created[0].startsAt) : "—",
              }),
            );
            return;
          }
          if (!o.when) ctx.fail(t("cli.when_or_repeat"));
          const meeting = await createMeeting(
            db,
            { ...base, startsAt: parseMeetingDateTime(o.when, ctx.now(), config.timeZone) },
            meetingCtx(),
          );
          out(t("cli.meeting_created", { id: meeting.id, title: meeting.title, when: when(meeting.startsAt) }));
          const tallyAt = await movedTallyAt(db, meeting);
          if (tallyAt !== null) out(t("rights.short_notice_tally", { when: when(tallyAt) }));
        }),
    );
  meetings
    .command("list")
    .description(help("meetings_list"))
    .option("--unit <unit>", help("opt_unit"))
    .action((o: { unit?: string }) =>
      ctx.withDatabase(async (db) => {
        const roots = o.unit ? [await resolveUnit(db, o.unit)] : await listRoots(db);
        const ids = (await Promise.all(roots.map(async (r) => (await listSubtree(db, r.id)).map((u) => u.id)))).flat();
        for (const m of await listUnitMeetings(db, ids, { from: ctx.now(), includeCancelled: true, limit: 200 }))
          out(
            t("cli.meeting_line", {
              id: m.id,
              when: when(m.startsAt),
              title: m.title,
              unit: m.unitName,
              status: t(`cli.status_${m.status}`),
            }),
          );
      }),
    );
  meetings
    .command("cancel <id>")
    .description(help("meetings_cancel"))
    .action((id: string) =>
      ctx.withDatabase(async (db) => {
        const { notified } = await cancelMeeting(db, idOf(id), meetingCtx());
        out(t("cli.meeting_cancelled", { id, notified }));
      }),
    );
  meetings
    .command("move <id>")
    .description(help("meetings_move"))
    .requiredOption("--when <time>", help("opt_when"))
    .action((id: string, o: { when: string }) =>
      ctx.withDatabase(async (db) => {
        const { meeting, notified } = await moveMeeting(
          db,
          idOf(id),
          parseMeetingDateTime(o.when, ctx.now(), config.timeZone),
          meetingCtx(),
        );
        out(t("cli.meeting_moved", { id: meeting.id, when: when(meeting.startsAt), notified }));
      }),
    );
  meetings
    .command("tally <id>")
    .description(help("meetings_tally"))
    .action((id: string) =>
      ctx.withDatabase(async (db) => {
        const meeting = await getMeeting(db, idOf(id));
        const tally = await meetingTally(db, meeting.id);
        out(
          tallyText({
            tally,
            meeting: await meetingText(db, meeting),
            locale: config.defaultLocale,
            timeZone: config.timeZone,
            namesShown: Infinity,
          }),
        );
      }),
    );
  meetings
    .command("reminders")
    .description(help("meetings_reminders"))
    .requiredOption("--unit <unit>", help("opt_unit"))
    .requiredOption("--before <list>", help("opt_before"))
    .option("--nudge <duration>", help("opt_nudge"), "24h")
    .option("--tally <duration>", help("opt_tally"), "3h")
    .action((o: { unit: string; before: string; nudge: string; tally: string }) =>
      ctx.withDatabase(async (db) => {
        const unit = await resolveUnit(db, o.unit);
        const minutes = (value: string): number => {
          const m = /^(\d+)\s*(m|h|d)$/i.exec(value.trim());
          if (!m) ctx.fail(t("cli.reminders_invalid", { value }));
          return Number(m[1]) * { m: 1, h: 60, d: 1440 }[m[2]!.toLowerCase() as "m" | "h" | "d"];
        };
        const offsets: ReminderOffset[] = o.before.split(",").map((part) => {
          const at = /^\s*(\d+)\s*d\s*@\s*(\d{1,2}:\d{2})\s*$/i.exec(part);
          return at ? { daysBefore: Number(at[1]), at: at[2]!.padStart(5, "0") } : { minutesBefore: minutes(part) };
        });
        await setReminderPlan(db, {
          target: { unitId: unit.id },
          plan: { offsets, nudgeMinutesBefore: minutes(o.nudge), tallyMinutesBefore: minutes(o.tally) },
          actor: systemActor("cli"),
        });
        out(t("cli.reminders_set", { unit: unit.name }));
      }),
    );
}
