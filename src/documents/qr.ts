import { closePath, fill, lineTo, moveTo, popGraphicsState, pushGraphicsState, rectangle, rgb, setFillingColor, type PDFPage } from "pdf-lib";
import { encode } from "uqr";
import { QR_QUIET_ZONE } from "../access/qr-svg.ts";

/**
 * A QR code drawn as vector modules on a PDF page, with the same symbol as
 * the SVG the holder's app shows (error correction M, 4-module quiet zone):
 * dark runs of each row are one rectangle each, filled at once, so the code
 * stays sharp at any print resolution. (x, y) is the bottom-left corner of
 * the quiet zone; `size` the side in points, quiet zone included.
 */
export function drawQr(page: PDFPage, text: string, x: number, y: number, size: number): void {
  const qr = encode(text, { ecc: "M", border: QR_QUIET_ZONE });
  const n = qr.size;
  const module = size / n;
  const ops = [pushGraphicsState(), setFillingColor(rgb(1, 1, 1)), rectangle(x, y, size, size), fill(), setFillingColor(rgb(0, 0, 0))];
  for (let row = 0; row < n; row++) {
    const cells = qr.data[row]!;
    for (let col = 0; col < n; ) {
      if (!cells[col]) {
        col++;
        continue;
      }
      let end = col + 1;
      while (end < n && cells[end]) end++;
      // PDF's y axis points up: row 0 is the top of the symbol.
      const top = y + size - row * module;
      ops.push(moveTo(x + col * module, top), lineTo(x + end * module, top), lineTo(x + end * module, top - module), lineTo(x + col * module, top - module), closePath());
      col = end;
    }
  }
  ops.push(fill(), popGraphicsState());
  page.pushOperators(...ops);
}
