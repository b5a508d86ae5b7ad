/**
 * Every screen: its path, who may open it, where it sits in the navigation,
 * and its code, loaded on first visit (one chunk per screen file).
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";
import type { Access } from "./access.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { matchPath } from "./router.tsx";

export type ScreenProps = { params: Record<string, string> };
type Screen = LazyExoticComponent<ComponentType<ScreenProps>>;

export interface ScreenRoute {
  path: string;
  screen: Screen;
  allow: (access: Access) => boolean;
  nav?: { section: MessageKey; label: MessageKey };
}

const admin = (a: Access) => a.admin;
const events = (a: Access) => a.events;
const manage = (a: Access) => a.manage;
const boxOffice = (a: Access) => a.boxOffice;
const sales = (a: Access) => a.sales;
const gate = (a: Access) => a.gate;
const supervisor = (a: Access) => a.supervisor;
const team = (a: Access) => a.team;
const campaigns = (a: Access) => a.campaigns;
const attendees = (a: Access) => a.attendees;
const reports = (a: Access) => a.reports;
const signedIn = () => true;

const s = (load: () => Promise<{ default: ComponentType<ScreenProps> }>): Screen => lazy(load);

export const ROUTES: ScreenRoute[] = [
  // Admin
  { path: "/admin/moderation", screen: s(() => import("../screens/admin/Moderation.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.moderation" } },
  { path: "/admin/moderation/:event_id", screen: s(() => import("../screens/admin/ModerationReview.tsx")), allow: admin },
  { path: "/admin/verifications", screen: s(() => import("../screens/admin/Verifications.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.verifications" } },
  { path: "/admin/verifications/:verification_id", screen: s(() => import("../screens/admin/VerificationReview.tsx")), allow: admin },
  { path: "/admin/users", screen: s(() => import("../screens/admin/Users.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.users" } },
  { path: "/admin/users/:user_id", screen: s(() => import("../screens/admin/UserDetail.tsx")), allow: admin },
  { path: "/admin/refunds", screen: s(() => import("../screens/admin/Refunds.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.refunds" } },
  { path: "/admin/blacklist", screen: s(() => import("../screens/admin/Blacklist.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.blacklist" } },
  { path: "/admin/payments", screen: s(() => import("../screens/admin/Payments.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.payments" } },
  { path: "/admin/dead-letters", screen: s(() => import("../screens/admin/DeadLetters.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.deadLetters" } },
  { path: "/admin/commissions", screen: s(() => import("../screens/admin/Commissions.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.commissions" } },
  { path: "/admin/organizer-plans", screen: s(() => import("../screens/admin/OrganizerPlans.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.organizerPlans" } },
  { path: "/admin/categories", screen: s(() => import("../screens/admin/Categories.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.categories" } },
  { path: "/admin/settings", screen: s(() => import("../screens/admin/Settings.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.settings" } },
  { path: "/admin/faq", screen: s(() => import("../screens/admin/Faq.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.faq" } },
  { path: "/admin/contact", screen: s(() => import("../screens/admin/Contact.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.contact" } },
  { path: "/admin/status", screen: s(() => import("../screens/admin/SystemStatus.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.status" } },
  { path: "/admin/notification-templates", screen: s(() => import("../screens/admin/NotificationTemplates.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.templates" } },
  { path: "/admin/audit", screen: s(() => import("../screens/admin/AuditLog.tsx")), allow: admin, nav: { section: "nav.admin", label: "nav.audit" } },
  // Organizer
  { path: "/organizer/events", screen: s(() => import("../screens/organizer/Events.tsx")), allow: events, nav: { section: "nav.organizer", label: "nav.events" } },
  { path: "/organizer/events/new", screen: s(() => import("../screens/organizer/EventEdit.tsx")), allow: manage },
  { path: "/organizer/events/:event_id", screen: s(() => import("../screens/organizer/EventDetail.tsx")), allow: events },
  { path: "/organizer/events/:event_id/edit", screen: s(() => import("../screens/organizer/EventEdit.tsx")), allow: manage },
  { path: "/organizer/events/:event_id/tickets", screen: s(() => import("../screens/organizer/TicketConfigs.tsx")), allow: manage },
  { path: "/organizer/events/:event_id/sales", screen: s(() => import("../screens/organizer/LiveSales.tsx")), allow: sales },
  { path: "/organizer/events/:event_id/attendees", screen: s(() => import("../screens/organizer/Attendees.tsx")), allow: attendees },
  { path: "/organizer/events/:event_id/orders", screen: s(() => import("../screens/organizer/Orders.tsx")), allow: sales },
  { path: "/organizer/events/:event_id/reports", screen: s(() => import("../screens/organizer/Reports.tsx")), allow: reports },
  { path: "/organizer/events/:event_id/box-office", screen: s(() => import("../screens/organizer/BoxOffice.tsx")), allow: boxOffice },
  { path: "/organizer/events/:event_id/staff", screen: s(() => import("../screens/organizer/Staff.tsx")), allow: manage },
  { path: "/organizer/events/:event_id/grants", screen: s(() => import("../screens/organizer/Grants.tsx")), allow: manage },
  { path: "/organizer/events/:event_id/overrides", screen: s(() => import("../screens/organizer/ZoneOverrides.tsx")), allow: manage },
  { path: "/organizer/events/:event_id/seats", screen: s(() => import("../screens/organizer/Seats.tsx")), allow: manage },
  { path: "/organizer/venues", screen: s(() => import("../screens/organizer/Venues.tsx")), allow: manage, nav: { section: "nav.organizer", label: "nav.venues" } },
  { path: "/organizer/venues/:venue_id", screen: s(() => import("../screens/organizer/VenueDetail.tsx")), allow: manage },
  { path: "/organizer/ticket-types", screen: s(() => import("../screens/organizer/TicketTypes.tsx")), allow: manage, nav: { section: "nav.organizer", label: "nav.ticketTypes" } },
  { path: "/organizer/pricing-rules", screen: s(() => import("../screens/organizer/PricingRules.tsx")), allow: manage, nav: { section: "nav.organizer", label: "nav.pricingRules" } },
  { path: "/organizer/season-passes", screen: s(() => import("../screens/organizer/SeasonPasses.tsx")), allow: manage, nav: { section: "nav.organizer", label: "nav.seasonPasses" } },
  { path: "/organizer/event-groups", screen: s(() => import("../screens/organizer/EventGroups.tsx")), allow: manage, nav: { section: "nav.organizer", label: "nav.eventGroups" } },
  { path: "/organizer/user-groups", screen: s(() => import("../screens/organizer/UserGroups.tsx")), allow: manage, nav: { section: "nav.organizer", label: "nav.userGroups" } },
  { path: "/organizer/user-groups/:group_id", screen: s(() => import("../screens/organizer/UserGroupDetail.tsx")), allow: manage },
  { path: "/organizer/campaigns", screen: s(() => import("../screens/organizer/Campaigns.tsx")), allow: campaigns, nav: { section: "nav.organizer", label: "nav.campaigns" } },
  { path: "/organizer/team", screen: s(() => import("../screens/organizer/Team.tsx")), allow: team, nav: { section: "nav.organizer", label: "nav.team" } },
  { path: "/join", screen: s(() => import("../screens/organizer/Join.tsx")), allow: signedIn },
  // Gate
  { path: "/gate", screen: s(() => import("../screens/gate/Assignments.tsx")), allow: gate, nav: { section: "nav.gate", label: "nav.gateEvents" } },
  { path: "/gate/:event_id", screen: s(() => import("../screens/gate/LiveGate.tsx")), allow: supervisor },
];

/** Whether these roles open a path. */
export const opens = (access: Access, path: string): boolean => {
  const found = findRoute(path);
  return found !== null && found.route.allow(access);
};

export function findRoute(path: string): { route: ScreenRoute; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return null;
}

export interface NavSection {
  title: MessageKey;
  items: { path: string; label: MessageKey }[];
}

/** The navigation the account sees: only the sections and screens its roles open. */
export function navigation(access: Access): NavSection[] {
  const sections = new Map<MessageKey, NavSection>();
  for (const route of ROUTES) {
    if (!route.nav || !route.allow(access)) continue;
    const section = sections.get(route.nav.section) ?? { title: route.nav.section, items: [] };
    section.items.push({ path: route.path, label: route.nav.label });
    sections.set(route.nav.section, section);
  }
  return [...sections.values()];
}

