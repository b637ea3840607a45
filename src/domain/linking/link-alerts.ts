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

async function send(db: Database, recipients: Recipient[], text: (t: Translate, locale: Locale) => string, dedupe: string, now: Date): Promise<number> {
  let n = 0;
  for (const r of recipients) {
    const locale: Locale = r.locale === "en" ? "en" : "vi";
    const queued = await enqueue(db, {
      platform: r.platform, chatId: r.externalId, chatAccountId: r.id, personId: r.personId, priority: priorities.reply,
      body: { text: text(translator(locale), locale), locale }, dedupeKey: `${dedupe}:${r.id}`,
    }, now);
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
  const admins = await db.sql.all<Recipient>(
    `SELECT a.id, a.platform, a.externalId, a.personId, p.locale FROM ChatAccount a JOIN Person p ON p.id = a.personId
     WHERE a.unreachable = 0 AND a.platform <> 'web'
       AND a.personId IN (SELECT personId FROM Membership WHERE role = 'admin')`,
  );
  return send(db, admins, (t) => t("security.guess_limit_admin", { limit }), `guess-limit:${Math.floor(now.getTime() / 3_600_000)}`, now);
}

/**
 * After an account was linked to a person holding cadre, official or admin rights: tells that
 * person's other linked accounts, and the admins of any unit above (or at) one of the person's
 * units. Does nothing for a plain member. Returns how many messages were queued.
 */
export async function announcePrivilegedLink(db: Database, personId: number, accountId: number, now: Date, timeZone: string): Promise<number> {
  const roles = await db.sql.all<{ role: string; unitName: string }>(
    `SELECT m.role, u.name AS unitName FROM Membership m JOIN Unit u ON u.id = m.unitId
     WHERE m.personId = ? AND m.role IN ('cadre', 'official', 'admin') ORDER BY m.id`,
    personId,
  );
  if (!roles.length) return 0;
  const person = (await db.sql.get<{ fullName: string }>(`SELECT fullName FROM Person WHERE id = ?`, personId))!;
  const account = (await db.sql.get<{ platform: string; displayName: string | null }>(`SELECT platform, displayName FROM ChatAccount WHERE id = ?`, accountId))!;
  const others = await db.sql.all<Recipient>(
    `SELECT a.id, a.platform, a.externalId, a.personId, p.locale FROM ChatAccount a JOIN Person p ON p.id = a.personId
     WHERE a.personId = ? AND a.id <> ? AND a.unreachable = 0`,
    personId, accountId,
  );
  const admins = await db.sql.all<Recipient>(
    `SELECT DISTINCT a.id, a.platform, a.externalId, a.personId, p.locale
     FROM Membership am
     JOIN Unit au ON au.id = am.unitId
     JOIN Membership pm ON pm.personId = ?
     JOIN Unit pu ON pu.id = pm.unitId AND substr(pu.path, 1, length(au.path)) = au.path
     JOIN ChatAccount a ON a.personId = am.personId AND a.unreachable = 0 AND a.id <> ?
     JOIN Person p ON p.id = am.personId
     WHERE am.role = 'admin' AND am.personId <> ?`,
    personId, accountId, personId,
  );
  const dedupe = `link-notice:${accountId}:${now.getTime()}`;
  let n = await send(db, others, (t, locale) => t("security.link_notice_self", { platform: t(`security.platform_${account.platform}`), when: formatMeetingTime(now, timeZone, locale) }), dedupe, now);
  n += await send(
    db,
    admins,
    (t, locale) =>
      t("security.link_notice_admin", {
        name: person.fullName,
        role: roles.map((r) => `${t(`security.role_${r.role}`)} ${r.unitName}`).join(", "),
        platform: t(`security.platform_${account.platform}`),
        account: account.displayName ?? "",
        when: formatMeetingTime(now, timeZone, locale),
      }),
    `${dedupe}:admin`,
    now,
  );
  return n;
}
