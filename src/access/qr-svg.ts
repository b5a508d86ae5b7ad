import { encode } from "uqr";

/** Quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4). */
export const QR_QUIET_ZONE = 4;
const PIXELS_PER_MODULE = 8;

/**
 * A QR code as SVG: error correction M (survives 15 % damage, a scratched
 * phone screen), a 4-module quiet zone, one module per user unit. Dark modules
 * are one path of horizontal runs, so a version-8 symbol stays a few kB.
 */
export function renderQrSvg(text: string): string {
  const qr = encode(text, { ecc: "M", border: QR_QUIET_ZONE });
  const n = qr.size;
  let path = "";
  for (let y = 0; y < n; y++) {
    const row = qr.data[y]!;
    for (let x = 0; x < n; ) {
      if (!row[x]) {
        x++;
        continue;
      }
      let end = x + 1;
      while (end < n && row[end]) end++;
      path += `M${x} ${y}h${end - x}v1h-${end - x}z`;
      x = end;
    }
  }
  const px = n * PIXELS_PER_MODULE;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n} ${n}" width="${px}" height="${px}" shape-rendering="crispEdges">` +
    `<rect width="${n}" height="${n}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`
  );
}
