import bidiFactory from "bidi-js";
import { beginText, endText, PDFHexString, popGraphicsState, pushGraphicsState, rgb, setFillingColor, setFontAndSize, setTextMatrix, showText, type Color, type PDFPage } from "pdf-lib";
import { DocumentFonts, type EmbeddedFace, type Face } from "./fonts.ts";

/**
 * Text set for PDF pages in French, English and Arabic: the Unicode
 * bidirectional algorithm (bidi-js) splits a line into runs and orders them
 * for display, each run is shaped by fontkit with the face that has its
 * script (Arabic letters join, take their contextual forms and ligatures,
 * and marks are placed by the font's GPOS offsets), and glyphs are written
 * with their shaped positions; pdf-lib's own drawText knows no positions,
 * which would drop the marks off their letters.
 */

const bidi = bidiFactory();

export interface TextStyle {
  size: number;
  bold?: boolean;
  color?: Color;
}

export type Align = "left" | "right" | "center";

/** One stretch of glyphs of one face, in display order (left to right). */
interface Piece {
  face: Face;
  text: string;
  glyphs: { id: number; advanceWidth: number }[];
  positions: { xAdvance: number; xOffset: number; yOffset: number }[];
  /** Width in font units. */
  units: number;
}

const isArabic = (cp: number) => (cp >= 0x0600 && cp <= 0x06ff) || (cp >= 0x0750 && cp <= 0x077f) || (cp >= 0x08a0 && cp <= 0x08ff) || (cp >= 0xfb50 && cp <= 0xfdff) || (cp >= 0xfe70 && cp <= 0xfeff);

export const hasArabic = (text: string) => /[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]/.test(text);

const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Runs of one embedding level, in display order (rule L2 of UAX #9, applied to whole runs). */
function visualRuns(text: string, direction: "ltr" | "rtl"): { text: string; rtl: boolean }[] {
  const { levels } = bidi.getEmbeddingLevels(text, direction);
  const runs: { start: number; end: number; level: number }[] = [];
  for (let i = 0; i < text.length; i++) {
    const last = runs[runs.length - 1];
    if (last && last.level === levels[i]) last.end = i + 1;
    else runs.push({ start: i, end: i + 1, level: levels[i]! });
  }
  const highest = Math.max(0, ...runs.map((r) => r.level));
  const lowestOdd = Math.min(...runs.map((r) => (r.level % 2 === 1 ? r.level : Infinity)), highest + 1);
  for (let level = highest; level >= lowestOdd; level--) {
    for (let i = 0; i < runs.length; ) {
      if (runs[i]!.level < level) {
        i++;
        continue;
      }
      let j = i;
      while (j < runs.length && runs[j]!.level >= level) j++;
      runs.splice(i, j - i, ...runs.slice(i, j).reverse());
      i = j;
    }
  }
  return runs.flatMap((run) => {
    const rtl = run.level % 2 === 1;
    // Direction marks have done their work in the levels: they draw nothing (Intl puts them in Arabic amounts).
    let chunk = text.slice(run.start, run.end).replace(BIDI_CONTROLS, "");
    // Brackets point the other way in right-to-left text.
    if (rtl) chunk = [...chunk].map((ch) => bidi.getMirroredCharacter(ch) ?? ch).join("");
    return chunk ? [{ text: chunk, rtl }] : [];
  });
}

/** Splits a run where the face changes: Arabic script (and neutrals among it) in the Arabic face, the rest in the Latin one. */
function byFace(run: { text: string; rtl: boolean }, bold: boolean): { face: Face; text: string }[] {
  const ar: Face = bold ? "arBold" : "ar";
  const latin: Face = bold ? "latinBold" : "latin";
  const parts: { face: Face; text: string }[] = [];
  for (const ch of run.text) {
    const cp = ch.codePointAt(0)!;
    const face = isArabic(cp) || (run.rtl && !/[\p{L}\p{N}]/u.test(ch) && DocumentFonts.covers(ar, cp)) ? ar : latin;
    const last = parts[parts.length - 1];
    if (last && last.face === face) last.text += ch;
    else parts.push({ face, text: ch });
  }
  // Pieces of a right-to-left run are laid from the right: fontkit reverses the glyphs within an Arabic piece itself.
  return run.rtl ? parts.reverse() : parts;
}

/** Sets lines of text on the pages of one document. Shapes are kept per document: an order's pages repeat their labels. */
export class Typesetter {
  private readonly shapes = new Map<string, Piece[]>();
  private readonly encoded = new Map<string, string[]>();

  constructor(readonly fonts: DocumentFonts) {}

  private shape(text: string, bold: boolean, direction: "ltr" | "rtl"): Piece[] {
    const key = `${bold ? 1 : 0}${direction}${text}`;
    let pieces = this.shapes.get(key);
    if (pieces) return pieces;
    pieces = [];
    for (const run of visualRuns(text, direction)) {
      for (const part of byFace(run, bold)) {
        const { shaper } = this.fonts.get(part.face);
        const laid = shaper.layout(part.text);
        pieces.push({ face: part.face, text: part.text, glyphs: laid.glyphs, positions: laid.positions, units: laid.positions.reduce((sum, p) => sum + p.xAdvance, 0) });
      }
    }
    this.shapes.set(key, pieces);
    return pieces;
  }

  /** The glyph ids of a piece in the document's subset of its face, as 4-digit hex (Identity-H). */
  private cids(face: EmbeddedFace, piece: Piece): string[] {
    const key = `${piece.face}${piece.text}`;
    let cids = this.encoded.get(key);
    if (!cids) {
      // Lays the piece out as `shape` did (same font, same text): one id per shaped glyph, in the same order.
      const hex = face.pdf.encodeText(piece.text).asString();
      cids = Array.from({ length: hex.length / 4 }, (_, i) => hex.slice(i * 4, i * 4 + 4));
      this.encoded.set(key, cids);
    }
    return cids;
  }

  /** Width of a line in points. `direction` is the paragraph's: Arabic labels are right-to-left. */
  width(text: string, style: TextStyle, direction: "ltr" | "rtl" = directionOf(text)): number {
    return this.shape(text, style.bold ?? false, direction).reduce((sum, piece) => sum + (piece.units * style.size) / this.fonts.get(piece.face).shaper.unitsPerEm, 0);
  }

  /** The largest size not above `style.size` (nor under `min`) at which the line fits `maxWidth`. */
  fit(text: string, style: TextStyle, maxWidth: number, min = 6): number {
    const width = this.width(text, style);
    return width <= maxWidth ? style.size : Math.max(min, Math.floor(((style.size * maxWidth) / width) * 10) / 10);
  }

  /** Breaks text into lines no wider than `maxWidth` at spaces (a word longer than the line stays whole). */
  wrap(text: string, style: TextStyle, maxWidth: number): string[] {
    const lines: string[] = [];
    for (const paragraph of text.split("\n")) {
      let line = "";
      for (const word of paragraph.split(/\s+/).filter(Boolean)) {
        const candidate = line ? `${line} ${word}` : word;
        if (line && this.width(candidate, style) > maxWidth) {
          lines.push(line);
          line = word;
        } else line = candidate;
      }
      lines.push(line);
    }
    return lines;
  }

  /**
   * Draws one line with its baseline at `y`. `x` is where the line starts
   * (left), ends (right) or its middle (center). Returns its width.
   */
  draw(page: PDFPage, text: string, x: number, y: number, style: TextStyle & { align?: Align; direction?: "ltr" | "rtl" }): number {
    if (!text) return 0;
    const direction = style.direction ?? directionOf(text);
    const pieces = this.shape(text, style.bold ?? false, direction);
    const width = this.width(text, style, direction);
    let cursor = style.align === "right" ? x - width : style.align === "center" ? x - width / 2 : x;
    const ops = [pushGraphicsState(), setFillingColor(style.color ?? rgb(0, 0, 0)), beginText()];
    for (const piece of pieces) {
      const face = this.fonts.get(piece.face);
      const scale = style.size / face.shaper.unitsPerEm;
      const cids = this.cids(face, piece);
      ops.push(setFontAndSize(page.node.newFontDictionary(face.pdf.name, face.pdf.ref), style.size));
      // Consecutive glyphs that sit where their own advance puts them share one show; any shift starts a new one.
      let run = "";
      let expected = Number.NaN;
      for (let i = 0; i < piece.glyphs.length; i++) {
        const glyph = piece.glyphs[i]!;
        const pos = piece.positions[i]!;
        const gx = cursor + pos.xOffset * scale;
        const gy = y + pos.yOffset * scale;
        if (pos.xOffset !== 0 || pos.yOffset !== 0 || !(Math.abs(gx - expected) <= 0.001)) {
          if (run) ops.push(showText(PDFHexString.of(run)));
          ops.push(setTextMatrix(1, 0, 0, 1, gx, gy));
          run = "";
        }
        run += cids[i] ?? "0000";
        // Where the PDF viewer puts the next glyph (by the font's width), and where the shaping wants it.
        expected = gx + glyph.advanceWidth * scale;
        cursor += pos.xAdvance * scale;
        if (pos.xOffset !== 0 || pos.yOffset !== 0) expected = Number.NaN;
        else if (Math.abs(expected - cursor) > 0.001) expected = Number.NaN;
      }
      if (run) ops.push(showText(PDFHexString.of(run)));
    }
    ops.push(endText(), popGraphicsState());
    page.pushOperators(...ops);
    return width;
  }
}

/** Right-to-left when the text's first strong character is Arabic. */
export function directionOf(text: string): "ltr" | "rtl" {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (isArabic(cp)) return "rtl";
    if (/\p{L}/u.test(ch)) return "ltr";
  }
  return "ltr";
}
