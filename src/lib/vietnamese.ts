/**
 * Folds Vietnamese text for matching: removes diacritics (đ → d too), lower-cases and collapses
 * white space. "Họ và TÊN " → "ho va ten".
 *
 * Text made only of ASCII and Latin letters (with their diacritics) is folded a character at a
 * time from a table made by the general rule below (about five times faster: a 100,000-row roster
 * folds each name several times); anything else takes the general rule, so the result is the same.
 */
export function foldVietnamese(text: string): string {
  const table = latinFolds ?? makeLatinFolds();
  const n = text.length;
  if (n > foldBuffer.length) return foldGeneral(text);
  let length = 0;
  for (let i = 0; i < n; i++) {
    let code = text.charCodeAt(i);
    if (code >= 128) {
      code = code < table.length ? table[code]! : -1;
      if (code < 0) return foldGeneral(text);
      if (code === 0) continue; // a combining mark
    }
    // ASCII: lower-cased here, white space collapsed below
    foldBuffer[length++] = code >= 65 && code <= 90 ? code + 32 : code;
  }
  const folded = String.fromCharCode.apply(null, foldBuffer.subarray(0, length) as unknown as number[]);
  return /^\S+( \S+)*$/.test(folded) ? folded : folded.replace(/\s+/g, " ").trim();
}

const foldBuffer = new Uint16Array(256);

function foldGeneral(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Non-ASCII characters whose general folding is one ASCII character that is not white space (or
 * nothing: the combining marks it removes): Latin-1, Latin Extended-A/B and Latin Extended
 * Additional (ạ ầ ề ộ ự ỹ …). NFD decomposes each character on its own, and the marks it yields
 * are all removed, so folding such text character by character gives the general result.
 */
let latinFolds: Int16Array | undefined;
function makeLatinFolds(): Int16Array {
  // -1: not in the table; 0: removed (a combining mark); else the ASCII code it folds to.
  const table = new Int16Array(0x1f00).fill(-1);
  for (const [lo, hi] of [
    [0xc0, 0x24f],
    [0x1e00, 0x1eff],
  ] as const) {
    for (let code = lo; code <= hi; code++) {
      const folded = foldGeneral(String.fromCharCode(code));
      if (folded.length === 1 && folded.charCodeAt(0) < 128 && !/\s/.test(folded)) table[code] = folded.charCodeAt(0);
    }
  }
  for (let code = 0x300; code <= 0x36f; code++) table[code] = 0;
  latinFolds = table;
  return table;
}

/** Collapses white space and trims, keeping diacritics and case (for names shown to people). */
export function tidyText(text: string): string {
  return text.normalize("NFC").replace(/\s+/g, " ").trim();
}
