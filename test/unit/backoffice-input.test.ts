import { describe, expect, it } from "vitest";
import { classifySearch, SearchError } from "../../src/backoffice/search.ts";
import { csvCell, csvLine } from "../../src/lib/csv.ts";

describe("CSV cells", () => {
  it("defuses what a spreadsheet would run as a formula", () => {
    for (const cell of ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\t=1", "\r=1"]) expect(csvCell(cell, ",").replace(/^"/, "").startsWith(`'${cell[0]}`)).toBe(true);
    expect(csvCell("=HYPERLINK(\"http://x\")", ",")).toBe(`"'=HYPERLINK(""http://x"")"`);
    // Numbers and booleans are values, not text: a negative amount stays a number.
    expect(csvCell(-2500, ",")).toBe("-2500");
    expect(csvCell(true, ";")).toBe("true");
    expect(csvCell("Ben Ali", ",")).toBe("Ben Ali");
  });

  it("quotes cells holding the separator, quotes, line breaks or edge spaces, and writes nothing for null", () => {
    expect(csvCell("Dupont; fille", ";")).toBe('"Dupont; fille"');
    expect(csvCell("Dupont; fille", ",")).toBe("Dupont; fille");
    expect(csvCell('Zoé "La Reine"', ",")).toBe('"Zoé ""La Reine"""');
    expect(csvCell("deux\nlignes", ",")).toBe('"deux\nlignes"');
    expect(csvCell(" espace", ",")).toBe('" espace"');
    expect(csvCell(null, ",")).toBe("");
    expect(csvLine(["a", 1, null, false], "\t")).toBe("a\t1\t\tfalse\r\n");
  });
});

describe("search text", () => {
  it("is classified by its shape", () => {
    expect(classifySearch("6F1C8A2E-3B7D-4C9A-8E5F-0A1B2C3D4E5F")).toEqual({ kind: "id", value: "6f1c8a2e-3b7d-4c9a-8e5f-0a1b2c3d4e5f" });
    expect(classifySearch(" abcd-efgh-jk23 ")).toEqual({ kind: "qr_code", value: "ABCD-EFGH-JK23" });
    expect(classifySearch("ABCD EFGH JK23")).toEqual({ kind: "qr_code", value: "ABCD-EFGH-JK23" });
    expect(classifySearch("tkt-2026-ab12cd34")).toEqual({ kind: "reference", value: "tkt-2026-ab12cd34" });
    expect(classifySearch("Awa@Example.COM")).toEqual({ kind: "email", value: "awa@example.com" });
    expect(classifySearch("+229 01 97 12 34 56")).toEqual({ kind: "phone", value: "+2290197123456" });
    expect(classifySearch("00216 20 123 456")).toEqual({ kind: "phone", value: "+21620123456" });
    expect(classifySearch("Ben Ali")).toEqual({ kind: "name", from: "ben ali", to: "ben alj" });
    // Twelve letters without a dash or digit are a name, not a printed code.
    expect(classifySearch("Christophers").kind).toBe("name");
  });

  it("refuses what it cannot look up", () => {
    const code = (text: string) => {
      try {
        classifySearch(text);
        return "accepted";
      } catch (error) {
        return error instanceof SearchError ? error.code : "thrown";
      }
    };
    expect(code("a")).toBe("search_too_short");
    expect(code("'")).toBe("search_too_short");
    expect(code("ab\u0000")).toBe("invalid_search");
    expect(code("a@b")).toBe("invalid_search");
    expect(code("+33 6 12 34 56 78")).toBe("invalid_search");
    expect(code("123")).toBe("invalid_search");
  });
});
