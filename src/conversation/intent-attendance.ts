/**
 * Attendance answers (attend / absent / unsure) in an analysed message.
 *
 * The answer phrases ("cues") are found first: presence verbs, negated or not, absence words,
 * lateness, hedges, circumstances. Then a score of the words the answer leaves unexplained (see
 * `judge`): only a message that is the answer is recorded; an answer with something else is
 * `mixed` (the member is asked); a verb like "đến"/"đi" inside a sentence about something else is
 * no answer. An absence keeps the member's reason, in their own words.
 */
import type { Intent, ParseContext } from "./intent.ts";
import {
  type Analysis,
  type Clause,
  excerpt,
  is,
  isAmount,
  isEmptyClause,
  isFiller,
  negatorOf,
  sameClause,
  type Word,
} from "./intent-analysis.ts";
import { vocab } from "./intent-vocabulary.ts";
import { shapeOf } from "./intent-word-shape.ts";

type CueKind = "present" | "absent" | "late" | "hedge" | "circumstance";

interface Cue {
  kind: CueKind;
  /** Word range of the cue ("không đi được" = 3 words). */
  from: number;
  to: number;
  /** "vang" typed without diacritics: "vắng" (absent) or "vâng" (yes). */
  ambiguous?: boolean;
}

/** A presence verb at word i (with the constraint on what may follow, see the lexicon). */
function isPresenceAt(a: Analysis, i: number): boolean {
  const w = a.words[i];
  if (!w) return false;
  if (is(w, vocab.presenceFree)) return true;
  const next = sameClause(a, i, i + 1) ? a.words[i + 1] : undefined;
  if (is(w, vocab.presenceConstrained))
    return (
      !next ||
      isAmount(next) ||
      is(next, vocab.continuations) ||
      is(next, vocab.time) ||
      is(next, vocab.negators) ||
      isConnector(next)
    );
  if (is(w, vocab.returnVerb)) return is(next, vocab.returnContinuations);
  return false;
}

/** End (exclusive) of an absence phrase whose last word is `last`, extended over "được", "ạ"… */
function spanEnd(a: Analysis, last: number): number {
  let k = last + 1;
  while (sameClause(a, last, k) && is(a.words[k], vocab.spanTail)) k++;
  return k;
}

/** Words after an absence phrase that are not a reason: "(xin nghỉ) buổi họp tối nay", "(vắng) 1 hôm". */
function isNotAReason(a: Analysis, k: number): boolean {
  const w = a.words[k];
  return (
    isFiller(w) ||
    isAmount(w) ||
    is(w, vocab.meeting) ||
    is(w, vocab.spanTail) ||
    isPresenceAt(a, k) ||
    is(w, vocab.presenceConstrained) ||
    is(w, vocab.returnVerb)
  );
}

function isConnector(w: Word | undefined): boolean {
  if (!w || !is(w, vocab.connectors)) return false;
  // "tai" without diacritics is too often "tai" (ear) / "tài" / "tải": only "tại" counts.
  if (shapeOf(w.raw).base === "tai") return w.raw === "tại";
  return true;
}

function findCues(a: Analysis, from: number, to: number): Cue[] {
  const { words, clauses } = a;
  const cues: Cue[] = [];
  for (let i = from; i < to; i++) {
    const w = words[i] as Word;
    // Questions are never an answer ("mai có họp không?", "đến muộn được không?").
    if ((clauses[w.clause] as Clause).question) continue;

    // Undecided: "chưa chắc", "có lẽ", "để em xem đã".
    if (is(w, vocab.hedges)) {
      cues.push({ kind: "hedge", from: i, to: i + 1 });
      continue;
    }
    // "có thể" is ability before a presence verb ("có thể tham gia"), a hedge otherwise.
    if (is(w, vocab.maybe)) {
      let j = i + 1;
      // "có thể em đến muộn" (a pronoun after it): "maybe", not "can".
      while (j < to && sameClause(a, i, j) && isFiller(words[j]) && !is(words[j], vocab.pronouns)) j++;
      if (!isPresenceAt(a, j) || !sameClause(a, i, j)) cues.push({ kind: "hedge", from: i, to: i + 1 });
      continue;
    }
    // "để (tôi) xem", "để em sắp xếp".
    if (is(w, vocab.letMe)) {
      for (let j = i + 1; j <= i + 3 && j < to && sameClause(a, i, j); j++)
        if (is(words[j], vocab.letMeVerbs)) {
          cues.push({ kind: "hedge", from: i, to: j + 1 });
          break;
        }
      continue;
    }
    // Presence verbs, negated or not: "có mặt", "k đi đc", "không tham gia được".
    if (isPresenceAt(a, i)) {
      const neg = negatorOf(a, i, 3);
      if (neg >= 0) cues.push({ kind: "absent", from: Math.min(neg, i), to: spanEnd(a, Math.max(neg, i)) });
      else cues.push({ kind: "present", from: i, to: i + 1 });
      continue;
    }
    // Absence words: "vắng", "xin nghỉ"; negated ("không vắng") they mean attending.
    if (is(w, vocab.absence)) {
      const neg = negatorOf(a, i, 2);
      if (neg >= 0 && neg < i) cues.push({ kind: "present", from: neg, to: i + 1 });
      else cues.push({ kind: "absent", from: i, to: spanEnd(a, i), ambiguous: w.raw === "vang" });
      continue;
    }
    // "xin phép" alone asks to be excused, but not in "xin phép hỏi…" / "xin phép đến muộn".
    if (is(w, vocab.askLeave)) {
      let j = i + 1;
      while (j < to && sameClause(a, i, j) && (isFiller(words[j]) || words[j]?.raw === "được")) j++;
      const next = sameClause(a, i, j) ? words[j] : undefined;
      if (!next || !(isPresenceAt(a, j) || is(next, vocab.late) || is(next, vocab.communication)))
        cues.push({ kind: "absent", from: i, to: spanEnd(a, i) });
      continue;
    }
    // Lateness still means attending: "đến muộn 15 phút", "muộn chút nhé", "xin về sớm".
    if (is(w, vocab.late)) {
      const previous = sameClause(a, i, i - 1) ? words[i - 1] : undefined;
      const next = sameClause(a, i, i + 1) ? words[i + 1] : undefined;
      const strong = w.raw.includes(" ") || w.raw === "late";
      if (
        strong ||
        !next ||
        isAmount(next) ||
        is(next, vocab.lateContinuations) ||
        is(previous, vocab.presenceConstrained) ||
        is(previous, vocab.presenceFree)
      )
        cues.push({ kind: "late", from: i, to: i + 1 });
      continue;
    }
    // Circumstances imply absence when nothing else is said: "hôm nay em bận", "đang ốm".
    if (is(w, vocab.circumstances)) {
      const next = sameClause(a, i, i + 1) ? words[i + 1] : undefined;
      if (!(w.raw === "ban" && next && (next.raw === "ơi" || next.raw === "oi")))
        cues.push({ kind: "circumstance", from: i, to: i + 1 });
      continue;
    }
    // English "sorry, I can't".
    if (is(w, vocab.englishCannot)) {
      const next = sameClause(a, i, i + 1) ? words[i + 1] : undefined;
      if (!next || is(next, vocab.trailing)) cues.push({ kind: "absent", from: i, to: i + 1 });
    }
  }
  return cues;
}

/**
 * Whether a cue is where an answer would be. In a reminder the member is expected to answer, so a
 * cue anywhere near the start counts; otherwise the message must be short or start with the cue
 * (a long concern that merely contains "đi" or "tham gia" stays a concern).
 */
function cueAccepted(a: Analysis, cue: Cue, from: number, to: number, context: ParseContext): boolean {
  let total = 0;
  let position = 0;
  for (let i = from; i < to; i++) {
    if (isFiller(a.words[i])) continue;
    total++;
    if (i < cue.from) position++;
  }
  if (cue.kind === "circumstance") return context === "reminder" ? position <= 4 && total <= 12 : total <= 4;
  if (context === "reminder") return position <= 6 || total <= 20;
  // An explicit absence ("…, tôi xin vắng") may follow its reason.
  const explicit = is(a.words[cue.from], vocab.absence) || is(a.words[cue.from], vocab.askLeave);
  if (cue.kind === "absent" && explicit && !cue.ambiguous && position <= 4 && total <= 12) return true;
  return position === 0 ? total <= 12 : position <= 1 && total <= 6;
}

/**
 * The attendance answer in a message (attend with a note, absent with the member's reason, unsure),
 * `mixed` when the message also says something else, or null when it is no attendance answer.
 * `context` says what the member was last asked: in a reminder an answer may come later in the text.
 */
export function analyseAttendance(a: Analysis, context: ParseContext): Intent | null {
  const { words } = a;
  const n = words.length;

  // The reason after "vì/do/bởi/lý do" is not part of the answer ("xin vắng vì đi họp ở xã").
  // When the message starts with it ("vì con ốm nên em xin vắng"), the answer follows the clause.
  let from = 0;
  let to = n;
  let reason: [number, number] | undefined;
  const c = words.findIndex(isConnector);
  if (c >= 0) {
    const cClause = (words[c] as Word).clause;
    if (words.slice(0, c).every(isFiller)) {
      // "Lý do: đi công tác" — the connector alone in its clause introduces the next clause.
      const reasonClause = words[c + 1]?.clause === cClause ? cClause : cClause + 1;
      const next = words.findIndex((w, i) => i > c && w.clause > reasonClause);
      reason = [c + 1, next < 0 ? n : next];
      from = next < 0 ? n : next;
    } else {
      to = c;
      reason = [c + 1, n];
    }
  }
  // "vì con ốm" alone: look for circumstances in the reason itself.
  const scan: [number, number] = from < to ? [from, to] : (reason ?? [0, n]);
  // A cue inside a clause that says something else is an ordinary word of that sentence ("đến nay
  // đường vẫn ngập", "đi lại khó khăn", "xem lại việc thu hội phí"), not an answer.
  const cues = findCues(a, scan[0], scan[1]).filter((k) => !isIncidental(a, k, scan));
  if (cues.length === 0) return null;

  const hedge = cues.find((k) => k.kind === "hedge");
  const decisive =
    cues.find((k) => k.kind === "present" || k.kind === "late" || (k.kind === "absent" && !k.ambiguous)) ??
    cues.find((k) => k.kind === "absent") ??
    cues.find((k) => k.kind === "circumstance");
  const clauseOf = (k: Cue): number => (words[k.from] as Word).clause;

  // A hedge wins ("có thể em đến trễ, chưa rõ"), unless an absence was stated in an earlier
  // clause and the hedge is about something else.
  if (hedge && !(decisive?.kind === "absent" && clauseOf(decisive) < clauseOf(hedge))) {
    return cueAccepted(a, hedge, scan[0], scan[1], context)
      ? judge(a, { kind: "unsure" }, hedge, context, reason)
      : null;
  }
  if (!decisive || !cueAccepted(a, decisive, scan[0], scan[1], context)) return null;

  if (decisive.kind === "present" || decisive.kind === "late") {
    const note = attendNote(a, cues, decisive, scan);
    return judge(a, note ? { kind: "attend", note } : { kind: "attend" }, decisive, context, reason);
  }
  const why = absenceReason(a, decisive, reason, scan);
  return judge(a, why ? { kind: "absent", reason: why } : { kind: "absent" }, decisive, context);
}

// ---------------------------------------------------------------------------------------------
// How clearly a message is an answer. The parser finds an answer phrase; the message is a clear
// answer only when that phrase is what it says. Every other word is scored: words an answer is
// made of (the phrase, fillers, times, meeting words, lateness, thanks) are explained; the
// absence's reason is the member's own and explained too; anything else — a second topic, a
// question to the association, a request — makes the message mixed, and the member is asked.

type AttendanceIntent = Extract<Intent, { kind: "attend" | "absent" | "unsure" }>;

/** Words a short attendance answer is made of. */
function isAnswerWord(w: Word | undefined): boolean {
  return (
    isFiller(w) ||
    isAmount(w) ||
    is(w, vocab.polite) ||
    is(w, vocab.yes) ||
    is(w, vocab.no) ||
    is(w, vocab.negators) ||
    is(w, vocab.continuations) ||
    is(w, vocab.time) ||
    is(w, vocab.meeting) ||
    is(w, vocab.late) ||
    is(w, vocab.lateContinuations) ||
    is(w, vocab.presenceFree) ||
    is(w, vocab.presenceConstrained) ||
    is(w, vocab.returnVerb) ||
    is(w, vocab.absence) ||
    is(w, vocab.askLeave) ||
    is(w, vocab.hedges) ||
    is(w, vocab.maybe) ||
    is(w, vocab.letMe) ||
    is(w, vocab.letMeVerbs) ||
    is(w, vocab.undecided) ||
    is(w, vocab.greetings) ||
    is(w, vocab.answerExtra) ||
    is(w, vocab.read) ||
    isConnector(w)
  );
}

/** Indices of the words in [from, to) that an attendance answer does not account for. */
function unexplained(a: Analysis, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) if (!isAnswerWord(a.words[i]) && !isNameAfterPronoun(a, i)) out.push(i);
  return out;
}

/** "bác Tư", "chị Hoa": a capitalised word after a pronoun is the member naming themself. */
function isNameAfterPronoun(a: Analysis, i: number): boolean {
  const w = a.words[i] as Word;
  const first = a.text.slice(w.start, w.start + 1);
  return sameClause(a, i - 1, i) && is(a.words[i - 1], vocab.pronouns) && first !== first.toLowerCase();
}

/**
 * A cue that merely appears in a sentence about something else: a verb with several meanings
 * ("đến", "tới", "đi", "tham gia"), a hedge-like phrase ("xem lại") or a lateness word, in a clause
 * where two or more other words are left unexplained.
 */
function isIncidental(a: Analysis, cue: Cue, scan: [number, number]): boolean {
  const word = a.words[cue.from];
  const clause = a.clauses[(word as Word).clause] as Clause;
  const start = Math.max(clause.from, scan[0]);
  // A habit ("ít đi sinh hoạt", "hay vắng") says nothing about this meeting.
  for (let i = start; i < cue.from; i++) if (is(a.words[i], vocab.habitual)) return true;
  // A circumstance of someone else ("hội viên ốm đau", "con tôi đi làm xa") is news, not an absence.
  if (cue.kind === "circumstance") return unexplained(a, start, cue.from).length > 0;
  // "nếu rảnh", "tùy sức khỏe": the words after a condition are its content.
  if (cue.kind === "hedge" && is(word, vocab.conditions)) return false;
  const ambiguousVerb = cue.kind === "present" && is(word, vocab.presenceConstrained) && !is(word, vocab.presenceFree);
  if (!ambiguousVerb && cue.kind !== "hedge" && cue.kind !== "late") return false;
  return unexplained(a, start, Math.min(clause.to, scan[1])).length >= 2;
}

/** Content words in the message (for "a long message is not a clear answer"). */
const contentCount = (a: Analysis): number => a.words.filter((w) => !isFiller(w) && !is(w, vocab.polite)).length;

/** A clear answer longer than this many content words is still asked about (absences keep their reason). */
const MAX_CLEAR_ANSWER = 16;

/**
 * The answer itself when the message clearly is one; `mixed` when it also says something else;
 * null (not an answer) when, outside a reminder, the answer phrase sits in a sentence about
 * something else.
 */
function judge(
  a: Analysis,
  answer: AttendanceIntent,
  cue: Cue,
  context: ParseContext,
  because?: [number, number],
): Intent | null {
  const n = a.words.length;
  const otherQuestion = a.clauses.some((c) => c.question && unexplained(a, c.from, c.to).length > 0);
  const request = a.words.some((w) => is(w, vocab.requests));
  const long = contentCount(a) > MAX_CLEAR_ANSWER;
  let rest: number[] = [];
  const cueWord = a.words[cue.from] as Word;
  const cueClause = a.clauses[cueWord.clause] as Clause;
  if (answer.kind === "unsure" && is(cueWord, vocab.conditions))
    rest = unexplained(a, 0, n).filter((i) => i < cueClause.from || i >= cueClause.to);
  // "…, có thể đến trễ 10 phút vì tan ca muộn": the words after "vì" say why, like a reason.
  else if (answer.kind !== "absent")
    rest = unexplained(a, 0, n).filter((i) => !because || i < because[0] || i >= because[1]);
  else if (cue.kind === "circumstance") {
    // A circumstance alone ("em đang ốm") is an absence; next to a question or a request, or inside
    // a long sentence, it is what the message is about ("đi viện mất nhiều tiền, hội có hỗ trợ
    // không"); in a sentence of middling length, ask. ("bận …" is always followed by the reason.)
    if (otherQuestion || request) return null;
    const inClause = is(cueWord, vocab.busy) ? [] : unexplained(a, cueClause.from, cueClause.to);
    if (inClause.length >= 5) return null;
    if (inClause.length >= 3) rest = inClause;
  }
  if (!otherQuestion && !request && !long && rest.length === 0) return answer;
  // Outside a reminder, an answer phrase inside a sentence about something else is that sentence.
  if (context !== "reminder" && rest.some((i) => (a.words[i] as Word).clause === cueWord.clause)) return null;
  const reason = answer.kind === "absent" ? answer.reason : undefined;
  return { kind: "mixed", answer: answer.kind, ...(reason ? { reason } : {}), text: a.text.trim() };
}

/** Later clauses (after the cue's clause, inside the scanned range) that say something. */
function laterClauses(a: Analysis, cue: Cue, scan: [number, number]): Clause[] {
  const cueClause = (a.words[cue.from] as Word).clause;
  return a.clauses.filter(
    (c, index) => index > cueClause && c.from >= scan[0] && c.to <= scan[1] && !c.question && !isEmptyClause(a, c),
  );
}

/**
 * Where a reason ends: before the first clause after word `from`'s that asks the association
 * something ("…, cho hỏi có tài liệu không", "…, đề nghị xã cho người xuống xem"). A word index,
 * at most `to`.
 */
function beforeAside(a: Analysis, from: number, to: number): number {
  const start = a.words[from]?.clause ?? a.clauses.length;
  for (const c of a.clauses) {
    if (c.from <= from || c.from >= to || (a.words[c.from] as Word).clause <= start) continue;
    let aside = c.question;
    for (let i = c.from; i < c.to && !aside; i++) if (is(a.words[i], vocab.requests)) aside = true;
    if (aside) return c.from;
  }
  return to;
}

/** "có mặt nhưng tới trễ 10 phút" → "tới trễ 10 phút". */
function attendNote(a: Analysis, cues: Cue[], cue: Cue, scan: [number, number]): string | undefined {
  const later = laterClauses(a, cue, scan);
  const first = later[0];
  const last = later[later.length - 1];
  if (first && last) return excerpt(a, first.from, last.to);
  const late = cues.find((k) => k.kind === "late");
  if (!late) return undefined;
  let start = late.from;
  if (sameClause(a, start, start - 1) && isPresenceAt(a, start - 1)) start--;
  const clause = a.clauses[(a.words[late.from] as Word).clause] as Clause;
  return excerpt(a, start, Math.min(clause.to, scan[1]));
}

/**
 * The member's reason for an absence, in their own words. In order: after a connector ("vì",
 * "do", "lý do"…), in the clauses after the absence ("vắng ạ, đang ở viện"), from "bận" on,
 * right after the absence phrase ("k đi đc con ốm"), in the clauses before it ("con ốm nên em xin
 * vắng"), or the circumstance itself ("em đang ốm").
 */
function absenceReason(
  a: Analysis,
  cue: Cue,
  connectorReason: [number, number] | undefined,
  scan: [number, number],
): string | undefined {
  const { words } = a;
  if (connectorReason)
    return excerpt(a, connectorReason[0], beforeAside(a, connectorReason[0], connectorReason[1]), vocab.afterConnector);

  const later = laterClauses(a, cue, scan).filter((c) => c.to <= beforeAside(a, cue.to - 1, scan[1]));
  const firstLater = later[0];
  const lastLater = later[later.length - 1];
  if (firstLater && lastLater) {
    const text = excerpt(a, firstLater.from, lastLater.to);
    if (text) return text;
  }

  const cueClause = a.clauses[(words[cue.from] as Word).clause] as Clause;
  for (let i = scan[0]; i < scan[1]; i++) {
    if (!is(words[i], vocab.busy)) continue;
    const clause = a.clauses[(words[i] as Word).clause] as Clause;
    const end = i < cue.from && clause === cueClause ? cue.from : Math.min(clause.to, scan[1]);
    // "bận" alone is no reason; "bận việc nhà" is kept whole, in the member's words.
    if (excerpt(a, i + 1, end)) return excerpt(a, i, end, vocab.afterConnector);
  }

  if (cue.kind !== "circumstance") {
    let k = cue.to;
    const end = Math.min(cueClause.to, scan[1]);
    while (k < end && isNotAReason(a, k)) k++;
    if (k < end) {
      const text = excerpt(a, k, end);
      if (text) return text;
    }
  }

  // "(bác) yếu quá nên không đi được", "mưa to quá em xin nghỉ": the words before the answer.
  if (cue.kind !== "circumstance" && cue.from > Math.max(cueClause.from, scan[0])) {
    let end = cue.from;
    while (end > cueClause.from && (is(words[end - 1], vocab.pronouns) || isFiller(words[end - 1]))) end--;
    let said = false;
    for (let i = Math.max(cueClause.from, scan[0]); i < end; i++)
      if (!isAnswerWord(words[i]) && !is(words[i], vocab.busy)) said = true;
    const text = said ? excerpt(a, Math.max(cueClause.from, scan[0]), end) : undefined;
    if (text) return text;
  }

  const earlier = a.clauses.filter(
    (c) => c.from >= scan[0] && c.to <= cueClause.from && !c.question && !isEmptyClause(a, c),
  );
  const firstEarlier = earlier[0];
  const lastEarlier = earlier[earlier.length - 1];
  if (firstEarlier && lastEarlier) {
    const text = excerpt(a, firstEarlier.from, lastEarlier.to);
    if (text) return text;
  }

  if (cue.kind === "circumstance" && !is(words[cue.from], vocab.busy))
    return excerpt(a, Math.max(cueClause.from, scan[0]), Math.min(cueClause.to, scan[1]));
  return undefined;
}
