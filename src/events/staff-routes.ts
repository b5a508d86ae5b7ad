import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, gte, inArray } from "drizzle-orm";
import { signedIn } from "../auth/middleware.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { eventAccess } from "../organizations/permissions.ts";
import { newId } from "../lib/ids.ts";
import { now } from "../lib/time.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { afterCursor, decodeCursor, pageQuery, pageSchema, toPage } from "../lib/pagination.ts";
import { actorOf, auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { userIdParam } from "../users/schemas.ts";
import { users } from "../users/schema.ts";
import { unprovenEmail, unverifiedRecipient } from "../users/accounts.ts";
import { access_points, event_staff, events, EVENT_STAFF_ROLES } from "./schema.ts";
import { eventIdParam } from "./schemas.ts";

type StaffRow = typeof event_staff.$inferSelect;
type StaffUser = Pick<typeof users.$inferSelect, "id" | "email" | "first_name" | "last_name">;

const StaffAssignBody = z
  .strictObject({
    user_id: z.uuid().optional(),
    email: z.email().max(254).optional(),
    role: z.enum(EVENT_STAFF_ROLES).optional().openapi({ description: "CONTROLLER (default) scans; SUPERVISOR may also override." }),
    access_point_id: z.uuid().nullable().optional().openapi({ description: "Their usual post: an access point of the event's venue." }),
  })
  .superRefine((body, ctx) => {
    if ((body.user_id === undefined) === (body.email === undefined)) ctx.addIssue({ code: "custom", path: [], message: "Name the person by `user_id` or by `email`." });
  })
  .openapi("EventStaffAssignRequest");

const StaffSchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    user: z.object({ id: z.string(), email: z.string(), first_name: z.string(), last_name: z.string() }),
    role: z.enum(EVENT_STAFF_ROLES),
    access_point_id: z.string().nullable(),
    assigned_by: z.string().nullable(),
    is_active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("EventStaff");

const MyAssignmentSchema = z
  .object({
    event: z.object({
      id: z.string(),
      title: z.string(),
      starts_at: z.string(),
      ends_at: z.string(),
      timezone: z.string(),
      venue_id: z.string().nullable(),
      venue_name: z.string(),
    }),
    role: z.enum(EVENT_STAFF_ROLES),
    access_point_id: z.string().nullable(),
  })
  .openapi("StaffAssignment");

const toStaff = (row: StaffRow, user: StaffUser): z.infer<typeof StaffSchema> => ({
  id: row.id,
  event_id: row.event_id,
  user: { id: user.id, email: user.email, first_name: user.first_name, last_name: user.last_name },
  role: row.role,
  access_point_id: row.access_point_id,
  assigned_by: row.assigned_by,
  is_active: row.is_active,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

const staffParams = eventIdParam.extend(userIdParam.shape);

/** The event if the caller manages its gate team (`team.manage`: OWNER, MANAGER, admins); other members and staff 403, anyone else 404. */
const managedEvent = async (db: Db, actor: Actor, eventId: string) => (await eventAccess(db, actor, eventId, "team.manage")).event;

const userColumns = { id: users.id, email: users.email, first_name: users.first_name, last_name: users.last_name, role: users.role };

/**
 * Gate staff need the CONTROLLER role for the controller app; a plain USER is
 * promoted when assigned (audited). ORGANIZER, ADMIN and CONTROLLER accounts
 * keep their role, and nobody is demoted on unassignment: they may staff other
 * events, and gate access itself always goes through event_staff.
 */
async function promoteToController(db: Db, actor: Actor, userId: string, eventId: string) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await auditedUpdate(db, actor, users, userId, { role: "CONTROLLER" }, {
        guard: eq(users.role, "USER"),
        what: "User",
        description: `UPDATE users role USER → CONTROLLER (gate staff of event ${eventId})`,
      });
      return;
    } catch (error) {
      if (!(error instanceof ProblemError) || error.code !== "concurrent_change") throw error;
      // The account changed meanwhile (e.g. a sign-in); promote only if it is still a plain USER.
      const [user] = await db.select({ role: users.role }).from(users).where(eq(users.id, userId)).limit(1);
      if (user?.role !== "USER") return;
    }
  }
}

async function assignStaff(db: Db, actor: Actor, eventId: string, input: z.infer<typeof StaffAssignBody>) {
  const event = await managedEvent(db, actor, eventId);
  const [found] = await db
    .select({ ...userColumns, unproven: unprovenEmail })
    .from(users)
    .where(and(input.user_id ? eq(users.id, input.user_id) : eq(users.email, input.email!.toLowerCase()), eq(users.is_active, true)))
    .limit(1);
  if (!found) throw problems.notFound("User");
  const { unproven, ...user } = found;
  // By email, only an account that proved the address, as for tickets given by email.
  if (input.email && Number(unproven) === 1) throw unverifiedRecipient();
  if (input.access_point_id) {
    const [gate] = event.venue_id
      ? await db
          .select({ id: access_points.id })
          .from(access_points)
          .where(and(eq(access_points.id, input.access_point_id), eq(access_points.venue_id, event.venue_id)))
          .limit(1)
      : [];
    if (!gate) {
      throw problems.validation([{ path: "access_point_id", message: "Not an access point of this event's venue.", code: "access_point_not_in_venue" }]);
    }
  }
  let row: StaffRow;
  try {
    row = await auditedInsert(db, actor, event_staff, {
      id: newId(),
      event_id: eventId,
      user_id: user.id,
      role: input.role ?? "CONTROLLER",
      access_point_id: input.access_point_id ?? null,
      assigned_by: actor.userId,
    });
  } catch (error) {
    if (isUniqueViolation(error, "event_staff.")) throw problems.conflict("already_assigned", "This person is already staff of this event; unassign them first to change their role.");
    throw error;
  }
  if (user.role === "USER") await promoteToController(db, actor, user.id, eventId);
  return toStaff(row, user);
}

const tags = ["Event staff"];
const noContent = { description: "Done." };
const who = "Needs `team.manage` on the event (OWNER and MANAGER of its organization, admins); its other members and staff get 403, anyone else 404. Team members of the organization need no assignment: its CONTROLLERs and SUPERVISORs work at every event of the organization; an assignment gives one person the gate of one event.";

export function staffRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/staff",
      operationId: "listEventStaff",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Gate staff of an event",
      description: `${who} Oldest assignment first.`,
      request: { params: eventIdParam, query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(StaffSchema), "One page."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const db = getDb(c.env.DB);
      const { event_id } = c.req.valid("param");
      await managedEvent(db, actorOf(c), event_id);
      const { limit, cursor } = c.req.valid("query");
      const after = decodeCursor(cursor);
      const rows = await db
        .select({ staff: event_staff, user: userColumns })
        .from(event_staff)
        .innerJoin(users, eq(users.id, event_staff.user_id))
        .where(
          and(
            eq(event_staff.event_id, event_id),
            afterCursor(after, event_staff.created_at, event_staff.id),
          ),
        )
        .orderBy(asc(event_staff.created_at), asc(event_staff.id))
        .limit(limit + 1);
      const page = toPage(rows, limit, (row) => ({ k: row.staff.created_at, id: row.staff.id }));
      return c.json({ data: page.data.map((row) => toStaff(row.staff, row.user)), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/staff",
      operationId: "assignEventStaff",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Assign a gate controller or supervisor",
      description:
        `${who} Names an existing active account by \`user_id\` or \`email\` (404 otherwise); 409 \`already_assigned\` if they already are. ` +
        "A plain USER account becomes CONTROLLER; ORGANIZER, CONTROLLER and ADMIN accounts keep their role.",
      request: { params: eventIdParam, body: jsonBody(StaffAssignBody) },
      responses: { 201: jsonResponse(StaffSchema, "The assignment."), ...errors("already_assigned", "forbidden", "not_found", "recipient_email_unverified") },
    }),
    async (c) => c.json(await assignStaff(getDb(c.env.DB), actorOf(c), c.req.valid("param").event_id, c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}/staff/{user_id}",
      operationId: "unassignEventStaff",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Unassign a staff member",
      description: `${who} Their gate access to this event ends at once (their open gate sockets are closed with 4003); their account role is unchanged.`,
      request: { params: staffParams },
      responses: { 204: noContent, ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const db = getDb(c.env.DB);
      const actor = actorOf(c);
      const { event_id, user_id } = c.req.valid("param");
      await managedEvent(db, actor, event_id);
      const [row] = await db
        .select({ id: event_staff.id })
        .from(event_staff)
        .where(and(eq(event_staff.event_id, event_id), eq(event_staff.user_id, user_id)))
        .limit(1);
      if (!row) throw problems.notFound("Staff member");
      await auditedDelete(db, actor, event_staff, row.id, { what: "Staff member" });
      // A gate socket was authorized when it opened: close theirs now.
      await eventStub(c.env, event_id).closeSocketsOf(user_id);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/staff-assignments",
      operationId: "listMyStaffAssignments",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "My gate assignments",
      description:
        "The events where the caller is active gate staff (CONTROLLER or SUPERVISOR), approved and not yet ended, soonest first, with their usual post: " +
        "what a gate tablet or supervisor opens on match day.",
      request: { query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(MyAssignmentSchema), "One page."), ...errors() },
    }),
    async (c) => {
      const db = getDb(c.env.DB);
      const { userId } = actorOf(c);
      const { limit, cursor } = c.req.valid("query");
      const after = decodeCursor(cursor);
      const rows = await db
        .select({ staff: event_staff, event: { id: events.id, title: events.title, starts_at: events.starts_at, ends_at: events.ends_at, timezone: events.timezone, venue_id: events.venue_id, venue_name: events.venue_name } })
        .from(event_staff)
        .innerJoin(events, eq(events.id, event_staff.event_id))
        .where(
          and(
            eq(event_staff.user_id, userId),
            eq(event_staff.is_active, true),
            inArray(events.status, ["APPROVED"]),
            gte(events.ends_at, now()),
            afterCursor(after, events.starts_at, events.id),
          ),
        )
        .orderBy(asc(events.starts_at), asc(events.id))
        .limit(limit + 1);
      const page = toPage(rows, limit, (row) => ({ k: row.event.starts_at, id: row.event.id }));
      return c.json(
        { data: page.data.map((row) => ({ event: row.event, role: row.staff.role, access_point_id: row.staff.access_point_id })), next_cursor: page.next_cursor },
        200,
      );
    },
  );

  return r;
}
