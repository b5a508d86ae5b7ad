import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { NAME_FOLDS, nameKey, nameKeySteps, prefixEnd } from "../../src/lib/name-key.ts";

// D1 keeps users.search_name with the SQL of migrations/0013_backoffice_triggers.sql; a search folds its text with nameKey().
// They must agree on every name, or a prefix typed at the door would miss the index.

const NAMES = [
  ...NAME_FOLDS.map(([from]) => [`A${from}b`, `${from}Z`]),
  ["Élodie", "N'Diaye-Bâ"],
  ["  Ïmène ", "BEN   ALI"],
  ["Œdipe", "Straße"],
  ["محمد", "بن علي"],
  ["Ğökhan", "Çağlar"],
  ["Zoé", "O’Brien"],
  ["", "Solo"],
  ["Ünal", ""],
];

describe("the name search key", () => {
  it("is the same in D1 (kept by the triggers) and in JS (folding the search), for every folded character", async () => {
    const ids: string[] = [];
    const insert = env.DB.prepare("INSERT INTO users (id, email, first_name, last_name) VALUES (?, ?, ?, ?)");
    await env.DB.batch(
      NAMES.map(([first, last]) => {
        const id = crypto.randomUUID();
        ids.push(id);
        return insert.bind(id, `${id}@keys.test`, first, last);
      }),
    );
    const { results } = await env.DB.prepare("SELECT id, first_name, last_name, search_name, search_name_rev FROM users WHERE email LIKE '%@keys.test'").all<Record<string, string>>();
    expect(results).toHaveLength(NAMES.length);
    for (const row of results) {
      expect(row.search_name, `${row.first_name} ${row.last_name}`).toBe(nameKey(`${row.first_name} ${row.last_name}`));
      expect(row.search_name_rev).toBe(nameKey(`${row.last_name} ${row.first_name}`));
    }
    // And after a rename, through the update trigger.
    await env.DB.prepare("UPDATE users SET first_name = 'Ève', last_name = 'Saïd-Lefèvre' WHERE id = ?").bind(ids[0]).run();
    const renamed = await env.DB.prepare("SELECT search_name, search_name_rev FROM users WHERE id = ?").bind(ids[0]).first();
    expect(renamed).toEqual({ search_name: "eve said lefevre", search_name_rev: "said lefevre eve" });
  });

  it("folds accents and case, drops apostrophes, turns hyphens into spaces", () => {
    expect(nameKey("Élodie N'Diaye-Bâ")).toBe("elodie ndiaye ba");
    expect(nameKey("  ÇAĞLAR  Œuvre ")).toBe("caglar oeuvre");
    expect(nameKey("محمد بن علي")).toBe("محمد بن علي");
  });

  it("is written into the migration exactly as nameKeySteps() spells it", () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.endsWith("_backoffice_triggers.sql"))!;
    const sql = migration.queries.join("\n");
    for (const step of [...nameKeySteps("first_name || ' ' || last_name", "search_name"), ...nameKeySteps("last_name || ' ' || first_name", "search_name_rev")]) {
      expect(sql).toContain(step);
    }
  });

  it("bounds a prefix range: everything that starts with the prefix, nothing else", () => {
    expect(prefixEnd("ben")).toBe("beo");
    const inRange = (key: string) => key >= "ben" && key < prefixEnd("ben");
    expect(["ben", "ben ali", "benzema", "ben\u{10FFFF}"].every(inRange)).toBe(true);
    expect(["be", "beo", "bem", "bf"].some(inRange)).toBe(false);
    expect(prefixEnd("عل")).toBe("عم");
  });
});
