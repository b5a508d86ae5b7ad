import { encode } from "uqr";
import { pngFile } from "./png.ts";

/**
 * A QR code as a PNG, for email: mail clients (Gmail, Outlook) block SVG and
 * `data:` images, but show a PNG attached inline and referenced by `cid:`.
 * Black and white at one bit per pixel, error correction M and a 4-module
 * quiet zone like the app's SVG (src/access/qr-svg.ts), `scale` pixels a
 * module: a ticket's QR is about 1 kB.
 */
export function renderQrPng(text: string, scale = 6): Uint8Array {
  return encodePng(encode(text, { ecc: "M", border: 4 }).data, scale);
}

/** A 1-bit grayscale PNG of `modules` (true = dark), each module `scale` × `scale` pixels. */
export function encodePng(modules: boolean[][], scale: number): Uint8Array {
  const size = modules.length * scale;
  const rowBytes = Math.ceil(size / 8);
  const raw = new Uint8Array((rowBytes + 1) * size);
  for (let y = 0; y < size; y++) {
    const row = modules[Math.floor(y / scale)]!;
    const offset = y * (rowBytes + 1); // the row's filter byte stays 0 (None)
    for (let x = 0; x < size; x++) {
      // Grayscale 1-bit: 1 is white, so light modules set their bit.
      if (!row[Math.floor(x / scale)]) raw[offset + 1 + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return pngFile(size, size, 1, 0, raw);
}
