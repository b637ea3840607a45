/**
 * What linking tells people besides the member who linked: the admins when the deployment's guess
 * budget runs out, and a privileged person's other accounts and their unit's admins when an account
 * is linked to them (so a takeover of an official's identity does not go unnoticed). Everything
 * goes through the outbox, in each recipient's language.
 */
import type { Database } from "../../storage/database.ts";
import { translator, type Locale, type Translate } from "../../lib/i18n.ts";
import { formatMeetingTime } from "../../lib/zoned-time.ts";
import { enqueue, priorities } from "../deliveries/outbox-service.ts";

interface Recipient {
  id: number;
  platform: string;
  externalId: string;
  personId: number;
  locale: string;
}

async function send(
  db: Database,
  {
    recipients,
    text,
    dedupe,
    now,
  }: { recipients: Recipient[]; text: (t: Translate, locale: Locale) => string; dedupe: string; now: Date },
): Promise<number> {
  let n = 0;
  for (const r of recipients) {
    const locale: Locale = r.locale === "en" ? "en" : "vi";
    const queued = await enqueue(
      db,
      {
        platform: r.platform,
        chatId: r.externalId,
        chatAccountId: r.id,
        personId: r.personId,
        priority: priorities.reply,
        body: { text: text(translator(locale), locale), locale },
        dedupeKey: `${dedupe}:${r.id}`,
      },
      now,
    );
    if (queued !== null) n++;
  }
  return n;
}

/**
 * Tells every admin of the deployment (on their reachable chat accounts other than the web chat)
 * that linking by code is paused because the daily budget of wrong guesses is spent. Sent once per
 * hour at most. Returns how many messages were queued.
 */
export async function notifyAdminsOfGuessLimit(db: Database, limit: number, now: Date): Promise<number> {
  const admins = await db.kysely
    .selectFrom("ChatAccount as a")
    .innerJoin("Person as p", "p.id", "a.personId")
    .select(["a.id", "a.platform", "a.externalId", "p.id as personId", "p.locale"])
    .where("a.unreachable", "=", false)
    .where("a.platform", "<>", "web")
    .where("a.personId", "in", (eb) =>
      eb.selectFrom("Membership").select("Membership.personId").where("Membership.role", "=", "admin"),
    )
    .orderBy("a.id")
    .execute();
  return send(db, {
    recipients: admins,
    text: (t) => t("security.guess_limit_admin", { limit }),
    dedupe: `guess-limit:${Math.floor(now.getTime() / 3_600_000)}`,
    now,
  });
}

/**
 * After an account was linked to a person holding cadre, official or admin rights: tells that
 * person's other linked accounts, and the admins of any unit above (or at) one of the person's
 * units. Does nothing for a plain member. Returns how many messages were queued.
 */
export async function announcePrivilegedLink(
  db: Database,
  { personId, accountId, now, timeZone }: { personId: number; accountId: number; now: Date; timeZone: string },
): Promise<number> {
  const roles = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .select(["m.role", "u.name as unitName"])
    .where("m.personId", "=", personId)
    .where("m.role", "in", ["cadre", "official", "admin"])
    .orderBy("m.id")
    .execute();
  if (!roles.length) return 0;
  const person = await db.kysely
    .selectFrom("Person")
    .select("fullName")
    .where("id", "=", personId)
    .executeTakeFirstOrThrow();
  const account = await db.kysely
    .selectFrom("ChatAccount")
    .select(["platform", "displayName"])
    .where("id", "=", accountId)
    .executeTakeFirstOrThrow();
  const others = await db.kysely
    .selectFrom("ChatAccount as a")
    .innerJoin("Person as p", "p.id", "a.personId")
    .select(["a.id", "a.platform", "a.externalId", "p.id as personId", "p.locale"])
    .where("a.personId", "=", personId)
    .where("a.id", "<>", accountId)
    .where("a.unreachable", "=", false)
    .orderBy("a.id")
    .execute();
  // Admins of a unit at or above one of the person's units (its path is a prefix of theirs).
  const admins = await db.kysely
    .selectFrom("Membership as am")
    .innerJoin("Unit as au", "au.id", "am.unitId")
    .innerJoin("Membership as pm", (join) => join.on("pm.personId", "=", personId))
    .innerJoin("Unit as pu", (join) =>
      join
        .onRef("pu.id", "=", "pm.unitId")
        .on((eb) =>
          eb(
            eb.fn<string>("substr", ["pu.path", eb.val(1), eb.fn<number>("length", ["au.path"])]),
            "=",
            eb.ref("au.path"),
          ),
        ),
    )
    .innerJoin("ChatAccount as a", (join) =>
      join.onRef("a.personId", "=", "am.personId").on("a.unreachable", "=", false).on("a.id", "<>", accountId),
    )
    .innerJoin("Person as p", "p.id", "am.personId")
    .select(["a.id", "a.platform", "a.externalId", "p.id as personId", "p.locale"])
    .distinct()
    .where("am.role", "=", "admin")
    .where("am.personId", "<>", personId)
    .orderBy("a.id")
    .execute();
  const dedupe = `link-notice:${accountId}:${now.getTime()}`;
  let n = await send(db, {
    recipients: others,
    text: (t, locale) =>
      t("security.link_notice_self", {
        platform: t(`security.platform_${account.platform}`),
        when: formatMeetingTime(now, timeZone, locale),
      }),
    dedupe,
    now,
  });
  n += await send(db, {
    recipients: admins,
    text: (t, locale) =>
      t("security.link_notice_admin", {
        name: person.fullName,
        role: roles.map((r) => `${t(`security.role_${r.role}`)} ${r.unitName}`).join(", "),
        platform: t(`security.platform_${account.platform}`),
        account: account.displayName ?? "",
        when: formatMeetingTime(now, timeZone, locale),
      }),
    dedupe: `${dedupe}:admin`,
    now,
  });
  return n;
}
