/**
 * What kind of file a roster is, judged by its bytes, and the text of a CSV: UTF-8 with or without
 * a BOM, UTF-16 with or without one, or (when iconv-lite happens to be installed) an old Windows
 * code page. Formats we cannot read are refused with a reason that says what the file really is.
 */
import { fileError } from "./file-errors.ts";

function startsWith(buffer: Buffer, bytes: readonly number[]): boolean {
  return bytes.every((b, i) => buffer[i] === b);
}

/**
 * Decides by content, not by the name: officials rename files, and systems export tab-separated
 * text or HTML as ".xls". Formats we cannot read get a reason that says what the file really is.
 */
export function sniff(buffer: Buffer, file: string): "xlsx" | "text" {
  const head = buffer.subarray(0, 4096);
  if (startsWith(buffer, [0x50, 0x4b, 0x03, 0x04]) || startsWith(buffer, [0x50, 0x4b, 0x05, 0x06])) {
    // Entry names are stored uncompressed; a workbook has its parts under "xl/".
    if (buffer.includes("xl/workbook.xml") || buffer.includes("xl/worksheets/") || buffer.includes("xl/_rels/"))
      return "xlsx";
    if (buffer.includes("xl/workbook.bin")) throw fileError("file_format", { file, reason: "xlsb" });
    if (head.includes("opendocument.spreadsheet")) throw fileError("file_format", { file, reason: "ods" });
    throw fileError("file_format", { file, reason: "zip_not_xlsx" });
  }
  if (head.subarray(0, 1024).includes("%PDF-")) throw fileError("file_format", { file, reason: "pdf" });
  // OLE2 compound file: Excel 97–2003 .xls, or an .xlsx protected by a password.
  if (startsWith(buffer, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    if (buffer.includes(Buffer.from("EncryptedPackage", "utf16le")))
      throw fileError("file_format", { file, reason: "encrypted" });
    throw fileError("file_format", { file, reason: "xls" });
  }
  return "text";
}

/** Which UTF-16 a buffer without a BOM is, judged by where the zero bytes of ASCII text fall. */
function bomlessUtf16(buffer: Buffer): "le" | "be" | null {
  const n = Math.min(buffer.length, 4096) & ~1;
  if (n < 4) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (buffer[i] === 0) evenZero++;
    if (buffer[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero > pairs * 0.4 && evenZero < pairs * 0.05) return "le";
  if (evenZero > pairs * 0.4 && oddZero < pairs * 0.05) return "be";
  return null;
}

function decodeUtf16(bytes: Buffer, endian: "le" | "be"): string {
  const even = bytes.subarray(0, bytes.length & ~1);
  const copy = Buffer.from(even);
  if (endian === "be") copy.swap16();
  return copy.toString("utf16le");
}

/** Control bytes other than tab, line breaks, form feed and the DOS end-of-file mark. */
function looksBinary(buffer: Buffer): boolean {
  const n = Math.min(buffer.length, 65536);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = buffer[i]!;
    if (b === 0) return true;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1a) || b === 0x7f) control++;
  }
  return control > Math.max(2, n * 0.01);
}

type LegacyDecode = (bytes: Buffer, encoding: string) => string;

/** iconv-lite, when it happens to be installed; it is not a dependency of this project. */
async function legacyDecoder(): Promise<LegacyDecode | null> {
  const specifier = "iconv-lite";
  try {
    const mod = (await import(specifier)) as { default?: { decode?: LegacyDecode }; decode?: LegacyDecode };
    const decode = mod.decode ?? mod.default?.decode;
    return decode ? (bytes, encoding) => decode(bytes, encoding) : null;
  } catch {
    return null;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export async function decodeText(buffer: Buffer, file: string): Promise<DecodedText> {
  if (startsWith(buffer, [0xff, 0xfe])) return { text: decodeUtf16(buffer.subarray(2), "le") };
  if (startsWith(buffer, [0xfe, 0xff])) return { text: decodeUtf16(buffer.subarray(2), "be") };
  const utf16 = bomlessUtf16(buffer);
  if (utf16) return { text: decodeUtf16(buffer, utf16) };
  const hasBom = startsWith(buffer, [0xef, 0xbb, 0xbf]);
  const body = hasBom ? buffer.subarray(3) : buffer;
  if (looksBinary(body)) throw fileError("file_format", { file, reason: "binary" });
  try {
    return { text: utf8.decode(body) };
  } catch (error) {
    // Not UTF-8: an old "CSV (Comma delimited)" saved by Excel in a Windows code page.
    const decode = hasBom ? null : await legacyDecoder();
    if (!decode) throw fileError("file_unreadable", { file, reason: "encoding", cause: error });
    return { text: decode(body, "windows-1258"), fallback: (bytes) => decode(bytes, "windows-1252"), bytes: body };
  }
}

export interface DecodedText {
  text: string;
  /** A second legacy code page to try when the first gives no recognisable header. */
  fallback?: (bytes: Buffer) => string;
  bytes?: Buffer;
}
