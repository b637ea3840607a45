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
export function addTestPerson(db: Database, unitId: number, fullName: string, options: TestPersonOptions = {}): number {
  const phone = `09${String(++phones).padStart(8, "0")}`;
  const p = createPerson(db, { fullName, phone, locale: options.locale ?? "vi" });
  addMembership(db, systemActor(), p.id, unitId, options.role ?? "member");
  if (options.linked !== false) linkByPhone(db, ensureChatAccount(db, "telegram", `tg${p.id}`).id, phone);
  return p.id;
}

/** The first chat account of a person. */
export function accountOf(db: Database, personId: number): number {
  return db.sql.get<{ id: number }>(`SELECT id FROM ChatAccount WHERE personId = ? ORDER BY id LIMIT 1`, personId)!.id;
}
