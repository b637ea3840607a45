/** People for domain tests: a roster entry with a unique phone, a role, and a linked Telegram account. */
import { systemActor } from "../../src/domain/access/actor.ts";
import type { Database } from "../../src/storage/database.ts";
import { addMembership, createPerson, type Role } from "../../src/domain/people/people-service.ts";
import { ensureChatAccount } from "../../src/domain/accounts/account-service.ts";
import { linkByPhone } from "../../src/domain/linking/link-service.ts";

export interface TestPersonOptions {
  /** Link a Telegram account (default true). */
  linked?: boolean;
  role?: Role;
  locale?: "vi" | "en";
}

let phones = 0;

/** Creates a person in a unit and returns their id. */
export async function addTestPerson(
  db: Database,
  unitId: number,
  fullName: string,
  options: TestPersonOptions = {},
): Promise<number> {
  const phone = `09${String(++phones).padStart(8, "0")}`;
  const p = await createPerson(db, { fullName, phone, locale: options.locale ?? "vi" });
  await addMembership(db, { actor: systemActor(), personId: p.id, unitId, role: options.role ?? "member" });
  if (options.linked !== false)
    await linkByPhone(db, (await ensureChatAccount(db, { platform: "telegram", externalId: `tg${p.id}` })).id, phone);
  return p.id;
}

/** The first chat account of a person. */
export async function accountOf(db: Database, personId: number): Promise<number> {
  return (
    await db.kysely
      .selectFrom("ChatAccount")
      .select("id")
      .where("personId", "=", personId)
      .orderBy("id")
      .limit(1)
      .executeTakeFirstOrThrow()
  ).id;
}
