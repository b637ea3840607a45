/**
 * Signing in to the web workplace by name and unit, for officials who do not know which phone
 * number the roster holds for them: "Nguyễn Văn Cán" + "Chi hội 1" (either with or without
 * diacritics). The person is someone of that name with a membership in a unit the typed unit may
 * mean (every such unit is searched: several "Chi hội 1" need no choosing), who holds a cadre,
 * official or admin role somewhere. Exactly one such person gets a code; several get none (the
 * page tells everyone to use their phone number instead). The same limits as by phone apply (per
 * person, per source address, overall: sign-in-service.ts), and the answer never says whether
 * anyone matched. Only a unit name that matches no unit at all is said to be unknown (units are
 * not people; the request still counts against the limits).
 */
import type { Database } from "../../storage/database.ts";
import { AppError, isAppError } from "../../lib/app-error.ts";
import { foldVietnamese, tidyText } from "../../lib/vietnamese.ts";
import { matchUnits } from "../units/unit-match.ts";
import { checkSignInCode, sendSignInCode, type SignInRequestOutcome, type SignInTarget } from "./sign-in-service.ts";

/** Longest name and unit a sign-in form accepts. */
export const signInNameMaxLength = 120;
export const signInUnitMaxLength = 200;

const workplaceRoles = ["cadre", "official", "admin"] as const;

/**
 * Who a name in a unit means: `units` is how many units the unit text may mean; `target` the one
 * person with workplace rights of that name there, "ambiguous" for several, a person without
 * rights when that is all there is (the request then says no_rights), or undefined.
 */
export async function findSignInTarget(
  db: Database,
  name: string,
  unit: string,
): Promise<{ units: number; target: SignInTarget }> {
  const units = await matchUnits(db, unit);
  const nameKey = foldVietnamese(name);
  if (!units.length || !nameKey) return { units: units.length, target: undefined };
  const people = await db.kysely
    .selectFrom("Person as p")
    .innerJoin("Membership as m", "m.personId", "p.id")
    .select(["p.id", "p.locale"])
    .distinct()
    .where("p.nameKey", "=", nameKey)
    .where(
      "m.unitId",
      "in",
      units.map((u) => u.id),
    )
    .orderBy("p.id")
    .limit(50)
    .execute();
  if (!people.length) return { units: units.length, target: undefined };
  const withRights = new Set(
    (
      await db.kysely
        .selectFrom("Membership")
        .select("personId")
        .where(
          "personId",
          "in",
          people.map((p) => p.id),
        )
        .where("role", "in", workplaceRoles)
        .execute()
    ).map((r) => r.personId),
  );
  const candidates = people.filter((p) => withRights.has(p.id));
  if (candidates.length > 1) return { units: units.length, target: "ambiguous" };
  return { units: units.length, target: candidates[0] ?? people[0] };
}

function cleanInput(name: string, unit: string): { name: string; unit: string } {
  const cleanName = tidyText(name ?? "");
  const cleanUnit = tidyText(unit ?? "");
  if (!cleanName || cleanName.length > signInNameMaxLength) throw new AppError("invalid_input", { field: "name" });
  if (!cleanUnit || cleanUnit.length > signInUnitMaxLength) throw new AppError("invalid_input", { field: "unit" });
  return { name: cleanName, unit: cleanUnit };
}

/**
 * Sends a sign-in code to the person with this name in this unit (see the module note). The
 * outcome is for tests and logs, never for the page. Throws invalid_input ({ field: "name" |
 * "unit" }), code_throttled (this address or the whole service asked too often), unit_not_found
 * ({ unit }) when the unit text matches no unit at all.
 */
export async function requestSignInCodeByName(
  db: Database,
  input: { name: string; unit: string; ip: string | null },
  now: Date,
): Promise<{ outcome: SignInRequestOutcome; accounts: number }> {
  const { name, unit } = cleanInput(input.name, input.unit);
  const found = await findSignInTarget(db, name, unit);
  const result = await sendSignInCode(db, () => found.target, input.ip, now);
  if (!found.units) throw new AppError("unit_not_found", { unit });
  return result;
}

/**
 * Checks a code typed after a request by name and unit, for the same person the request found, and
 * uses it up. Returns the person's id. Throws what `verifySignInCode` throws (code_invalid also when
 * the name and unit now mean nobody or several people).
 */
export async function verifySignInCodeByName(
  db: Database,
  input: { name: string; unit: string; code: string; ip: string | null },
  now: Date,
): Promise<number> {
  let target: SignInTarget;
  try {
    const { name, unit } = cleanInput(input.name, input.unit);
    target = (await findSignInTarget(db, name, unit)).target;
  } catch (error) {
    if (!isAppError(error, "invalid_input")) throw error;
    target = undefined;
  }
  const person = typeof target === "object" ? target : undefined;
  return await checkSignInCode(db, { find: () => person, code: input.code, ip: input.ip, now });
}
