/**
 * The EventDO, one per event: the single writer of everything contended
 * within it (inventory, holds, per-buyer limits, rule uses, every access
 * right's status, zone occupancy, the scan log). This file holds only its
 * entry points: the RPC methods the Worker calls through client.ts, the gate
 * socket (`fetch`, `webSocketMessage`, `webSocketClose`) and the alarm. Each
 * decision is made in one module, over the object's SQLite, synchronously,
 * with no await between the check and the write:
 *
 * - order hold: `decideHold` (orders.ts), in a group commit (`placeOrder`);
 * - confirmation: `confirmOrder` (orders.ts), which issues the rights
 *   (`insertRight`, rights.ts); cancellation, release, hold expiry and completion
 *   after the event (`completeAttendedOrders`): orders.ts;
 * - season-pass zone upgrade: `holdUpgrade`, `applyUpgrade`, `releaseUpgrade`
 *   (upgrades.ts), its holds lapsing with the orders' (`expireHolds`); a pass
 *   holder's guest rights: `issueGuestRight` (guests.ts);
 * - transfer: `transferRight`, `exchangeRights`, `returnLoan`, `transferPassRights` (rights.ts);
 *   rights outside sales: `issueRights`, `setRightsStatus`, `restoreRights`
 *   (rights.ts); new event dates move the rights' windows (`redateRights`, from setup.ts);
 *   one right blocked or unblocked at the door: `setRightStatus` (rights.ts);
 * - scan: `decideScan` (gate.ts), in a group commit (`scan`), once tokens.ts
 *   has checked the QR token; socket.ts reads and answers the frames
 *   (gate-protocol.ts);
 * - waiting list: join, leave, offers of returned units and their lapse
 *   (waitlist.ts); `settleWaitlist` runs wherever units come back, an order
 *   placed with an offer takes its units (`offerForOrder`, in `decideHold`);
 *   `decideHold` also holds a cart's seats (seats.ts), checks presale codes
 *   (presale.ts) and keeps the attendees named with an order (attendees.ts).
 *
 * The holds' group commit feeds hold-load.ts (the hold path's load, in
 * memory), which the event's waiting room is told of while it is saturated
 * (`tellRoom`).
 *
 * Around them: setup.ts stores what the Worker pushes, gate-bundle.ts shows
 * occupancy and the offline bundle, outbox.ts schedules the projection to D1
 * that projection.ts drains, store.ts and sql.ts are the storage they share.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../src/env.ts";
import {
  fail,
  type Attendee,
  type Availability,
  type ConfigSetup,
  type ConfirmRequest,
  type EventSetup,
  type ExchangeRequest,
  type GatePolicy,
  type GateSetup,
  type IssueRightsRequest,
  type OrderRequest,
  type OrderView,
  type Person,
  type Result,
  type RightView,
  type SeatAvailability,
  type SeatSetup,
  type ScanContext,
  type TransferRequest,
  type WaitlistEntryView,
  type WaitlistJoinRequest,
} from "./contract.ts";
import { decideScanPass, loadGatePolicy, SCANS_PER_SAVEPOINT, type DecidedScans, type GatePolicyState, type QueuedScans } from "./gate.ts";
import { bundleFetchedAt, gateBundle, occupancy } from "./gate-bundle.ts";
import { CLOSE, type GateBundle, type Occupancy, type ScanBody, type ScanResult } from "./gate-protocol.ts";
import { GroupCommit } from "./group-commit.ts";
import { HoldMeter, type HoldLoad } from "./hold-load.ts";
import * as orders from "./orders.ts";
import { OUTBOX_DELAY_MS } from "./outbox.ts";
import { Drains, projectionPending } from "./projection.ts";
import * as rights from "./rights.ts";
import * as seats from "./seats.ts";
import * as setup from "./setup.ts";
import * as upgrades from "./upgrades.ts";
import * as guests from "./guests.ts";
import { SessionWatch } from "./sessions.ts";
import { acceptSocket, broadcast, closeSessions, OccupancyFeed, onClose, onFrame, toObservers } from "./socket.ts";
import { EVENT_DO_MIGRATIONS } from "./storage.ts";
import { migrate } from "../sql-migrations.ts";
import { EventStore } from "./store.ts";
import { TokenCache } from "./tokens.ts";
import * as waitlist from "./waitlist.ts";
import * as presale from "./presale.ts";
import * as attendees from "./attendees.ts";
import { roomStub } from "../waiting-room-client.ts";

export class EventDO extends DurableObject<Env> {
  private readonly s: EventStore;
  private readonly tokens: TokenCache;
  private readonly feed: OccupancyFeed;
  private readonly sessions: SessionWatch;
  /** Gates, overrides and blacklist as decisions read them; dropped by configureGate and setGatePolicy. */
  private gatePolicy: GatePolicyState | null = null;
  /** Gate scans and order holds each share a commit with whatever arrived with them. */
  private readonly scanPasses: GroupCommit<QueuedScans, DecidedScans>;
  private readonly holdPasses: GroupCommit<OrderRequest, orders.HoldResult>;
  private readonly decideFrame = (bodies: ScanBody[], who: ScanContext) => this.scan(bodies, who);
  /** The projection to D1 (projection.ts), one drain at a time. */
  private readonly drains: Drains;
  /** The hold path's load (hold-load.ts), and whether the event's waiting room was last told it is saturated. */
  private readonly holdMeter: HoldMeter;
  private roomToldSaturated = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.s = new EventStore(ctx.storage);
    this.tokens = new TokenCache(this.s);
    this.feed = new OccupancyFeed(ctx, this.s);
    this.sessions = new SessionWatch(ctx, this.s, env);
    this.drains = new Drains(ctx.storage.sql, () => this.env.DB, () => this.s.event()?.id ?? "");
    this.scanPasses = new GroupCommit(ctx.storage, (items) => decideScanPass(this.s.sql, this.s.event()!, this.policy(), items), (decided) => {
      this.s.outbox.scansLogged(decided.reduce((n, d) => n + (d.answer.ok ? d.answer.results.length : 0), 0), Date.now());
      if (decided.some((d) => d.moved)) this.feed.changed();
      toObservers(ctx, decided.flatMap((d) => d.activity));
    }, { perSavepoint: SCANS_PER_SAVEPOINT });
    this.holdMeter = new HoldMeter(Number(env.WAITING_ROOM_SATURATION_WAITING) || 2);
    this.holdPasses = new GroupCommit(
      ctx.storage,
      (requests) => requests.map((req) => orders.decideHold(this.s, req)),
      (results) => {
        // The alarm projects the new holds, and wakes for the first to lapse.
        const expiries = results.flatMap((r) => (r.ok && !r.replayed ? [Date.parse(r.order.expires_at!)] : []));
        if (expiries.length) this.s.outbox.wakeBy(Math.min(...expiries, Date.now() + OUTBOX_DELAY_MS));
      },
      {
        measured: (count, waitMs, at) => {
          if (this.holdMeter.record(count, waitMs, at)) this.tellRoom(this.holdMeter.load(at));
        },
      },
    );
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, EVENT_DO_MIGRATIONS);
      await this.s.outbox.load();
    });
  }

  // ── setup, pushed by the Worker (src/catalog/sync.ts) ─────────────────────

  configure(event: EventSetup, configs: ConfigSetup[]): Result<{ configs: number }> {
    const result = setup.configure(this.s, event, configs);
    // The configurations' zones are part of what decisions read.
    if (result.ok) this.gatePolicy = null;
    return result;
  }

  configureGate(gate: GateSetup): Result<{ zones: number; access_points: number }> {
    const result = setup.configureGate(this.s, gate);
    if (result.ok) {
      this.tokens.reset();
      this.gatePolicy = null;
    }
    return result;
  }

  /** Replaces the event's zone overrides and blacklist, tells every connected gate at once, and closes the gates of a banned device. */
  setGatePolicy(policy: GatePolicy): { overrides: number; blacklist: number } {
    setup.replaceGatePolicy(this.s, policy);
    this.gatePolicy = null;
    broadcast(this.ctx, { type: "policy", overrides: policy.overrides.length, blacklist: policy.blacklist.length, at: new Date().toISOString() });
    closeSessions(this.ctx, (who) => policy.blacklist.some((b) => b.type === "DEVICE" && b.identifier === who.device_id), CLOSE.deviceBlacklisted);
    return { overrides: policy.overrides.length, blacklist: policy.blacklist.length };
  }

  rememberPeople(people: Person[]): void {
    setup.rememberPeople(this.s, people);
  }

  /** Tokens the app signed for this event's rights as it hands them to holders; returns how many it holds. */
  registerTokens(tokens: string[]): Promise<number> {
    return this.tokens.register(tokens);
  }

  // ── orders ────────────────────────────────────────────────────────────────

  /** What is on sale; hidden configurations only when `unlocked` (the ones a valid presale code names) lists them. */
  availability(now: number = Date.now(), unlocked: string[] = []): Availability {
    return presale.visibleAvailability(this.s, orders.availability(this.s, now), unlocked);
  }

  /** Tickets each presale code holds or sold in this event. */
  presaleUses(codeIds: string[]): Record<string, number> {
    return presale.presaleUses(this.s, codeIds);
  }

  /** The hold path's load over the last seconds (hold-load.ts). */
  holdLoad(now: number = Date.now()): HoldLoad {
    return this.holdMeter.load(now);
  }

  /**
   * At most once a second (the first pass of each second): the event's waiting
   * room learns the load while the object is saturated, and once when it no
   * longer is. Not awaited: a hold never waits for the room, and a report lost
   * is replaced a second later (the room forgets one after LOAD_FRESH_MS).
   */
  private tellRoom(load: HoldLoad): void {
    if (!load.saturated && !this.roomToldSaturated) return;
    const eventId = this.s.event()?.id;
    if (!eventId) return;
    this.roomToldSaturated = load.saturated;
    roomStub(this.env, eventId)
      .reportLoad(load)
      .catch((error: unknown) => console.error("EventDO could not report its load to the waiting room", error));
  }

  /** Places a hold, decided in the next group commit with the holds that arrive with it. */
  placeOrder(req: OrderRequest): Promise<orders.HoldResult> {
    return this.holdPasses.submit(req);
  }

  getOrder(orderId: string, now: number = Date.now()): OrderView | null {
    return orders.getOrder(this.s, orderId, now);
  }

  confirmOrder(req: ConfirmRequest): Result<{ order: OrderView; rights: RightView[]; already_confirmed: boolean }> {
    return orders.confirmOrder(this.s, req);
  }

  cancelOrder(orderId: string, reason: string, by: string | null, now: number = Date.now()): Result<{ order: OrderView }> {
    return orders.cancelOrder(this.s, orderId, reason, by, now);
  }

  releaseHold(orderId: string, reason: string, now: number = Date.now()): Result<{ order: OrderView; released: boolean }> {
    return orders.releaseHold(this.s, orderId, reason, now);
  }

  cancelForRefund(orderId: string, reason: string, by: string | null, eventCancelled: boolean, now: number = Date.now()): Result<{ order: OrderView }> {
    return orders.cancelForRefund(this.s, orderId, reason, by, eventCancelled, now);
  }

  completeAttendedOrders(now: number = Date.now()): Result<{ completed: number }> {
    return orders.completeAttendedOrders(this.s, now);
  }

  /** The event was cancelled: every order and right of it cancelled (orders.ts). */
  cancelEventSales(reason: string, now: number = Date.now()): { orders: number; rights: number; holders: string[] } {
    return orders.cancelEventSales(this.s, reason, now);
  }

  // ── named attendees (attendees.ts) ────────────────────────────────────────

  attendeeOf(rightId: string, userId: string, now: number = Date.now()): Result<{ config_id: string | null; attendee: Attendee | null; edit_until: string }> {
    return attendees.attendeeTarget(this.s, rightId, userId, now);
  }

  setAttendee(rightId: string, userId: string, attendee: Attendee | null, now: number = Date.now()): Result<{ attendee: Attendee | null; edit_until: string }> {
    return attendees.setAttendee(this.s, rightId, userId, attendee, now);
  }

  // ── waiting list (waitlist.ts) ────────────────────────────────────────────

  joinWaitlist(req: WaitlistJoinRequest): Result<{ entry: WaitlistEntryView; already: boolean }> {
    return waitlist.joinWaitlist(this.s, req);
  }

  leaveWaitlist(configId: string, userId: string, now: number = Date.now()): Result<{ entry: WaitlistEntryView }> {
    orders.expireHolds(this.s, now);
    return waitlist.leaveWaitlist(this.s, configId, userId, now);
  }

  myWaitlistEntry(configId: string, userId: string, now: number = Date.now()): WaitlistEntryView | null {
    orders.expireHolds(this.s, now);
    return waitlist.myWaitlistEntry(this.s, configId, userId, now);
  }

  listWaitlist(configId: string, now: number = Date.now()): WaitlistEntryView[] | null {
    orders.expireHolds(this.s, now);
    return waitlist.listWaitlist(this.s, configId, now);
  }

  // ── seats ─────────────────────────────────────────────────────────────────

  /** The venue's seats and the seats of the passes covering the event, pushed by the Worker's sync (src/catalog/sync.ts). */
  loadSeats(rows: SeatSetup[], passSeatIds: string[] | null): { seats: number; version: number } {
    return seats.loadSeats(this.s, rows, passSeatIds);
  }

  seatAvailability(since: number | null): Result<{ availability: SeatAvailability }> {
    orders.expireHolds(this.s, Date.now());
    return seats.seatAvailability(this.s, since);
  }

  setSeatStatus(seatIds: string[], status: "BLOCKED" | "KILLED" | "AVAILABLE"): Result<{ version: number; changed: number }> {
    return seats.setSeatStatus(this.s, seatIds, status);
  }

  // ── rights and transfers ──────────────────────────────────────────────────

  listRights(filter: { order_id?: string; user_id?: string; source_id?: string }): RightView[] {
    return rights.listRights(this.s, filter);
  }

  issueRights(req: IssueRightsRequest): Result<{ rights: RightView[]; already_issued: boolean }> {
    // Units a grant takes from a configuration are the ones the waiting list was not offered.
    orders.expireHolds(this.s, req.now ?? Date.now());
    return rights.issueRights(this.s, req);
  }

  restoreRights(sourceType: IssueRightsRequest["source_type"], sourceId: string, by: string | null, reason: string | null, now: number = Date.now()): Result<{ rights: RightView[]; restored: number }> {
    orders.expireHolds(this.s, now);
    return rights.restoreRights(this.s, sourceType, sourceId, by, reason, now);
  }

  setRightsStatus(
    sourceType: IssueRightsRequest["source_type"],
    sourceId: string,
    status: "BLOCKED" | "ENABLED" | "CANCELLED",
    by: string | null,
    reason: string | null,
    now: number = Date.now(),
  ): Result<{ rights: RightView[]; changed: number }> {
    const result = rights.setRightsStatus(this.s, sourceType, sourceId, status, by, reason, now);
    // A cancelled grant's units go to the waiting list first.
    if (result.ok && status === "CANCELLED") waitlist.settleWaitlist(this.s, now);
    return result;
  }

  setRightStatus(rightId: string, action: "BLOCK" | "UNBLOCK", by: string | null, reason: string, now: number = Date.now()): Result<{ right: RightView; changed: boolean }> {
    return rights.setRightStatus(this.s, rightId, action, by, reason, now);
  }

  transferRight(req: TransferRequest): Result<{ from: RightView; to: RightView; already_done: boolean }> {
    return rights.transferRight(this.s, req);
  }

  transferPassRights(req: { transfer_id: string; from_source: string; to_source: string; to_user_id: string; by: string; now?: number }): Result<{ moved: RightView[] }> {
    return rights.transferPassRights(this.s, req);
  }

  exchangeRights(req: ExchangeRequest): Result<{ rights: RightView[]; already_done: boolean }> {
    return rights.exchangeRights(this.s, req);
  }

  returnLoan(transferId: string, by: string, now: number = Date.now()): Result<{ right: RightView }> {
    return rights.returnLoan(this.s, transferId, by, now);
  }

  /** Rights past their validity that can no longer admit anyone become EXPIRED (the cron, after the event). */
  expireRights(now: number = Date.now()): { expired: number } {
    return rights.expireRights(this.s, now);
  }

  // ── season-pass zone upgrades (upgrades.ts) ───────────────────────────────

  holdUpgrade(req: upgrades.UpgradeHoldRequest): Result<{ hold: upgrades.UpgradeHoldView }> {
    return upgrades.holdUpgrade(this.s, req);
  }

  applyUpgrade(upgradeId: string, by: string | null, now: number = Date.now()): Result<{ right: RightView; already_applied: boolean }> {
    return upgrades.applyUpgrade(this.s, upgradeId, by, now);
  }

  releaseUpgrade(upgradeId: string, now: number = Date.now()): { released: boolean } {
    return upgrades.releaseUpgrade(this.s, upgradeId, now);
  }

  /** A pass holder's guest at this match (guests.ts). */
  issueGuestRight(req: guests.GuestRightRequest): Result<{ right: RightView; guests_used: number; already_issued: boolean }> {
    return guests.issueGuestRight(this.s, req);
  }

  // ── gate ──────────────────────────────────────────────────────────────────

  /**
   * Decides scans (HTTP path, and the socket's frames): tokens are checked
   * first, then the scans join the next group commit (`decideScanPass`).
   */
  async scan(bodies: ScanBody[], who: ScanContext): Promise<Result<{ results: ScanResult[] }>> {
    const receivedAt = Date.now();
    if (!this.s.event()) return fail(404, "not_configured", "This event has no access control set up.");
    // A scan names a gate of this event's venue; anything else is a bad request, not a scan to record.
    if (!this.policy().points.has(who.access_point_id)) return fail(422, "unknown_access_point", "This access point is not a gate of the event's venue.");
    // A lone scan's token is compared with the one issued for its right in its decision's own read; a batch's are checked first, so that it is decided whole.
    const lone = bodies.length === 1;
    const checks = await Promise.all(bodies.map((body) => (body.scan_method === "MANUAL_ENTRY" ? null : lone ? this.tokens.unconfirmed(body.qr) : this.tokens.check(body.qr))));
    // Offline scans cannot be older than the first bundle their session fetched (gate.ts).
    const offlineFrom = bodies.some((body) => body.offline_status !== undefined) ? bundleFetchedAt(this.s, who.session_id) : null;
    const queued: QueuedScans = { bodies, who, checks, receivedAt, offlineFrom };
    const decided = await this.scanPasses.submit(queued);
    if (!decided.unconfirmed) return decided.answer;
    // Not the token issued for its right: decided once its signature is verified.
    return (await this.scanPasses.submit({ ...queued, checks: [await this.tokens.check(bodies[0]!.qr)] })).answer;
  }

  /** The offline bundle; `sessionId` is the sign-in session fetching it (its first fetch bounds its offline scans). */
  gateBundle(since: string | null, sessionId: string | null): Result<{ bundle: GateBundle }> {
    // An event never configured (not ticketed, never synced) has nothing a gate could decide with.
    if (!this.s.event()) return fail(404, "not_configured", "This event has no access control set up.");
    return { ok: true, bundle: gateBundle(this.s, since, sessionId) };
  }

  occupancy(): Occupancy {
    return occupancy(this.s);
  }

  /** Closes the sockets of someone removed from the event's staff (the Worker checked them at the upgrade only); how many. */
  closeSocketsOf(userId: string): number {
    return closeSessions(this.ctx, (who) => who.controller_id === userId, CLOSE.noLongerStaff);
  }

  /** A sign-in session ended (logout, revocation, deactivation): its sockets close at once (4003), refused from now on; how many. */
  endSession(sessionId: string): number {
    return this.sessions.end([sessionId]);
  }

  /** The gate socket's upgrade, forwarded by the Worker once it has authenticated the caller (headers it sets). */
  override async fetch(request: Request): Promise<Response> {
    return acceptSocket(this.ctx, this.s, request, this.sessions);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    return onFrame(ws, message, this.decideFrame, this.sessions);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    onClose(ws, code, reason);
  }

  private policy(): GatePolicyState {
    return (this.gatePolicy ??= loadGatePolicy(this.s.sql));
  }

  // ── projection to D1, and hold expiry ─────────────────────────────────────

  /** Projects every pending change to D1 now (before D1 rows that reference them are written). */
  async flushProjection(): Promise<void> {
    orders.expireHolds(this.s, Date.now());
    while ((await this.drains.run()) > 0) {
      // until the outbox is empty
    }
  }

  override async alarm(): Promise<void> {
    this.s.outbox.fired();
    const now = Date.now();
    orders.expireHolds(this.s, now);
    let drained = true;
    try {
      await this.drains.run();
    } catch (error) {
      console.error("EventDO projection to D1 failed; retrying", error);
      this.s.outbox.drainFailed(now, 5_000);
      drained = false;
    }
    await waitlist.serveOffers(this.s, this.env, now);
    const nextHold = orders.nextHoldExpiry(this.s);
    if (drained) {
      // What came during the drain, or lay beyond its DRAIN_SCANS: at once if a drain's worth.
      const left = projectionPending(this.s.sql.storage);
      this.s.outbox.drained(left.scans, left.outbox, Date.now());
    }
    if (nextHold) this.s.outbox.wakeBy(Date.parse(nextHold));
  }
}
