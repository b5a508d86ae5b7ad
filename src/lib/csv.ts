/**
 * CSV as spreadsheets open it (RFC 4180 quoting), UTF-8 with a byte order
 * mark so that Excel reads accents right, with the separator a locale
 * expects (`;` where the decimal mark is a comma, as in French). Text cells
 * that a spreadsheet would run as a formula (starting with = + - @, a tab or
 * a carriage return: `=cmd|' /C calc'!A0`) are prefixed with an apostrophe,
 * which shows the text as typed (OWASP's advice on CSV injection).
 */
export const BOM = "\uFEFF";
/** What a spreadsheet takes for the start of a formula. */
export const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvValue = string | number | boolean | null | undefined;

/** One cell: numbers and booleans as they are; text defused, then quoted when it holds the separator, a quote, a line break or edge spaces. */
export function csvCell(value: CsvValue, separator: string): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return text.includes(separator) || /["\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated. */
export const csvLine = (values: CsvValue[], separator: string) => `${values.map((v) => csvCell(v, separator)).join(separator)}\r\n`;

/**
 * A CSV file streamed page by page: the byte order mark and the header
 * first, then one chunk per page `next` returns, until it returns null. Only
 * the page being encoded is held in memory, whatever the file's length.
 */
export function csvStream(header: string[], separator: string, next: () => Promise<CsvValue[][] | null>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(BOM + csvLine(header, separator)));
      },
      async pull(controller) {
        const rows = await next();
        if (rows === null) return controller.close();
        controller.enqueue(encoder.encode(rows.map((row) => csvLine(row, separator)).join("")));
      },
    },
    // Pull a page only when the reader has taken the previous one.
    { highWaterMark: 0 },
  );
}
