/**
 * RFC 4180 CSV, as spreadsheets save it: comma-separated (or semicolon, the
 * separator French spreadsheets use, detected from the header line), fields
 * optionally in double quotes with "" for a quote inside, lines ending in
 * CRLF or LF, an optional UTF-8 byte order mark. Blank lines are skipped.
 */

export interface CsvRow {
  /** The row's first line in the file, counting from 1 (the header is line 1). */
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** The header's separator: `;` when it has semicolons and no comma outside quotes, else `,`. */
function separatorOf(text: string): "," | ";" {
  let quoted = false;
  let semicolons = 0;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ",") return ",";
    else if (!quoted && ch === ";") semicolons++;
    else if (!quoted && (ch === "\n" || ch === "\r")) break;
  }
  return semicolons > 0 ? ";" : ",";
}

/**
 * Parses `text` into rows (the header included, as the first row). More
 * than `maxRows` data rows is a CsvError on the first row over, so a huge
 * file is refused without reading it all; an unterminated quote is one too.
 */
export function parseCsv(text: string, maxRows: number): CsvRow[] {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const separator = separatorOf(body);
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let touched = false; // the current row has any content (blank lines are skipped)

  const endRow = () => {
    fields.push(field);
    if (touched || fields.length > 1) {
      if (rows.length > maxRows) throw new CsvError(rowLine, `At most ${maxRows} rows per file.`);
      rows.push({ line: rowLine, fields });
    }
    fields = [];
    field = "";
    touched = false;
  };

  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      touched = true;
    } else if (ch === separator) {
      fields.push(field);
      field = "";
      touched = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && body[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += ch;
      if (ch.trim() !== "") touched = true;
    }
  }
  if (quoted) throw new CsvError(rowLine, "A quoted field is not closed.");
  endRow();
  return rows;
}
