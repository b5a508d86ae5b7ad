import { pngFile } from "../lib/png.ts";

/**
 * A solid-colour PNG (RGB, 8 bits): the icons Apple Wallet requires in every
 * pass, drawn in the template's colour when the organizer has no PNG logo.
 */
export function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Uint8Array {
  const rows = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const at = y * (1 + width * 3);
    for (let x = 0; x < width; x++) rows.set([Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)], at + 1 + x * 3);
  }
  return pngFile(width, height, 8, 2, rows);
}

/** Width and height of a PNG (from IHDR) or a JPEG (from its first SOF marker), or null. */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length > 24 && bytes[0] === 0x89 && bytes[1] === 0x50) return { width: view.getUint32(16), height: view.getUint32(20) };
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    for (let at = 2; at + 9 < bytes.length; ) {
      if (bytes[at] !== 0xff) return null;
      const marker = bytes[at + 1]!;
      const length = view.getUint16(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
      at += 2 + length;
    }
  }
  return null;
}
