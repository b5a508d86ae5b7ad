import { encode } from "uqr";

/**
 * A QR code as a PNG, for email: mail clients (Gmail, Outlook) block SVG and
 * `data:` images, but show a PNG attached inline and referenced by `cid:`.
 * Black and white at one bit per pixel, error correction M and a 4-module
 * quiet zone like the app's SVG (src/access/qr-svg.ts), `scale` pixels a
 * module: a ticket's QR is about 1 kB.
 */
export async function renderQrPng(text: string, scale = 6): Promise<Uint8Array> {
  const qr = encode(text, { ecc: "M", border: 4 });
  return encodePng(qr.data, scale);
}

/** A 1-bit grayscale PNG of `modules` (true = dark), each module `scale` × `scale` pixels. */
export async function encodePng(modules: boolean[][], scale: number): Promise<Uint8Array> {
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
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, size);
  view.setUint32(4, size);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, adaptive filtering, no interlace
  const idat = await deflate(raw);
  return concat([PNG_SIGNATURE, chunk("IHDR", header), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))]);
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** zlib-wrapped deflate, which is what a PNG's IDAT holds. */
async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Response(bytes).body!.pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
