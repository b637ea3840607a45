/**
 * The service's icon (/favicon.ico): a 32×32 Windows icon drawn in code, a white "CH" on the red of
 * the pages' header, so browsers stop asking for a missing file on every load.
 */

const size = 32;
const red = [0x1c, 0x1c, 0xb9, 0xff]; // B, G, R, A: #b91c1c
const white = [0xff, 0xff, 0xff, 0xff];

// "CH" in a 5×7 font, scaled ×3 and centred.
const glyphs = [
  ["01110", "10001", "10000", "10000", "10000", "10001", "01110"],
  ["10001", "10001", "10001", "11111", "10001", "10001", "10001"],
];

function isInk(x: number, y: number): boolean {
  const scale = 3;
  const glyphWidth = 5 * scale;
  const gap = 1;
  const left = Math.floor((size - (2 * glyphWidth + gap)) / 2);
  const top = Math.floor((size - 7 * scale) / 2);
  const row = Math.floor((y - top) / scale);
  if (row < 0 || row >= 7) return false;
  for (let g = 0; g < glyphs.length; g++) {
    const col = Math.floor((x - left - g * (glyphWidth + gap)) / scale);
    if (x - left - g * (glyphWidth + gap) >= 0 && col < 5 && glyphs[g]![row]![col] === "1") return true;
  }
  return false;
}

/** The icon file: ICONDIR + one ICONDIRENTRY + a 32-bit BMP (bottom-up) with its AND mask. */
export function faviconIco(): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      // Rows are stored bottom-up; round the corners by leaving them transparent.
      const corner = Math.min(x, size - 1 - x) + Math.min(y, size - 1 - y) < 3;
      const colour = corner ? [0, 0, 0, 0] : isInk(x, y) ? white : red;
      Buffer.from(colour).copy(pixels, ((size - 1 - y) * size + x) * 4);
    }
  const mask = Buffer.alloc((size / 8) * size); // all 0: alpha decides
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // height counts the image and its mask
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(pixels.length + mask.length, 20);
  const image = Buffer.concat([header, pixels, mask]);
  const dir = Buffer.alloc(6 + 16);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2); // type: icon
  dir.writeUInt16LE(1, 4); // one image
  dir.writeUInt8(size, 6);
  dir.writeUInt8(size, 7);
  dir.writeUInt16LE(1, 10); // planes
  dir.writeUInt16LE(32, 12); // bits per pixel
  dir.writeUInt32LE(image.length, 14);
  dir.writeUInt32LE(dir.length, 18);
  return Buffer.concat([dir, image]);
}
