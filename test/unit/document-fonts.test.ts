import fontkit from "@pdf-lib/fontkit";
import { PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef, decodePDFRawStream } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { DocumentFonts, type FontkitFont } from "../../src/documents/fonts.ts";
import { Typesetter } from "../../src/documents/text.ts";

type Glyph = { id: number; path: { commands: unknown[] } };

/** The TrueType subsets a PDF embeds (FontFile2 streams), decoded. */
async function embeddedFonts(pdf: Uint8Array): Promise<Uint8Array[]> {
  const doc = await PDFDocument.load(pdf);
  return doc.context
    .enumerateIndirectObjects()
    .map(([, object]) => (object instanceof PDFDict ? object.get(PDFName.of("FontFile2")) : undefined))
    .filter((ref): ref is PDFRef => ref instanceof PDFRef)
    .map((ref) => decodePDFRawStream(doc.context.lookup(ref) as PDFRawStream).decode());
}

describe("document fonts", () => {
  it("embeds an Arabic subset whose every glyph has the outline it has in Noto Sans Arabic", async () => {
    const doc = await PDFDocument.create();
    const fonts = await DocumentFonts.for(doc);
    const type = new Typesetter(fonts);
    const page = doc.addPage([400, 100]);
    // Letters in all their joining forms, lam-alef, and marks placed by GPOS.
    const text = "تذكرة الدخول ملعب رادس لا بطاقة اشتراك الصلاحية";
    type.draw(page, text, 390, 50, { size: 14, align: "right" });
    await fonts.embed();
    const [subset] = await embeddedFonts(await doc.save());
    expect(subset).toBeDefined();
    // fontkit wrote the subset with a short `loca`; before the fix, glyphs after an odd-length one were misread (RangeError or wrong outline).
    const embedded = fontkit.create(subset!) as unknown as FontkitFont & { numGlyphs: number; getGlyph(id: number): Glyph };
    const original = fonts.get("ar").shaper as FontkitFont & { getGlyph(id: number): Glyph };
    const glyphs = original.layout(text).glyphs as unknown as Glyph[];
    const used = [...new Set(glyphs.map((g) => g.id))];
    expect(embedded.numGlyphs).toBeGreaterThanOrEqual(used.length);
    const outlines = Array.from({ length: embedded.numGlyphs }, (_, id) => embedded.getGlyph(id).path.commands.length);
    const expected = [0, ...used].map((id) => original.getGlyph(id).path.commands.length);
    // Each original glyph's outline appears in the subset (composite parts may add more glyphs after them).
    expect(outlines.slice(0, expected.length).sort()).toEqual(expected.sort());
  });

  it("shapes Arabic into contextual forms and lays it out right to left", async () => {
    {
      const fonts = await DocumentFonts.for(await PDFDocument.create());
      const shaper = fonts.get("ar").shaper;
      // بطاقة: beh initial (Noto draws its body and its dot apart), tah medial, alef final, qaf initial after
      // the alef, teh marbuta final. Glyphs come in display order, left to right: the word's first letter last.
      const names = (shaper.layout("بطاقة").glyphs as unknown as { name: string }[]).map((g) => g.name);
      expect(names).toEqual(["twodotshorizontalabovear", "uni0647.fina", "twodotshorizontalabovear", "uni06A1.init", "uni0627.fina", "uni0637.medi", "dotbelowar", "uni066E.init"]);
    }
  });
});
