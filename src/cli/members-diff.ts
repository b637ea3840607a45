/** How `chihoi members import` describes a change to a person, in words: "Trần Văn B → Nguyễn Văn A: đổi tên, chuyển từ Chi hội ấp 1 sang Chi hội ấp 3". */
import type { Translate } from "../lib/i18n.ts";
import { maskPhone } from "../lib/phone.ts";
import type { ImportChange } from "../domain/roster/import-roster.ts";

type Update = Extract<ImportChange, { kind: "update" }>;

/** The sentence for an updated person (phones masked). */
export function describeUpdate(t: Translate, change: Update): string {
  const d = change.diff;
  const none = t("rosterdiff.none");
  const gender = (g: string | null) => (g ? t(`rosterdiff.gender_${g}`) : none);
  const parts: string[] = [];
  if (d.fullName) parts.push(t("rosterdiff.part_rename"));
  if (d.phone)
    parts.push(
      t("rosterdiff.part_phone", { from: d.phone[0] ? maskPhone(d.phone[0]) : none, to: maskPhone(d.phone[1]) }),
    );
  if (d.birthYear) parts.push(t("rosterdiff.part_birth_year", { from: d.birthYear[0] ?? none, to: d.birthYear[1] }));
  if (d.gender) parts.push(t("rosterdiff.part_gender", { from: gender(d.gender[0]), to: gender(d.gender[1]) }));
  if (d.note) parts.push(t("rosterdiff.part_note", { to: d.note[1] }));
  if (d.moveFrom?.length) parts.push(t("rosterdiff.part_move", { from: d.moveFrom.join(", "), to: d.unit }));
  else if (d.moveFrom) parts.push(t("rosterdiff.part_join", { to: d.unit }));
  if (d.cadre === true) parts.push(t("rosterdiff.part_cadre", { title: d.title ? ` (${d.title})` : "" }));
  if (d.cadre === false) parts.push(t("rosterdiff.part_not_cadre"));
  if (!parts.length) parts.push(t("rosterdiff.part_membership"));
  const who = d.fullName ? t("rosterdiff.renamed", { from: d.fullName[0], to: d.fullName[1] }) : change.name;
  return t("rosterdiff.update", { line: change.line, who, what: parts.join(t("rosterdiff.and")) });
}

/** The warning for a row matched by phone whose name looks like another person's. */
export function describeNameMismatch(t: Translate, change: Update, phone: string | null): string {
  return t("rosterdiff.name_mismatch", {
    line: change.line,
    phone: phone ? maskPhone(phone) : "—",
    current: change.currentName,
    name: change.name,
  });
}
