import { describe, expect, it } from "vitest";
import { readScan, ScanBodySchema } from "../../durable-objects/event/gate-protocol.ts";

/** What the schema says of a body: the scan (its keys in order, values) or the `bad_scan` detail. */
function bySchema(value: unknown) {
  const parsed = ScanBodySchema.safeParse(value);
  if (parsed.success) return { ok: true, entries: Object.entries(parsed.data) };
  const issue = parsed.error.issues[0]!;
  return { ok: false, detail: issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message };
}

function byReadScan(value: unknown) {
  const read = readScan(value);
  return read.ok ? { ok: true, entries: Object.entries(read.scan) } : { ok: false, detail: read.detail };
}

const base = { id: "6a1f3c1e-0d7b-4a35-9a40-2f7c9d1e55aa", qr: "E1.ABCDEFGH.payload.signature", action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: "2026-12-05T18:41:07.000Z" };

/** Values for each field, good and bad, as a hostile or careless device could send them. */
const variants: Record<string, unknown[]> = {
  id: ["x", "a".repeat(100), "a".repeat(101), "", 5, null, ["x"], { id: "x" }, "\u00e9".repeat(100), "😀".repeat(50), "😀".repeat(51)],
  qr: ["K7QM-2XPA-9RTE", "q".repeat(512), "q".repeat(513), "", 0, false, null],
  action: ["ENTRY", "EXIT", "RE_ENTRY", "CHECK", "entry", "ENTRY ", "", null, 1, ["ENTRY"]],
  scan_method: ["QR_SCANNER", "MANUAL_ENTRY", "NFC", "nfc", "QR", null, {}],
  scanned_at: [
    "2026-12-05T18:41:07Z",
    "2026-12-05T18:41:07.123456789Z",
    "2026-12-05T18:41:07+01:00",
    "2026-12-05T18:41:07-23:59",
    "2026-12-05T18:41:07+24:00",
    "2026-12-05T18:41:07+0100",
    "2026-12-05T18:41Z",
    "2026-12-05T18:41:07",
    "2026-12-05 18:41:07Z",
    "2026-12-05t18:41:07z",
    "2028-02-29T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-12-05T24:00:00Z",
    "2026-12-05T18:41:07Z\n",
    " 2026-12-05T18:41:07Z",
    "+02026-12-05T18:41:07Z",
    "",
    1733424067000,
    null,
  ],
  offline_status: ["SUCCESS", "DENIED", "WARNING", "ERROR", "success", "", null, undefined, 0],
  queue_size: [0, 7, -0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, Number.NaN, Number.POSITIVE_INFINITY, "3", null, undefined, true],
};

describe("readScan: the socket's reading of a scan body is ScanBodySchema's", () => {
  it("gives the schema's answer for every field's good and bad values: the same scan (fields, order, unknown ones dropped) or the same detail", () => {
    let accepted = 0;
    for (const [field, values] of Object.entries(variants)) {
      for (const value of values) {
        for (const body of [{ ...base, [field]: value }, { extra: "ignored", ...base, [field]: value, type: "scan" }]) {
          expect(byReadScan(body), `${field}: ${JSON.stringify(value)}`).toEqual(bySchema(body));
          if (bySchema(body).ok) accepted++;
        }
      }
    }
    // Both kinds were exercised: enough accepted bodies to cover the quick path, and refusals of every field.
    expect(accepted).toBeGreaterThan(40);
  });

  it("gives the schema's answer for a missing field, several bad fields at once, and what is not an object", () => {
    const bodies: unknown[] = [null, undefined, "scan", 42, [], [base], Object.assign([], base), {}, { ...base, id: undefined }, { ...base, qr: 5, action: "NOPE" }];
    for (const field of Object.keys(base)) {
      const { [field as keyof typeof base]: _, ...rest } = base;
      bodies.push(rest);
    }
    for (const body of bodies) expect(byReadScan(body), JSON.stringify(body)).toEqual(bySchema(body));
  });

  it("keeps the optional fields a body carries, and only those", () => {
    expect(readScan({ ...base, queue_size: 3, offline_status: "DENIED", junk: true })).toEqual({ ok: true, scan: { ...base, offline_status: "DENIED", queue_size: 3 } });
    const plain = readScan(base);
    expect(plain.ok && Object.keys(plain.scan)).toEqual(["id", "qr", "action", "scan_method", "scanned_at"]);
  });
});
