/**
 * The key people's names are searched by: accents folded, ASCII lower-cased,
 * apostrophes dropped, hyphens as spaces. D1 computes the same key in SQL
 * (users.search_name, migrations/0013_backoffice_triggers.sql) with the same
 * literal replacements in the same order (`nameKeySteps`), so a prefix of `nameKey(query)`
 * finds what the index holds; test/unit/name-key.test.ts checks both agree.
 * SQLite's lower() folds ASCII only, so this does too.
 */
export const NAME_FOLDS: readonly (readonly [string, string])[] = [
  ...pairs("àáâãäåāăąÀÁÂÃÄÅĀĂĄ", "a"),
  ...pairs("çćĉċčÇĆĈĊČ", "c"),
  ...pairs("ďđĎĐ", "d"),
  ...pairs("èéêëēĕėęěÈÉÊËĒĔĖĘĚ", "e"),
  ...pairs("ĝğġģĜĞĠĢ", "g"),
  ...pairs("ĥħĤĦ", "h"),
  ...pairs("ìíîïĩīĭįıÌÍÎÏĨĪĬĮİ", "i"),
  ...pairs("ñńņňÑŃŅŇ", "n"),
  ...pairs("òóôõöøōŏőÒÓÔÕÖØŌŎŐ", "o"),
  ...pairs("śŝşšŚŜŞŠ", "s"),
  ...pairs("ţťŧŢŤŦ", "t"),
  ...pairs("ùúûüũūŭůűųÙÚÛÜŨŪŬŮŰŲ", "u"),
  ...pairs("ýÿŷÝŸŶ", "y"),
  ...pairs("źżžŹŻŽ", "z"),
  ["æ", "ae"],
  ["Æ", "ae"],
  ["œ", "oe"],
  ["Œ", "oe"],
  ["ß", "ss"],
  ["'", ""],
  ["’", ""],
  ["-", " "],
];

function pairs(chars: string, to: string): [string, string][] {
  return [...chars].map((ch) => [ch, to]);
}

const ASCII_UPPER = /[A-Z]/g;

/** `first last` (or any text) as the search key: the JS twin of the SQL in migrations/0013_backoffice_triggers.sql. */
export function nameKey(text: string): string {
  let key = text;
  for (const [from, to] of NAME_FOLDS) key = key.replaceAll(from, to);
  key = key.replace(ASCII_UPPER, (ch) => ch.toLowerCase());
  key = key.replaceAll("  ", " ").replaceAll("  ", " ");
  return key.replace(/^ +| +$/g, "");
}

/** Replacements per SQL statement: SQLite's parser refuses expressions nested much deeper (its stack holds 100 entries). */
const FOLDS_PER_STEP = 16;

/**
 * The same key in SQL, for the migration that keeps users.search_name: the
 * assignments of `target` to run one statement after another, the first from
 * `source`, the next ones over `target` itself.
 */
export function nameKeySteps(source: string, target: string): string[] {
  const steps: string[] = [];
  for (let i = 0; i < NAME_FOLDS.length; i += FOLDS_PER_STEP) {
    let expression = i === 0 ? source : target;
    for (const [from, to] of NAME_FOLDS.slice(i, i + FOLDS_PER_STEP)) expression = `replace(${expression}, '${from.replaceAll("'", "''")}', '${to}')`;
    steps.push(`${target} = ${expression}`);
  }
  steps.push(`${target} = trim(replace(replace(lower(${target}), '  ', ' '), '  ', ' '))`);
  return steps;
}

/** The smallest text above every text that starts with `prefix` (binary order, as SQLite compares): the end of a prefix range. */
export function prefixEnd(prefix: string): string {
  const points = [...prefix];
  const last = points.pop()!.codePointAt(0)!;
  return points.join("") + String.fromCodePoint(last + 1);
}
