/** The fields of `input` that were sent: undefined means "leave unchanged". */
export const definedFields = <T extends object>(input: T): Partial<T> =>
  Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;

/** The fields of `patch` that differ from `row` (JSON values compared by content): only real changes count. */
export function changedFields<T extends Record<string, unknown>>(row: T, patch: Partial<T>): Partial<T> {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return Object.fromEntries(Object.entries(patch).filter(([key, value]) => value !== undefined && !same(value, row[key]))) as Partial<T>;
}
