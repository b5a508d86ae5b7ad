/**
 * What the signed-in account's roles open, computed once by the shell and
 * read by screens that link to others (a tab, a button) through `useAccess`.
 */
import { createContext, useContext } from "react";
import type { Organization, StaffAssignment, User } from "../auth/session.tsx";

/**
 * What the account's roles open: its platform role (ADMIN), its team roles in
 * the organizations it belongs to (src/organizations/permissions.ts has the
 * matrix), and its gate assignments. The API checks every request on every
 * object; this only decides what the navigation offers.
 */
export interface Access {
  admin: boolean;
  /** Sees the organization's events (any team role). */
  events: boolean;
  /** Manages events, their tickets, staff and grants, venues and the catalog (OWNER, MANAGER). */
  manage: boolean;
  /** Sells at the box office (OWNER, BOX_OFFICE). */
  boxOffice: boolean;
  /** Reads live sales (OWNER, MANAGER, BOX_OFFICE, FINANCE). */
  sales: boolean;
  /** Gate staff of a current event, or a gate role in a team. */
  gate: boolean;
  /** Reads the attendees: every access right, its history (attendees.read: OWNER, MANAGER, BOX_OFFICE, SUPERVISOR). */
  attendees: boolean;
  /** Lets a holder in by hand at the door, with a reason (door.admit: OWNER, MANAGER, BOX_OFFICE, SUPERVISOR; not per-event staff). */
  admit: boolean;
  /** Sends a holder their tickets again (tickets.resend: OWNER, MANAGER, BOX_OFFICE). */
  resend: boolean;
  /** Blocks and unblocks one right (rights.block: OWNER, MANAGER, SUPERVISOR). */
  block: boolean;
  /** Reads payments and refunds, and decides refunds (money.read, refunds.manage: OWNER, FINANCE). */
  money: boolean;
  /** Reads the reports and downloads the exports (reports.read, exports.read: OWNER, MANAGER, FINANCE). */
  reports: boolean;
  /** Sends campaigns: admins, and platform ORGANIZERs (the API's rule) who run an organization's events. */
  campaigns: boolean;
  /** Its organization and team: a member (any role), or a platform ORGANIZER who may create one. */
  team: boolean;
  /** Watches the gates live (gate.supervise: OWNER, MANAGER, SUPERVISOR, or a SUPERVISOR assignment). */
  supervisor: boolean;
}

export function accessOf(user: User | null, assignments: StaffAssignment[], organizations: Organization[]): Access {
  const admin = user?.role === "ADMIN";
  const roles = new Set(organizations.flatMap((o) => (o.my_role ? [o.my_role] : [])));
  const any = (...wanted: NonNullable<Organization["my_role"]>[]) => admin || wanted.some((role) => roles.has(role));
  return {
    admin,
    events: admin || roles.size > 0,
    manage: any("OWNER", "MANAGER"),
    boxOffice: any("OWNER", "BOX_OFFICE"),
    sales: any("OWNER", "MANAGER", "BOX_OFFICE", "FINANCE"),
    gate: assignments.length > 0 || any("OWNER", "MANAGER", "SUPERVISOR", "CONTROLLER"),
    attendees: any("OWNER", "MANAGER", "BOX_OFFICE", "SUPERVISOR"),
    admit: any("OWNER", "MANAGER", "BOX_OFFICE", "SUPERVISOR"),
    resend: any("OWNER", "MANAGER", "BOX_OFFICE"),
    block: any("OWNER", "MANAGER", "SUPERVISOR"),
    money: any("OWNER", "FINANCE"),
    reports: any("OWNER", "MANAGER", "FINANCE"),
    campaigns: admin || (user?.role === "ORGANIZER" && any("OWNER", "MANAGER")),
    team: admin || user?.role === "ORGANIZER" || roles.size > 0,
    supervisor: assignments.some((a) => a.role === "SUPERVISOR") || any("OWNER", "MANAGER", "SUPERVISOR"),
  };
}

/** Whether the account's roles open a path; provided by the shell, which knows the route table. */
export const AccessContext = createContext<(path: string) => boolean>(() => false);
export const useAccess = () => useContext(AccessContext);

/** The account's roles as flags, for what a screen offers inside itself (a button, a column). */
export const RolesContext = createContext<Access | null>(null);
export function useRoles(): Access {
  const roles = useContext(RolesContext);
  if (!roles) throw new Error("useRoles outside the shell");
  return roles;
}
