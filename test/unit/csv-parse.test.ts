import { describe, expect, it } from "vitest";
import { CsvError, parseCsv } from "../../src/lib/csv-parse.ts";

describe("parseCsv", () => {
  it("reads RFC 4180: quoted fields with separators, quotes and line breaks, CRLF or LF, a BOM, blank lines skipped", () => {
    const rows = parseCsv('\uFEFFemail,note\r\n"a@x.tn","say ""hi"", then go"\r\n\r\nb@x.tn,"two\nlines"\nc@x.tn,\n', 10);
    expect(rows).toEqual([
      { line: 1, fields: ["email", "note"] },
      { line: 2, fields: ["a@x.tn", 'say "hi", then go'] },
      { line: 4, fields: ["b@x.tn", "two\nlines"] },
      { line: 6, fields: ["c@x.tn", ""] },
    ]);
  });

  it("takes semicolons when the header has them and no comma (French spreadsheets)", () => {
    expect(parseCsv('email;valid_until\na@x.tn;"2027,06,30"\n', 10).map((r) => r.fields)).toEqual([
      ["email", "valid_until"],
      ["a@x.tn", "2027,06,30"],
    ]);
    expect(parseCsv("a;b,c\n1;2,3\n", 10).map((r) => r.fields)).toEqual([
      ["a;b", "c"],
      ["1;2", "3"],
    ]);
  });

  it("keeps a row of empty fields, and the last line without a line break", () => {
    expect(parseCsv("a,b\n,\n1,2", 10)).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["", ""] },
      { line: 3, fields: ["1", "2"] },
    ]);
  });

  it("refuses more rows than allowed at the first one over, and an unclosed quote at its line", () => {
    expect(() => parseCsv("h\n1\n2\n3\n", 2)).toThrowError(new CsvError(4, "At most 2 rows per file."));
    try {
      parseCsv('h\nok\n"never closed\n\n', 10);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CsvError);
      expect((error as CsvError).line).toBe(3);
    }
    expect(parseCsv("h\n1\n2\n", 2)).toHaveLength(3);
  });
});
