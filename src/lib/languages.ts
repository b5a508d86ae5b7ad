/** The languages people read the platform in. */
export type DisplayLanguage = "fr" | "ar" | "en";

/** The Intl locale of each language: Arabic keeps Latin digits, as in Benin and Tunisia (and on printed tickets). */
export const LOCALES: Record<DisplayLanguage, string> = { fr: "fr-FR", ar: "ar-TN-u-nu-latn", en: "en-GB" };
