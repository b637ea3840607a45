/**
 * Folds Vietnamese text for matching: removes diacritics (đ → d too), lower-cases and collapses
 * white space. "Họ và TÊN " → "ho va ten".
 */
export function foldVietnamese(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** Collapses white space and trims, keeping diacritics and case (for names shown to people). */
export function tidyText(text: string): string {
  return text.normalize("NFC").replace(/\s+/g, " ").trim();
}
