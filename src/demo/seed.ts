import { and, asc, eq, gt, inArray, lt, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  event_ticket_config,
  pricing_rules,
  subscription_plan_event_groups,
  subscription_plan_zones,
  subscription_plans,
  ticket_type_zones,
  ticket_types,
} from "../catalog/schema.ts";
import type { ZoneCategory } from "../catalog/pricing.ts";
import { getDb, type Db } from "../db/client.ts";
import type { CURRENCY_VALUES, LANGUAGES, USER_ROLES } from "../db/enums.ts";
import {
  access_point_zones,
  access_points,
  event_categories,
  event_groups,
  event_staff,
  events,
  seats,
  venue_zones,
  venues,
} from "../events/schema.ts";
import { hashPassword, verifyPassword } from "../lib/crypto/passwords.ts";
import { organizer_plans, organizer_subscription_history, organizer_subscriptions } from "../payments/schema.ts";
import { organization_members, organizations, type OrganizationRole } from "../organizations/schema.ts";
import { addSeconds, now, type Timestamp } from "../lib/time.ts";
import { type FAQ_CATEGORIES, faqs } from "../site/schema.ts";
import { users } from "../users/schema.ts";

/**
 * Demo data for local development (`npm start`) and its test: one account per
 * platform role; the demo organizer's organization, which owns everything
 * below, with a box-office member; a stadium (zones, numbered seats, gates)
 * hosting a season of five home matches, one of them a derby, and a friendly
 * whose doors are open now; a concert at a hall in Cotonou; categories, ticket
 * types and per-event ticket configurations, a group discount, a season pass,
 * organizer plans (the demo organization on one), and FAQ entries in French,
 * Arabic and English.
 * Ids are fixed and every insert ignores existing rows, so running it again
 * changes nothing. It takes a D1 binding, so it runs the same in Node (through
 * wrangler's platform proxy) and in the Workers runtime.
 *
 * Dates are relative to the first run: the calendar starts on the first day of
 * the month after it (`demoCalendarStart`), matches every three weeks from that
 * day, the concert ten days in. Rows already there keep their dates, so a rerun
 * never moves an event; delete the local data to get a calendar ahead of today.
 */

/** Fixed UUIDs (v4 layout), readable by kind: 5eed<kind>-…-<n>. */
const demoId = (kind: number, n: number) =>
  `5eed${kind.toString(16).padStart(4, "0")}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

const KIND = { user: 1, venue: 2, zone: 3, seat: 4, gate: 5, category: 6, event: 7, staff: 8, group: 9, ticketType: 10, config: 11, rule: 12, plan: 13, faq: 14, organization: 15, member: 16, organizerPlan: 17, organizerSubscription: 18 } as const;

type Role = (typeof USER_ROLES)[number];
type Currency = (typeof CURRENCY_VALUES)[number];
type Language = (typeof LANGUAGES)[number];

export interface DemoAccount {
  id: string;
  /** The platform role. */
  role: Role;
  /** The role in the demo organization, for its members. */
  team_role?: OrganizationRole;
  email: string;
  password: string;
  first_name: string;
  last_name: string;
  language: Language;
  /** An identity already verified (as if an admin had approved their documents): may buy what requires it, e.g. the season pass. */
  identity_verified?: boolean;
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { id: demoId(KIND.user, 1), role: "ADMIN", email: "admin@example.com", password: "admin-demo-2026", first_name: "Amina", last_name: "Admin", language: "fr" },
  { id: demoId(KIND.user, 2), role: "ORGANIZER", email: "organizer@example.com", password: "organizer-demo-2026", first_name: "Olivier", last_name: "Organisateur", language: "fr" },
  { id: demoId(KIND.user, 3), role: "CONTROLLER", email: "gate@example.com", password: "gate-demo-2026", first_name: "Ghassen", last_name: "Contrôleur", language: "fr" },
  { id: demoId(KIND.user, 4), role: "USER", email: "awa@example.com", password: "fan-demo-2026", first_name: "Awa", last_name: "Mensah", language: "fr" },
  { id: demoId(KIND.user, 5), role: "USER", email: "karim@example.com", password: "fan-demo-2026", first_name: "Karim", last_name: "Ben Salah", language: "ar", identity_verified: true },
  // A plain account: the box office of the organization needs no platform role.
  { id: demoId(KIND.user, 6), role: "USER", team_role: "BOX_OFFICE", email: "boxoffice@example.com", password: "boxoffice-demo-2026", first_name: "Béatrice", last_name: "Guichet", language: "fr" },
];

const [ADMIN, ORGANIZER, CONTROLLER] = DEMO_ACCOUNTS as [DemoAccount, DemoAccount, DemoAccount, ...DemoAccount[]];
const BOX_OFFICE = DEMO_ACCOUNTS.find((account) => account.team_role === "BOX_OFFICE")!;
/** The demo fans (platform role USER, in no organization). */
export const DEMO_FANS: readonly DemoAccount[] = DEMO_ACCOUNTS.filter((account) => account.role === "USER" && !account.team_role);

/** The demo organizer's organization, unless a migration already gave the organizer one (then that one is used). */
export const DEMO_ORGANIZATION_ID = demoId(KIND.organization, 1);
const DEMO_ORGANIZATION_NAME = "Olympique de Radès";

// ------------------------------------------------------------ venues

interface DemoZone {
  code: string;
  name: string;
  category: ZoneCategory;
  capacity: number;
  is_seated: boolean;
}

interface DemoVenue {
  id: string;
  name: string;
  address: string;
  city: string;
  country: string;
  latitude: number;
  longitude: number;
  timezone: string;
  zones: readonly DemoZone[];
  /** Gates and the zones each opens onto. */
  gates: readonly { code: string; name: string; zones: string[] }[];
}

const STADIUM: DemoVenue = {
  id: demoId(KIND.venue, 1),
  name: "Stade olympique de Radès",
  address: "Cité olympique, Radès",
  city: "Radès",
  country: "TN",
  latitude: 36.7472,
  longitude: 10.2731,
  timezone: "Africa/Tunis",
  zones: [
    { code: "tribune_honneur", name: "Tribune d'honneur", category: "VIP", capacity: 1_200, is_seated: true },
    { code: "tribune_presse", name: "Tribune de presse", category: "PRESS", capacity: 300, is_seated: true },
    { code: "tribune_centrale", name: "Tribune centrale", category: "PREMIUM", capacity: 8_000, is_seated: true },
    { code: "virage_nord", name: "Virage Nord", category: "STANDARD", capacity: 16_000, is_seated: false },
    { code: "virage_sud", name: "Virage Sud", category: "STANDARD", capacity: 16_000, is_seated: false },
    { code: "pourtour", name: "Pourtour", category: "BASIC", capacity: 15_500, is_seated: false },
    { code: "parcage_visiteurs", name: "Parcage visiteurs", category: "VISITORS", capacity: 3_000, is_seated: false },
  ],
  gates: [
    { code: "GATE_A", name: "Porte A (officielle)", zones: ["tribune_honneur", "tribune_presse"] },
    { code: "GATE_B", name: "Porte B", zones: ["tribune_centrale"] },
    { code: "GATE_N", name: "Porte Nord", zones: ["virage_nord", "pourtour"] },
    { code: "GATE_S", name: "Porte Sud", zones: ["virage_sud", "pourtour"] },
    { code: "GATE_V", name: "Porte visiteurs", zones: ["parcage_visiteurs"] },
  ],
};

const HALL: DemoVenue = {
  id: demoId(KIND.venue, 2),
  name: "Lagune Arena",
  address: "Boulevard de la Marina, Cotonou",
  city: "Cotonou",
  country: "BJ",
  latitude: 6.354,
  longitude: 2.426,
  timezone: "Africa/Porto-Novo",
  zones: [
    { code: "fosse", name: "Fosse", category: "STANDARD", capacity: 2_500, is_seated: false },
    { code: "gradins", name: "Gradins", category: "PREMIUM", capacity: 1_200, is_seated: true },
    { code: "carre_or", name: "Carré or", category: "VIP", capacity: 300, is_seated: true },
  ],
  gates: [
    { code: "ENTREE_PRINCIPALE", name: "Entrée principale", zones: ["fosse", "gradins"] },
    { code: "ENTREE_VIP", name: "Entrée VIP", zones: ["carre_or"] },
  ],
};

const VENUES = [STADIUM, HALL] as const;
export const DEMO_VENUE_ID = STADIUM.id;
export const DEMO_HALL_ID = HALL.id;

function position<T>(list: readonly T[], match: (item: T) => boolean, what: string): number {
  const index = list.findIndex(match);
  if (index < 0) throw new Error(`demo data: no ${what}`);
  return index;
}
// Zones and gates of the n-th venue are numbered from n × 100 + 1: the stadium's keep their first ids.
const zoneId = (venue: DemoVenue, code: string) =>
  demoId(KIND.zone, VENUES.indexOf(venue) * 100 + position(venue.zones, (zone) => zone.code === code, `zone ${code}`) + 1);
const gateId = (venue: DemoVenue, code: string) =>
  demoId(KIND.gate, VENUES.indexOf(venue) * 100 + position(venue.gates, (gate) => gate.code === code, `gate ${code}`) + 1);
const capacityOf = (venue: DemoVenue) => venue.zones.reduce((sum, zone) => sum + zone.capacity, 0);

/** Numbered seats of the VIP stand: section H, rows A–L of 25 seats; the first four of row A are accessible places, the fifth their companion's. */
const SEAT_ROWS = "ABCDEFGHIJKL".split("");
const SEATS_PER_ROW = 25;

// ------------------------------------------------------------ categories

const CATEGORIES = [
  { name: "Football", description: "Matchs de football", icon: "fas fa-futbol", color: "#1B8A3A" },
  { name: "Concerts", description: "Concerts et spectacles musicaux", icon: "fas fa-music", color: "#C2185B" },
  { name: "Festivals", description: "Festivals de musique, de cinéma et de culture", icon: "fas fa-campground", color: "#F57C00" },
  { name: "Conférences", description: "Conférences, salons et rencontres professionnelles", icon: "fas fa-chalkboard-teacher", color: "#1565C0" },
] as const;
const categoryId = (name: (typeof CATEGORIES)[number]["name"]) => demoId(KIND.category, position(CATEGORIES, (c) => c.name === name, `category ${name}`) + 1);
export const DEMO_CATEGORY_ID = categoryId("Football");

// ------------------------------------------------------------ ticket types

interface DemoTicketType {
  code: string;
  name: string;
  description: string;
  category: ZoneCategory;
  /** Zone categories it opens besides its own. */
  also?: ZoneCategory[];
  currency: Currency;
  base_price: number;
  max_per_transaction: number;
  transfer_allowed: boolean;
  cancellation_allowed: boolean;
  restrictions?: typeof ticket_types.$inferInsert.restrictions;
  benefits?: typeof ticket_types.$inferInsert.benefits;
}

// Prices in minor units: TND has three decimals (10_000 is 10.000 TND), XOF none.
const TICKET_TYPES: readonly DemoTicketType[] = [
  {
    code: "VIRAGE",
    name: "Virage",
    description: "Places debout dans les virages Nord et Sud.",
    category: "STANDARD",
    currency: "TND",
    base_price: 10_000,
    max_per_transaction: 6,
    transfer_allowed: true,
    cancellation_allowed: false,
    benefits: { standing_allowed: true, atmosphere: "ultras" },
  },
  {
    code: "TRIBUNE",
    name: "Tribune centrale",
    description: "Places assises en tribune centrale. Tarif groupe à partir de 10 places.",
    category: "PREMIUM",
    currency: "TND",
    base_price: 15_000,
    max_per_transaction: 20, // group orders (10 and more) buy in one go
    transfer_allowed: true,
    cancellation_allowed: true,
  },
  {
    code: "VIP",
    name: "Tribune d'honneur (VIP)",
    description: "Places numérotées en tribune d'honneur, salon VIP et parking.",
    category: "VIP",
    also: ["PREMIUM"],
    currency: "TND",
    base_price: 80_000,
    max_per_transaction: 4,
    transfer_allowed: true,
    cancellation_allowed: true,
    restrictions: { requires_id: true, dress_code: "Tenue correcte exigée" },
    benefits: { vip_lounge: true, complimentary_parking: true, match_program: true },
  },
  {
    code: "VISITEURS",
    name: "Parcage visiteurs",
    description: "Réservé aux supporters de l'équipe visiteuse ; pièce d'identité exigée.",
    category: "VISITORS",
    currency: "TND",
    base_price: 10_000,
    max_per_transaction: 4,
    transfer_allowed: false,
    cancellation_allowed: false,
    restrictions: { requires_id: true },
  },
  {
    code: "FOSSE",
    name: "Fosse (debout)",
    description: "Devant la scène, debout. Le prix monte avec les ventes : prévente, normal, dernière minute.",
    category: "STANDARD",
    currency: "XOF",
    base_price: 15_000,
    max_per_transaction: 6,
    transfer_allowed: true,
    cancellation_allowed: false,
    benefits: { standing_allowed: true },
  },
  {
    code: "GRADINS",
    name: "Gradins",
    description: "Places assises face à la scène.",
    category: "PREMIUM",
    currency: "XOF",
    base_price: 20_000,
    max_per_transaction: 6,
    transfer_allowed: true,
    cancellation_allowed: true,
  },
  {
    code: "CARRE_OR",
    name: "Carré or",
    description: "Places assises au premier rang, boissons et restauration comprises.",
    category: "VIP",
    currency: "XOF",
    base_price: 50_000,
    max_per_transaction: 4,
    transfer_allowed: true,
    cancellation_allowed: true,
    benefits: { food_beverage_included: true },
  },
];
const ticketTypeId = (code: string) => demoId(KIND.ticketType, position(TICKET_TYPES, (type) => type.code === code, `ticket type ${code}`) + 1);
const ticketType = (code: string) => TICKET_TYPES[position(TICKET_TYPES, (type) => type.code === code, `ticket type ${code}`)]!;

/** One ticket type on sale at an event: its zones and quantities (the price comes from the event). */
interface DemoSale {
  type: string;
  zones: string[];
  quantity: number;
  /** Never sold: press, security, protocol, invitations. */
  blocked: number;
  price_tiers?: { from: number; to: number; price: number; label: string }[];
}

const MATCH_SALES: readonly DemoSale[] = [
  { type: "VIRAGE", zones: ["virage_nord", "virage_sud"], quantity: 32_000, blocked: 500 },
  { type: "TRIBUNE", zones: ["tribune_centrale"], quantity: 8_000, blocked: 200 },
  { type: "VIP", zones: ["tribune_honneur"], quantity: 1_200, blocked: 300 },
  { type: "VISITEURS", zones: ["parcage_visiteurs"], quantity: 3_000, blocked: 0 },
];

const CONCERT_SALES: readonly DemoSale[] = [
  {
    type: "FOSSE",
    zones: ["fosse"],
    quantity: 2_500,
    blocked: 0,
    // By units already sold (or held): the first 500 at the presale price, and so on.
    price_tiers: [
      { from: 0, to: 499, price: 10_000, label: "Prévente" },
      { from: 500, to: 1_499, price: 12_500, label: "Normal" },
      { from: 1_500, to: 2_499, price: 15_000, label: "Dernière minute" },
    ],
  },
  { type: "GRADINS", zones: ["gradins"], quantity: 1_200, blocked: 0 },
  { type: "CARRE_OR", zones: ["carre_or"], quantity: 300, blocked: 20 },
];

// ------------------------------------------------------------ events

const HOME_TEAM = "Olympique de Radès";

/** The season's home matches, in calendar order; a derby costs half as much again. */
const MATCHES: readonly { away: string; round: number; derby: boolean }[] = [
  { away: "Union de Sfax", round: 12, derby: false },
  { away: "Avenir de Bizerte", round: 14, derby: false },
  { away: "Étoile du Lac", round: 16, derby: true },
  { away: "Jeunesse de Monastir", round: 18, derby: false },
  { away: "Stade de Gabès", round: 20, derby: false },
];
const DERBY_MARKUP = 1.5;
const MATCH_DAYS_APART = 21;
const CONCERT_DAY = 10;

export const DEMO_SEASON_ID = demoId(KIND.group, 1);
export const DEMO_MATCH_IDS: readonly string[] = MATCHES.map((_, i) => demoId(KIND.event, i + 1));
export const DEMO_DERBY_ID = DEMO_MATCH_IDS[MATCHES.findIndex((match) => match.derby)]!;
export const DEMO_CONCERT_ID = demoId(KIND.event, MATCHES.length + 1);

/**
 * A friendly at the stadium whose doors are open now, so the gate admits
 * people from the first minute: its dates move to now at a seed that finds
 * them no longer around now (`liveWindow`), and it sells until its end.
 */
const LIVE_MATCH = { away: "Club de Carthage", title: `Match amical : ${HOME_TEAM} – Club de Carthage` };
export const DEMO_LIVE_EVENT_ID = demoId(KIND.event, MATCHES.length + 2);
const LIVE_SALES: readonly DemoSale[] = [
  { type: "VIRAGE", zones: ["virage_nord", "virage_sud"], quantity: 32_000, blocked: 0 },
  { type: "TRIBUNE", zones: ["tribune_centrale"], quantity: 8_000, blocked: 0 },
];
/** Its ticket configurations, in LIVE_SALES order (fixed ids: the README's walkthrough orders from the first). */
export const DEMO_LIVE_CONFIG_IDS: readonly string[] = LIVE_SALES.map((_, i) => demoId(KIND.config, (MATCHES.length + 1) * 10 + i + 1));
/** How much of the live event is left that a seed keeps its dates: less, and they move to now. */
const LIVE_MIN_LEFT_SECONDS = 3_600;

/** Doors opened 15 minutes ago, kick-off in 45 minutes, two hours of match. */
export function liveWindow(at: Timestamp): { doors_open_at: Timestamp; starts_at: Timestamp; ends_at: Timestamp } {
  const starts_at = addSeconds(at, 45 * 60);
  return { doors_open_at: addSeconds(at, -15 * 60), starts_at, ends_at: addSeconds(starts_at, 2 * 3_600) };
}

export const DEMO_EVENT_IDS: readonly string[] = [...DEMO_MATCH_IDS, DEMO_CONCERT_ID, DEMO_LIVE_EVENT_ID];
/** The stadium's gates (access points), in the order of STADIUM.gates: Porte A first. */
export const DEMO_STADIUM_GATE_IDS: readonly string[] = STADIUM.gates.map((gate) => gateId(STADIUM, gate.code));

// ------------------------------------------------------------ organizer plans

/** Plans offered to organizers; without one, an organizer has the free allowance (FREE_EVENTS_PER_MONTH). */
const ORGANIZER_PLANS: readonly (Omit<typeof organizer_plans.$inferInsert, "id" | "display_order"> & { id: string })[] = [
  {
    id: demoId(KIND.organizerPlan, 1),
    name: "Pro",
    plan_type: "STANDARD",
    price: 15_000,
    currency: "XOF",
    billing_period: "MONTHLY",
    description: "Jusqu'à 20 événements par mois, commission réduite à 4 %.",
    max_events_per_month: 20,
    reduced_commission_bp: 400,
    advanced_analytics: true,
  },
  {
    id: demoId(KIND.organizerPlan, 2),
    name: "Stade",
    plan_type: "PREMIUM",
    price: 40_000,
    currency: "XOF",
    billing_period: "MONTHLY",
    description: "Événements illimités, commission réduite à 3 %, support prioritaire et mise en avant.",
    max_events_per_month: null,
    reduced_commission_bp: 300,
    priority_support: true,
    advanced_analytics: true,
    event_promotion: true,
    profile_customization: true,
  },
];
/** The demo organizer's subscription: to Pro, kept running (each seed keeps its end at least 30 days ahead). */
export const DEMO_ORGANIZER_PLAN_ID = ORGANIZER_PLANS[0]!.id;
const DEMO_ORGANIZER_SUBSCRIPTION_ID = demoId(KIND.organizerSubscription, 1);
const SUBSCRIPTION_AHEAD_SECONDS = 30 * 86_400;

/** Midnight UTC on the first day of the month after `at`: day 0 of the demo calendar. */
export function demoCalendarStart(at: Timestamp): Timestamp {
  const date = new Date(at);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)).toISOString();
}

/** "2026-2027" for a calendar starting from July 2026 to June 2027: football seasons run across the new year. */
const seasonOf = (start: Timestamp) => {
  const date = new Date(start);
  const year = date.getUTCMonth() >= 6 ? date.getUTCFullYear() : date.getUTCFullYear() - 1;
  return `${year}-${year + 1}`;
};

const lowestPrice = (sales: readonly { price: number; sale: DemoSale }[]) =>
  Math.min(...sales.flatMap(({ price, sale }) => [price, ...(sale.price_tiers ?? []).map((tier) => tier.price)]));

// ------------------------------------------------------------ FAQ

const FAQ: readonly { category: (typeof FAQ_CATEGORIES)[number]; text: Record<Language, [question: string, answer: string]> }[] = [
  {
    category: "GENERAL",
    text: {
      fr: [
        "Comment trouver un événement près de chez moi ?",
        "Autorisez la localisation ou choisissez une ville : la recherche « près de moi » affiche les événements publiés du plus proche au plus éloigné. Vous pouvez aussi filtrer par catégorie, par date ou par lieu.",
      ],
      ar: [
        "كيف أجد فعالية قريبة مني؟",
        "فعّل تحديد الموقع أو اختر مدينة: يعرض البحث «بالقرب مني» الفعاليات المنشورة من الأقرب إلى الأبعد. يمكنك أيضًا التصفية حسب الفئة أو التاريخ أو المكان.",
      ],
      en: [
        "How do I find an event near me?",
        "Allow location access or pick a city: the “near me” search lists published events nearest first. You can also filter by category, date or venue.",
      ],
    },
  },
  {
    category: "ACCOUNT",
    text: {
      fr: [
        "J'ai oublié mon mot de passe, que faire ?",
        "Sur l'écran de connexion, choisissez « Mot de passe oublié ». Un code à usage unique vous est envoyé par e-mail : saisissez-le avec votre nouveau mot de passe.",
      ],
      ar: [
        "نسيت كلمة المرور، ماذا أفعل؟",
        "في شاشة تسجيل الدخول، اختر «نسيت كلمة المرور». سيصلك رمز صالح لمرة واحدة عبر البريد الإلكتروني: أدخله مع كلمة المرور الجديدة.",
      ],
      en: [
        "I forgot my password. What should I do?",
        "On the sign-in screen, choose “Forgot password”. A one-time code is sent to your email: enter it with your new password.",
      ],
    },
  },
  {
    category: "EVENTS",
    text: {
      fr: [
        "Combien de temps mes places sont-elles réservées avant le paiement ?",
        "Une commande bloque vos places pendant 15 minutes. Sans paiement dans ce délai, elles sont automatiquement remises en vente.",
      ],
      ar: [
        "كم من الوقت تبقى مقاعدي محجوزة قبل الدفع؟",
        "يحجز الطلب مقاعدك لمدة 15 دقيقة. إذا لم يتم الدفع خلال هذه المدة، تُعاد المقاعد إلى البيع تلقائيًا.",
      ],
      en: ["How long are my seats held before I pay?", "An order holds your seats for 15 minutes. If it is not paid in that time, they go back on sale automatically."],
    },
  },
  {
    category: "EVENTS",
    text: {
      fr: [
        "Puis-je transférer mon billet à un proche ?",
        "Oui, si le type de billet l'autorise : depuis « Mes billets », choisissez « Transférer ». L'ancien QR code cesse de fonctionner au moment même où le nouveau est créé.",
      ],
      ar: [
        "هل يمكنني تحويل تذكرتي إلى شخص آخر؟",
        "نعم، إذا كان نوع التذكرة يسمح بذلك: من «تذاكري» اختر «تحويل». يتوقف رمز QR القديم عن العمل في اللحظة نفسها التي يُنشأ فيها الرمز الجديد.",
      ],
      en: [
        "Can I transfer my ticket to someone else?",
        "Yes, if the ticket type allows it: in “My tickets”, choose “Transfer”. The old QR code stops working the moment the new one is created.",
      ],
    },
  },
  {
    category: "PAYMENTS",
    text: {
      fr: [
        "Quels moyens de paiement sont acceptés ?",
        "Mobile Money (MTN, Moov), carte bancaire, virement et espèces au guichet, selon l'événement. Les prix sont affichés dans la devise de l'événement : franc CFA (XOF) ou dinar tunisien (TND).",
      ],
      ar: [
        "ما هي وسائل الدفع المقبولة؟",
        "الدفع عبر الهاتف المحمول (MTN وMoov) والبطاقة البنكية والتحويل والدفع نقدًا في الشباك، حسب الفعالية. تُعرض الأسعار بعملة الفعالية: الفرنك الإفريقي (XOF) أو الدينار التونسي (TND).",
      ],
      en: [
        "Which payment methods are accepted?",
        "Mobile Money (MTN, Moov), card, bank transfer and cash at the box office, depending on the event. Prices are shown in the event's currency: CFA franc (XOF) or Tunisian dinar (TND).",
      ],
    },
  },
  {
    category: "SUBSCRIPTIONS",
    text: {
      fr: [
        "Que comprend l'abonnement de saison ?",
        "Une entrée à chaque match à domicile de la saison dans la zone de votre abonnement, avec un QR code par match, y compris pour les matchs ajoutés au calendrier en cours de saison.",
      ],
      ar: [
        "ماذا يشمل الاشتراك الموسمي؟",
        "دخول إلى كل مباراة على أرضنا خلال الموسم في منطقة اشتراكك، برمز QR لكل مباراة، بما في ذلك المباريات المضافة إلى الجدول أثناء الموسم.",
      ],
      en: [
        "What does the season pass include?",
        "Entry to every home match of the season in your pass's zone, with one QR code per match, including matches added to the calendar during the season.",
      ],
    },
  },
  {
    category: "TECHNICAL",
    text: {
      fr: [
        "Mon QR code ne s'affiche pas à l'entrée, que faire ?",
        "Présentez le code court imprimé sous le QR code : le contrôleur peut le saisir à la main. Pensez aussi à ouvrir votre billet avant d'arriver au stade.",
      ],
      ar: [
        "لا يظهر رمز QR الخاص بي عند المدخل، ماذا أفعل؟",
        "قدّم الرمز القصير المطبوع تحت رمز QR: يمكن للمراقب إدخاله يدويًا. ننصحك أيضًا بفتح تذكرتك قبل الوصول إلى الملعب.",
      ],
      en: [
        "My QR code won't show at the gate. What can I do?",
        "Show the short code printed under the QR code: the steward can type it in. It also helps to open your ticket before you reach the stadium.",
      ],
    },
  },
];
const FAQ_LANGUAGES: readonly Language[] = ["fr", "ar", "en"];

// ------------------------------------------------------------ seeding

/** D1 binds at most 100 parameters per statement, so multi-row inserts go in slices that fit. */
const D1_MAX_PARAMS = 100;

/** Insert-or-ignore statements for `rows`; each returns one row per row it inserted. */
function insertRows<T extends SQLiteTable>(db: Db, table: T, rows: T["$inferInsert"][]): BatchItem<"sqlite">[] {
  const perRow = Math.max(...rows.map((row) => db.insert(table).values(row).toSQL().params.length));
  const size = Math.max(1, Math.floor(D1_MAX_PARAMS / perRow));
  const statements: BatchItem<"sqlite">[] = [];
  for (let i = 0; i < rows.length; i += size) {
    statements.push(
      db
        .insert(table)
        .values(rows.slice(i, i + size))
        .onConflictDoNothing()
        .returning({ inserted: sql<number>`1` }),
    );
  }
  return statements;
}

export interface SeededEvent {
  id: string;
  title: string;
  starts_at: string;
  venue_name: string;
  currency: string;
}

export interface SeedResult {
  /** Rows this run inserted (0 when the demo data was already there). */
  inserted: number;
  /** Demo accounts whose stored password is no longer the printed one (changed through the API, or another pepper). */
  changed_passwords: string[];
  /** The demo events as stored (a rerun keeps the first run's dates, but for the live friendly), soonest first. */
  events: SeededEvent[];
  /** Whether this run moved the friendly's dates to now (tickets sold for its former dates no longer admit). */
  live_moved: boolean;
}

export async function seedDemoData(d1: D1Database, pepper: string): Promise<SeedResult> {
  const db = getDb(d1);
  const at = now();
  const start = demoCalendarStart(at);
  const season = seasonOf(start);
  const day = (n: number, hourUtc: number) => addSeconds(start, n * 86_400 + hourUtc * 3_600);

  const existing = await db
    .select({ id: users.id, password_hash: users.password_hash })
    .from(users)
    .where(inArray(users.id, DEMO_ACCOUNTS.map((account) => account.id)));
  const stored = new Map(existing.map((row) => [row.id, row.password_hash]));
  const changed: string[] = [];
  for (const account of DEMO_ACCOUNTS) {
    const hash = stored.get(account.id);
    if (hash !== undefined && !(hash && (await verifyPassword(account.password, hash, pepper)))) changed.push(account.email);
  }
  // Only new accounts need a hash; hashing is deliberately slow.
  const newAccounts = await Promise.all(
    DEMO_ACCOUNTS.filter((account) => !stored.has(account.id)).map(async ({ password, identity_verified, ...account }) => ({
      ...account,
      password_hash: await hashPassword(password, pepper),
      email_verified_at: at,
      ...(identity_verified ? { is_identity_verified: true, identity_verified_at: at } : {}),
    })),
  );

  // A local database seeded before organizations existed got the organizer an organization from the data migration: keep using it.
  const [migrated] = await db
    .select({ id: organization_members.organization_id })
    .from(organization_members)
    .where(and(eq(organization_members.user_id, ORGANIZER.id), eq(organization_members.role, "OWNER")))
    .orderBy(asc(organization_members.created_at))
    .limit(1);
  const organizationId = migrated?.id ?? DEMO_ORGANIZATION_ID;

  const reviewed = { status: "APPROVED" as const, reviewed_at: at, reviewed_by: ADMIN.id, review_comment: "Données de démonstration." };
  const owned = { organizer_id: ORGANIZER.id, organization_id: organizationId, created_by: ORGANIZER.id };
  const atVenue = (venue: DemoVenue) => ({
    venue_id: venue.id,
    venue_name: venue.name,
    address: venue.address,
    latitude: venue.latitude,
    longitude: venue.longitude,
    timezone: venue.timezone,
    max_capacity: capacityOf(venue),
  });

  // 19:00 UTC is 20:00 in Tunis.
  const matches = MATCHES.map((match, i) => {
    const kickoff = day(i * MATCH_DAYS_APART, 19);
    const sales = MATCH_SALES.map((sale) => ({ sale, price: Math.round(ticketType(sale.type).base_price * (match.derby ? DERBY_MARKUP : 1)) }));
    return { match, id: DEMO_MATCH_IDS[i]!, kickoff, sales };
  });
  // 19:30 UTC is 20:30 in Cotonou.
  const concertStart = day(CONCERT_DAY, 19.5);
  const concertSales = CONCERT_SALES.map((sale) => ({ sale, price: ticketType(sale.type).base_price }));
  const live = liveWindow(at);
  const liveSales = LIVE_SALES.map((sale) => ({ sale, price: ticketType(sale.type).base_price }));

  const eventRows: (typeof events.$inferInsert)[] = [
    ...matches.map(({ match, id, kickoff, sales }) => ({
      id,
      title: match.derby ? `Derby de Tunis : ${HOME_TEAM} – ${match.away}` : `${HOME_TEAM} – ${match.away}`,
      description:
        `Ligue 1 ${season}, ${match.round}e journée. Ouverture des portes deux heures avant le coup d'envoi.` +
        (match.derby ? " Derby : billets nominatifs, quatre au plus par personne." : ""),
      short_description: match.derby ? `Le derby de la ${match.round}e journée.` : `Ligue 1, ${match.round}e journée.`,
      starts_at: kickoff,
      ends_at: addSeconds(kickoff, 2 * 3_600),
      doors_open_at: addSeconds(kickoff, -2 * 3_600),
      ...atVenue(STADIUM),
      event_group_id: DEMO_SEASON_ID,
      // A derby is a championship match: season passes covering "championship" include it.
      match_type: "championship",
      is_home_match: true,
      ...owned,
      category_id: categoryId("Football"),
      access_type: "PAID" as const,
      price: lowestPrice(sales),
      currency: "TND" as const,
      ticketing_enabled: true,
      ...reviewed,
      metadata: { competition: "Ligue 1", season, round: match.round, home_team: HOME_TEAM, away_team: match.away, derby: match.derby },
    })),
    {
      id: DEMO_CONCERT_ID,
      title: "Les Voix de la Lagune : nuit afrobeat",
      description: "Trois heures d'afrobeat, de highlife et de jazz avec la scène de Cotonou. Fosse debout, gradins assis et carré or avec restauration.",
      short_description: "La grande nuit afrobeat de Cotonou.",
      starts_at: concertStart,
      ends_at: addSeconds(concertStart, 3 * 3_600),
      doors_open_at: addSeconds(concertStart, -3_600),
      ...atVenue(HALL),
      ...owned,
      category_id: categoryId("Concerts"),
      access_type: "PAID",
      price: lowestPrice(concertSales),
      currency: "XOF",
      ticketing_enabled: true,
      ...reviewed,
    },
    {
      id: DEMO_LIVE_EVENT_ID,
      title: LIVE_MATCH.title,
      description: "Match amical de préparation. Les portes sont ouvertes : billets en vente jusqu'au coup de sifflet final.",
      short_description: "Les portes sont ouvertes.",
      ...live,
      ...atVenue(STADIUM),
      match_type: "friendly",
      is_home_match: true,
      ...owned,
      category_id: categoryId("Football"),
      access_type: "PAID",
      price: lowestPrice(liveSales),
      currency: "TND",
      ticketing_enabled: true,
      ...reviewed,
      metadata: { home_team: HOME_TEAM, away_team: LIVE_MATCH.away, friendly: true },
    },
  ];

  const configRows = (eventIndex: number, eventId: string, salesEnd: string, sales: readonly { sale: DemoSale; price: number }[], maxPurchase: number | null) =>
    sales.map(({ sale, price }, i) => {
      const type = ticketType(sale.type);
      return {
        id: demoId(KIND.config, eventIndex * 10 + i + 1),
        event_id: eventId,
        ticket_type_id: ticketTypeId(type.code),
        price,
        currency: type.currency,
        quantity_total: sale.quantity,
        quantity_blocked: sale.blocked,
        sales_end: salesEnd,
        max_purchase: maxPurchase,
        zone_mapping: { [type.category]: sale.zones },
        dynamic_pricing: Boolean(sale.price_tiers),
        price_tiers: sale.price_tiers ?? null,
      };
    });

  const statements: BatchItem<"sqlite">[] = [
    ...(newAccounts.length ? insertRows(db, users, newAccounts) : []),
    ...insertRows(db, organizations, [{ id: organizationId, name: DEMO_ORGANIZATION_NAME, description: "Le club de démonstration : ses matchs, son concert, sa billetterie.", contact_email: ORGANIZER.email, created_by: ORGANIZER.id }]),
    ...insertRows(
      db,
      organization_members,
      [
        { id: demoId(KIND.member, 1), organization_id: organizationId, user_id: ORGANIZER.id, role: "OWNER" as const, added_by: ORGANIZER.id },
        { id: demoId(KIND.member, 2), organization_id: organizationId, user_id: BOX_OFFICE.id, role: "BOX_OFFICE" as const, added_by: ORGANIZER.id },
      ],
    ),
    ...insertRows(
      db,
      event_categories,
      CATEGORIES.map((category, i) => ({ id: categoryId(category.name), ...category, display_order: i })),
    ),
    ...insertRows(
      db,
      venues,
      VENUES.map((venue) => {
        const { zones: _zones, gates: _gates, ...row } = venue;
        return { ...row, capacity: capacityOf(venue), owner_id: ORGANIZER.id, organization_id: organizationId };
      }),
    ),
    ...insertRows(
      db,
      venue_zones,
      VENUES.flatMap((venue) => venue.zones.map((zone) => ({ id: zoneId(venue, zone.code), venue_id: venue.id, ...zone }))),
    ),
    ...insertRows(
      db,
      seats,
      SEAT_ROWS.flatMap((row, r) =>
        Array.from({ length: SEATS_PER_ROW }, (_, i) => ({
          id: demoId(KIND.seat, r * SEATS_PER_ROW + i + 1),
          zone_id: zoneId(STADIUM, "tribune_honneur"),
          section: "H",
          row,
          number: String(i + 1),
          is_accessible: row === "A" && i < 4,
          // The fifth seat of row A is the companion place beside the accessible ones; seats 1 m apart, rows 1 m apart on the map.
          is_companion: row === "A" && i === 4,
          x: i,
          y: r,
        })),
      ),
    ),
    ...insertRows(
      db,
      access_points,
      VENUES.flatMap((venue) => venue.gates.map((gate) => ({ id: gateId(venue, gate.code), venue_id: venue.id, code: gate.code, name: gate.name, direction: "BOTH" as const }))),
    ),
    ...insertRows(
      db,
      access_point_zones,
      VENUES.flatMap((venue) => venue.gates.flatMap((gate) => gate.zones.map((zone) => ({ access_point_id: gateId(venue, gate.code), zone_id: zoneId(venue, zone) })))),
    ),
    ...insertRows(db, event_groups, [
      {
        id: DEMO_SEASON_ID,
        code: `LIGUE1-${season}`,
        name: `Ligue 1 ${season}`,
        description: `Les matchs à domicile de l'${HOME_TEAM} en Ligue 1, saison ${season}.`,
        group_type: "SEASON",
        sport: "football",
        season,
        starts_on: matches[0]!.kickoff.slice(0, 10),
        ends_on: matches[matches.length - 1]!.kickoff.slice(0, 10),
        organizer_id: ORGANIZER.id,
        organization_id: organizationId,
      },
    ]),
    ...insertRows(db, events, eventRows),
    ...insertRows(
      db,
      event_staff,
      [
        ...DEMO_MATCH_IDS.map((eventId, i) => ({
          id: demoId(KIND.staff, i + 1),
          event_id: eventId,
          user_id: CONTROLLER.id,
          role: "CONTROLLER" as const,
          access_point_id: gateId(STADIUM, "GATE_A"),
          assigned_by: ORGANIZER.id,
        })),
        // At the friendly, the controller may work any gate (no access point named).
        { id: demoId(KIND.staff, MATCHES.length + 1), event_id: DEMO_LIVE_EVENT_ID, user_id: CONTROLLER.id, role: "CONTROLLER" as const, access_point_id: null, assigned_by: ORGANIZER.id },
      ],
    ),
    ...insertRows(
      db,
      ticket_types,
      TICKET_TYPES.map(({ category, also: _also, ...type }, i) => ({
        id: ticketTypeId(type.code),
        ...type,
        organizer_id: ORGANIZER.id,
        organization_id: organizationId,
        default_zone_category: category,
        display_order: i,
      })),
    ),
    ...insertRows(
      db,
      ticket_type_zones,
      TICKET_TYPES.flatMap((type) => [
        { ticket_type_id: ticketTypeId(type.code), zone_category: type.category, is_primary: true },
        ...(type.also ?? []).map((category) => ({ ticket_type_id: ticketTypeId(type.code), zone_category: category, is_primary: false })),
      ]),
    ),
    ...insertRows(db, event_ticket_config, [
      // Sales close at kick-off; derby tickets are limited to four per person.
      ...matches.flatMap(({ match, id, kickoff, sales }, i) => configRows(i, id, kickoff, sales, match.derby ? 4 : null)),
      ...configRows(MATCHES.length, DEMO_CONCERT_ID, concertStart, concertSales, null),
      // The friendly sells until its end.
      ...configRows(MATCHES.length + 1, DEMO_LIVE_EVENT_ID, live.ends_at, liveSales, null),
    ]),
    ...insertRows(db, pricing_rules, [
      {
        id: demoId(KIND.rule, 1),
        code: "GROUPE-10",
        name: "Tarif groupe",
        description: "15 % de remise à partir de 10 billets dans une même commande ; paiement sous 48 heures.",
        organizer_id: ORGANIZER.id,
        organization_id: organizationId,
        rule_type: "GROUP",
        applies_to: "TICKETS",
        discount_type: "PERCENTAGE",
        discount_value: 1_500,
        conditions: { min_quantity: 10, payment_deadline: 48 },
        priority: 10,
        auto_apply: true,
      },
    ]),
    ...insertRows(db, subscription_plans, [
      {
        id: demoId(KIND.plan, 1),
        code: "ABONNEMENT-TRIBUNE",
        name: `Abonnement Tribune centrale ${season}`,
        description: "Tous les matchs de championnat à domicile de la saison en tribune centrale.",
        organizer_id: ORGANIZER.id,
        organization_id: organizationId,
        type: "FULL_SEASON",
        price: 60_000,
        currency: "TND",
        max_subscribers: 2_000,
        default_zone_category: "PREMIUM",
        benefits: { priority_renewal: true, shop_discount: 1_000, zone_upgrade_possible: true },
        restrictions: { max_transfers_per_season: 2, requires_id_verification: true },
      },
    ]),
    ...insertRows(db, subscription_plan_event_groups, [
      { subscription_plan_id: demoId(KIND.plan, 1), event_group_id: DEMO_SEASON_ID, access_level: "FULL", included_match_types: ["championship"] },
    ]),
    ...insertRows(db, subscription_plan_zones, [
      { subscription_plan_id: demoId(KIND.plan, 1), zone_category: "PREMIUM", is_primary: true, upgrade_allowed: true, upgrade_fee: 20_000, currency: "TND" },
    ]),
    ...insertRows(
      db,
      organizer_plans,
      ORGANIZER_PLANS.map((plan, i) => ({ ...plan, display_order: i })),
    ),
    ...insertRows(db, organizer_subscriptions, [
      {
        id: DEMO_ORGANIZER_SUBSCRIPTION_ID,
        user_id: ORGANIZER.id,
        organization_id: organizationId,
        plan_id: DEMO_ORGANIZER_PLAN_ID,
        starts_at: at,
        ends_at: addSeconds(at, SUBSCRIPTION_AHEAD_SECONDS),
        status: "ACTIVE",
        price_paid: 0,
        currency: "XOF",
        auto_renew: true,
      },
    ]),
    ...insertRows(db, organizer_subscription_history, [
      {
        id: DEMO_ORGANIZER_SUBSCRIPTION_ID,
        organizer_subscription_id: DEMO_ORGANIZER_SUBSCRIPTION_ID,
        action: "SUBSCRIBE",
        previous_status: null,
        new_status: "ACTIVE",
        comment: "Données de démonstration.",
        performed_by: ADMIN.id,
      },
    ]),
    ...insertRows(
      db,
      faqs,
      FAQ.flatMap((entry, i) =>
        FAQ_LANGUAGES.map((language, l) => ({
          id: demoId(KIND.faq, i * FAQ_LANGUAGES.length + l + 1),
          question: entry.text[language][0],
          answer: entry.text[language][1],
          category: entry.category,
          language,
          display_order: i,
          created_by: ADMIN.id,
        })),
      ),
    ),
  ];

  // One batch: D1 applies it atomically, so an interrupted seed leaves nothing half-done.
  const results = (await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as unknown[][];

  // What moves with time, each run: the friendly's doors are open now (its dates move to now once
  // less than LIVE_MIN_LEFT_SECONDS of it are left or it has not opened; approved again if the cron
  // completed it), and the demo organizer's plan runs at least 30 days more.
  const [moved] = await db.batch([
    db
      .update(events)
      .set({ ...live, status: "APPROVED", updated_at: at })
      .where(and(eq(events.id, DEMO_LIVE_EVENT_ID), or(lt(events.ends_at, addSeconds(at, LIVE_MIN_LEFT_SECONDS)), gt(events.doors_open_at, at))))
      .returning({ id: events.id }),
    db
      .update(event_ticket_config)
      .set({ sales_end: live.ends_at, updated_at: at })
      .where(and(inArray(event_ticket_config.id, [...DEMO_LIVE_CONFIG_IDS]), lt(event_ticket_config.sales_end, addSeconds(at, LIVE_MIN_LEFT_SECONDS)))),
    db
      .update(organizer_subscriptions)
      .set({ ends_at: addSeconds(at, SUBSCRIPTION_AHEAD_SECONDS), updated_at: at })
      .where(and(eq(organizer_subscriptions.id, DEMO_ORGANIZER_SUBSCRIPTION_ID), eq(organizer_subscriptions.status, "ACTIVE"), lt(organizer_subscriptions.ends_at, addSeconds(at, SUBSCRIPTION_AHEAD_SECONDS)))),
    // Accounts seeded before the demo had a verified fan.
    db
      .update(users)
      .set({ is_identity_verified: true, identity_verified_at: at })
      .where(and(inArray(users.id, DEMO_ACCOUNTS.filter((account) => account.identity_verified).map((account) => account.id)), eq(users.is_identity_verified, false))),
  ]);
  const seeded = await db
    .select({ id: events.id, title: events.title, starts_at: events.starts_at, venue_name: events.venue_name, currency: events.currency })
    .from(events)
    .where(inArray(events.id, [...DEMO_EVENT_IDS]))
    .orderBy(asc(events.starts_at));
  return { inserted: results.reduce((sum, rows) => sum + rows.length, 0), changed_passwords: changed, events: seeded, live_moved: moved.length > 0 };
}
