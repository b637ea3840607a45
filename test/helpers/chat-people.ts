/** People linked the way members link: a roster entry, then "DK <code>" sent through the chat. */
import type { ChatHarness } from "./chat-harness.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { systemActor } from "../../src/domain/access/actor.ts";

/** Creates a member of `unitId` (also `role` there, if given), links Telegram chat `chat` to them, and returns their id. */
export async function linkInChat(
  h: ChatHarness,
  fullName: string,
  chat: number,
  unitId: number,
  role?: "cadre" | "official",
): Promise<number> {
  const p = await createPerson(h.db, { fullName });
  await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId, role: "member" });
  if (role) await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId, role });
  await h.text(chat, `DK ${(await issueLinkCode(h.db, p.id)).code}`);
  await h.take(chat);
  return p.id;
}
