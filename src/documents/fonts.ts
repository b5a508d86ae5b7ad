import fontkit from "@pdf-lib/fontkit";
import { unzlibSync } from "fflate";
import { CustomFontSubsetEmbedder, PDFFont, type PDFDocument } from "pdf-lib";
// Bound as Data modules (wrangler.toml [[rules]]), straight from the font packages: nothing copied into the repository.
import arabicBold from "@fontsource/noto-sans-arabic/files/noto-sans-arabic-arabic-700-normal.woff";
import arabicRegular from "@fontsource/noto-sans-arabic/files/noto-sans-arabic-arabic-400-normal.woff";
import latinBold from "@fontsource/noto-sans/files/noto-sans-latin-700-normal.woff";
import latinRegular from "@fontsource/noto-sans/files/noto-sans-latin-400-normal.woff";

/**
 * The fonts of rendered documents: Noto Sans (Latin, French accents, €) and
 * Noto Sans Arabic, regular and bold, the subsets fontsource publishes as
 * WOFF files (about 190 kB together, kept out of R2 so that a render needs
 * no fetch). Only the glyphs a document uses are embedded in it.
 */

type Glyph = { id: number; advanceWidth: number; codePoints: number[] };
type GlyphPosition = { xAdvance: number; yAdvance: number; xOffset: number; yOffset: number };
export interface FontkitFont {
  unitsPerEm: number;
  ascent: number;
  descent: number;
  layout(text: string, features?: string[] | Record<string, boolean>): { glyphs: Glyph[]; positions: GlyphPosition[] };
  hasGlyphForCodePoint(codePoint: number): boolean;
  createSubset(): unknown;
}

/** The four faces; `ar` covers Arabic script, `latin` everything else. */
export type Face = "latin" | "latinBold" | "ar" | "arBold";
const SOURCES: Record<Face, ArrayBuffer | Uint8Array> = { latin: latinRegular, latinBold, ar: arabicRegular, arBold: arabicBold };

/** WOFF 1.0 → the sfnt (TrueType) it wraps: each table is zlib-deflated or stored (W3C WOFF §5). */
export function woffToSfnt(woff: Uint8Array): Uint8Array {
  const view = new DataView(woff.buffer, woff.byteOffset, woff.byteLength);
  if (view.getUint32(0) !== 0x774f4646) throw new Error("not a WOFF file");
  const numTables = view.getUint16(12);
  const tables = Array.from({ length: numTables }, (_, i) => {
    const at = 44 + i * 20;
    return { tag: view.getUint32(at), offset: view.getUint32(at + 4), compressed: view.getUint32(at + 8), length: view.getUint32(at + 12), checksum: view.getUint32(at + 16) };
  });
  const header = 12 + numTables * 16;
  const out = new Uint8Array(tables.reduce((sum, t) => sum + ((t.length + 3) & ~3), header));
  const sfnt = new DataView(out.buffer);
  let power = 1;
  let log = 0;
  while (power * 2 <= numTables) [power, log] = [power * 2, log + 1];
  sfnt.setUint32(0, view.getUint32(4));
  sfnt.setUint16(4, numTables);
  sfnt.setUint16(6, power * 16);
  sfnt.setUint16(8, log);
  sfnt.setUint16(10, numTables * 16 - power * 16);
  let at = header;
  tables.forEach((table, i) => {
    const stored = woff.subarray(table.offset, table.offset + table.compressed);
    out.set(table.compressed < table.length ? unzlibSync(stored) : stored, at);
    sfnt.setUint32(12 + i * 16, table.tag);
    sfnt.setUint32(16 + i * 16, table.checksum);
    sfnt.setUint32(20 + i * 16, at);
    sfnt.setUint32(24 + i * 16, table.length);
    at += (table.length + 3) & ~3;
  });
  return out;
}

type SubsetInternals = { glyf: { length: number; copy(target: unknown): void; constructor: { alloc(size: number): unknown } }[]; offset: number; _addGlyph(gid: number): number };

/**
 * fontkit's TrueType subsetter copies glyphs as they are and then writes a
 * short `loca` (offsets halved) when they fit, which needs every glyph to
 * have an even length. Noto Sans Arabic has odd-length glyphs (its own
 * `loca` is long), so the subset came out misaligned and its letters
 * vanished; padding each copied glyph to an even length keeps it whole.
 */
function evenGlyphs(subset: SubsetInternals): SubsetInternals {
  const addGlyph = subset._addGlyph.bind(subset);
  subset._addGlyph = (gid) => {
    const index = addGlyph(gid);
    const glyph = subset.glyf[index]!;
    if (glyph.length % 2 === 1) {
      const padded = glyph.constructor.alloc(glyph.length + 1);
      glyph.copy(padded);
      subset.glyf[index] = padded as SubsetInternals["glyf"][number];
      subset.offset += 1;
    }
    return index;
  };
  return subset;
}

/** Parsed faces, once per isolate: parsing and the shaping tables are the dear part of a first render. */
const parsed = new Map<Face, { bytes: Uint8Array; font: FontkitFont }>();

function face(name: Face) {
  let entry = parsed.get(name);
  if (!entry) {
    const bytes = woffToSfnt(new Uint8Array(SOURCES[name]));
    const font = fontkit.create(bytes) as unknown as FontkitFont;
    const createSubset = font.createSubset.bind(font);
    font.createSubset = () => evenGlyphs(createSubset() as SubsetInternals);
    parsed.set(name, (entry = { bytes, font }));
  }
  return entry;
}

/** A face embedded in one document: the PDF font and the fontkit font that shapes its text. */
export interface EmbeddedFace {
  pdf: PDFFont;
  shaper: FontkitFont;
}

const FACES: Face[] = ["latin", "latinBold", "ar", "arBold"];

/** The faces of one document; only those a text used are written into it (a French-only ticket carries no Arabic). */
export class DocumentFonts {
  private readonly used = new Set<Face>();
  private constructor(private readonly faces: Map<Face, EmbeddedFace>) {}

  static async for(doc: PDFDocument): Promise<DocumentFonts> {
    const faces = new Map<Face, EmbeddedFace>();
    for (const name of FACES) {
      const { bytes, font } = face(name);
      // The parsed font is shared by every document of the isolate; each document gets its own subset of it.
      const embedder = await CustomFontSubsetEmbedder.for({ create: () => font } as unknown as Parameters<typeof CustomFontSubsetEmbedder.for>[0], bytes);
      faces.set(name, { pdf: PDFFont.of(doc.context.nextRef(), doc, embedder), shaper: font });
    }
    return new DocumentFonts(faces);
  }

  get(name: Face): EmbeddedFace {
    this.used.add(name);
    return this.faces.get(name)!;
  }

  /** Writes the subsets of the faces used: call once, before `doc.save()`. */
  async embed(): Promise<void> {
    for (const name of this.used) await this.faces.get(name)!.pdf.embed();
  }

  /** Whether `face` draws this character (Arabic letters are not in the Latin faces, nor Latin ones in the Arabic). */
  static covers(name: Face, codePoint: number): boolean {
    return face(name).font.hasGlyphForCodePoint(codePoint);
  }
}
