import { LOCALES } from "../lib/languages.ts";

/**
 * The words printed on documents, in the platform's three languages (French
 * first). Data (titles, names, venues) is printed as entered.
 */
export const DOCUMENT_LANGUAGES = ["fr", "en", "ar"] as const;
export type Language = (typeof DOCUMENT_LANGUAGES)[number];

const LABELS = {
  ticket: { fr: "Billet", en: "Ticket", ar: "تذكرة" },
  season_card: { fr: "Carte d'abonné", en: "Season card", ar: "بطاقة اشتراك" },
  date: { fr: "Date", en: "Date", ar: "التاريخ" },
  time: { fr: "Heure", en: "Time", ar: "الساعة" },
  doors: { fr: "Ouverture des portes", en: "Doors open", ar: "فتح الأبواب" },
  venue: { fr: "Lieu", en: "Venue", ar: "المكان" },
  zone: { fr: "Zone", en: "Zone", ar: "المنطقة" },
  gate: { fr: "Porte", en: "Gate", ar: "البوابة" },
  seat: { fr: "Place", en: "Seat", ar: "المقعد" },
  section: { fr: "Bloc", en: "Section", ar: "القسم" },
  row: { fr: "Rang", en: "Row", ar: "الصف" },
  ticket_type: { fr: "Type de billet", en: "Ticket type", ar: "نوع التذكرة" },
  price: { fr: "Prix", en: "Price", ar: "السعر" },
  ticket_number: { fr: "N° de commande", en: "Order no.", ar: "رقم الطلب" },
  holder: { fr: "Titulaire", en: "Holder", ar: "صاحب التذكرة" },
  code: { fr: "Code", en: "Code", ar: "الرمز" },
  terms: { fr: "Conditions", en: "Terms", ar: "الشروط" },
  support: { fr: "Contact", en: "Contact", ar: "اتصل بنا" },
  sponsors: { fr: "Partenaires", en: "Sponsors", ar: "الرعاة" },
  season: { fr: "Saison", en: "Season", ar: "الموسم" },
  subscriber: { fr: "Abonné", en: "Subscriber", ar: "المشترك" },
  pass_number: { fr: "N° d'abonné", en: "Pass no.", ar: "رقم الاشتراك" },
  card_type: { fr: "Formule", en: "Plan", ar: "الصيغة" },
  validity: { fr: "Validité", en: "Valid", ar: "الصلاحية" },
  signature: { fr: "Signature", en: "Signature", ar: "التوقيع" },
  nfc: { fr: "Carte sans contact", en: "Contactless card", ar: "بطاقة لاتلامسية" },
  free: { fr: "Gratuit", en: "Free", ar: "مجاني" },
  emergency: { fr: "Urgences", en: "Emergency", ar: "الطوارئ" },
  page: { fr: "Billet {n} sur {total}", en: "Ticket {n} of {total}", ar: "التذكرة {n} من {total}" },
} as const;

export type LabelKey = keyof typeof LABELS;

export const label = (key: LabelKey, language: Language, values: Record<string, string | number> = {}) =>
  LABELS[key][language].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ""));

/** How each kind of right is called when it was not bought (an invitation, a press pass). */
const SOURCES = {
  COMP: { fr: "Invitation", en: "Invitation", ar: "دعوة" },
  STAFF: { fr: "Personnel", en: "Staff", ar: "طاقم" },
  MEDIA: { fr: "Presse", en: "Press", ar: "صحافة" },
  PARTNER: { fr: "Partenaire", en: "Partner", ar: "شريك" },
  SUBSCRIPTION: { fr: "Abonnement", en: "Season pass", ar: "اشتراك" },
} as const;

export const sourceLabel = (source: string, language: Language): string | null => (source in SOURCES ? SOURCES[source as keyof typeof SOURCES][language] : null);

/** Printed when a template gives no terms of its own (template `metadata.terms.{fr,en,ar}`). */
export const DEFAULT_TERMS = {
  fr: "Billet nominatif, valable pour une seule entrée. Le QR code change à chaque transfert : seul le dernier reçu est valable. Toute revente hors de la plateforme est interdite.",
  en: "Personal ticket, valid for one entry. The QR code changes with every transfer: only the latest one received is valid. Resale outside the platform is forbidden.",
  ar: "تذكرة شخصية صالحة لدخول واحد. يتغير رمز QR عند كل تحويل: وحده آخر رمز مستلم صالح. يمنع إعادة البيع خارج المنصة.",
} as const;

/** Date and time of an instant in the event's time zone, for people. */
export function formatDate(iso: string, timeZone: string, language: Language): string {
  return new Intl.DateTimeFormat(LOCALES[language], { timeZone, weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(new Date(iso));
}

export function formatTime(iso: string, timeZone: string, language: Language): string {
  return new Intl.DateTimeFormat(LOCALES[language], { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" }).format(new Date(iso));
}

export function formatDay(isoDate: string, language: Language): string {
  return new Intl.DateTimeFormat(LOCALES[language], { timeZone: "UTC", day: "2-digit", month: "2-digit", year: "numeric" }).format(new Date(`${isoDate}T00:00:00Z`));
}
