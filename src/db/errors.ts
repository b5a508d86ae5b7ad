/** True when `error` is SQLite's UNIQUE violation on `table.column` (or any, without a target). */
export function isUniqueViolation(error: unknown, target?: string): boolean {
  const text = errorText(error);
  return text.includes("UNIQUE constraint failed") && (!target || text.includes(target));
}

/** True when `error` is SQLite's FOREIGN KEY violation (a row still referenced, or a missing parent). */
export function isForeignKeyViolation(error: unknown): boolean {
  return errorText(error).includes("FOREIGN KEY constraint failed");
}

/** True when D1 refused a statement for its content (any constraint), as opposed to being unreachable. */
export function isConstraintViolation(error: unknown): boolean {
  return errorText(error).includes("constraint failed");
}

/** True when `error` is SQLite's CHECK violation of the constraint named `name` (see `checkThat` in columns.ts). */
export function isCheckViolation(error: unknown, name: string): boolean {
  const text = errorText(error);
  return text.includes("CHECK constraint failed") && text.includes(name);
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // drizzle wraps the driver's error in `cause`.
  return `${error.message} ${error.cause instanceof Error ? error.cause.message : ""}`;
}
