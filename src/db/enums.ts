/**
 * Enum values stored in the database, English, in one place. SpotVibe's French
 * values are translated once (docs/spotvibe-mapping.md lists each); Entrix
 * values are kept as its specification names them.
 */
export const USER_ROLES = ["USER", "ORGANIZER", "CONTROLLER", "ADMIN"] as const;
export const LANGUAGES = ["fr", "ar", "en"] as const;
export const CURRENCY_VALUES = ["XOF", "TND", "EUR", "USD"] as const;
