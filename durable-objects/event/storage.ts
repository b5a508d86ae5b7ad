/**
 * The EventDO's own SQLite schema, versioned: each entry runs once, in order,
 * inside blockConcurrencyWhile at startup. Never edit an entry that has
 * shipped; append a new one.
 *
 * CHECK constraints restate the invariants, so a bug in the decision code
 * fails loudly instead of overselling.
 */
export const EVENT_DO_MIGRATIONS: string[] = [
  `
  CREATE TABLE event (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    doors_open_at TEXT,
    event_group_id TEXT,
    tags TEXT NOT NULL DEFAULT '[]', -- labels pricing rules may exclude (match type, "derby")
    hold_ttl_seconds INTEGER NOT NULL DEFAULT 900
  );
  CREATE TABLE configs (
    id TEXT PRIMARY KEY,
    ticket_type_id TEXT NOT NULL,
    ticket_type_code TEXT NOT NULL,
    zone_category TEXT NOT NULL,
    zone_id TEXT,
    price INTEGER NOT NULL,
    currency TEXT NOT NULL,
    quantity_total INTEGER NOT NULL,
    quantity_blocked INTEGER NOT NULL DEFAULT 0,
    quantity_held INTEGER NOT NULL DEFAULT 0,
    quantity_sold INTEGER NOT NULL DEFAULT 0,
    sales_start TEXT,
    sales_end TEXT,
    early_bird_end TEXT,
    min_purchase INTEGER NOT NULL DEFAULT 1,
    max_purchase INTEGER,
    max_per_transaction INTEGER NOT NULL DEFAULT 4,
    requires_membership INTEGER NOT NULL DEFAULT 0,
    membership_group_id TEXT,
    member_only_until TEXT,
    dynamic_pricing INTEGER NOT NULL DEFAULT 0,
    price_tiers TEXT,
    cancellation_allowed INTEGER NOT NULL DEFAULT 0,
    transfer_allowed INTEGER NOT NULL DEFAULT 1,
    is_active INTEGER NOT NULL DEFAULT 1,
    CHECK (quantity_held >= 0 AND quantity_sold >= 0 AND quantity_blocked >= 0),
    CHECK (quantity_held + quantity_sold <= quantity_total - quantity_blocked)
  );
  CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    ticket_number TEXT NOT NULL UNIQUE,
    config_id TEXT NOT NULL REFERENCES configs(id),
    user_id TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price INTEGER NOT NULL,
    gross INTEGER NOT NULL,
    discount INTEGER NOT NULL,
    total INTEGER NOT NULL,
    currency TEXT NOT NULL,
    pricing_rule_id TEXT,
    applied_rules TEXT NOT NULL DEFAULT '[]',
    booking_status TEXT NOT NULL,
    payment_status TEXT NOT NULL DEFAULT 'PENDING',
    payment_id TEXT,
    expires_at TEXT,
    channel TEXT NOT NULL,
    is_guest INTEGER NOT NULL DEFAULT 0,
    guest_email TEXT,
    guest_phone TEXT,
    purchase_ip TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    confirmed_at TEXT,
    cancelled_at TEXT,
    cancellation_reason TEXT,
    CHECK (total = gross - discount AND discount >= 0 AND total >= 0)
  );
  CREATE INDEX orders_hold_expiry ON orders (booking_status, expires_at);
  CREATE INDEX orders_user ON orders (user_id);
  -- Units a buyer holds or bought per configuration, for the per-buyer cap.
  CREATE TABLE buyer_units (
    user_id TEXT NOT NULL,
    config_id TEXT NOT NULL,
    units INTEGER NOT NULL CHECK (units >= 0),
    PRIMARY KEY (user_id, config_id)
  );
  -- Uses of pricing rules in this event's orders (held or confirmed).
  CREATE TABLE rule_uses (
    rule_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    uses INTEGER NOT NULL CHECK (uses >= 0),
    PRIMARY KEY (rule_id, user_id)
  );
  CREATE TABLE rights (
    id TEXT PRIMARY KEY,
    qr_code TEXT NOT NULL UNIQUE,
    order_id TEXT,
    config_id TEXT,
    user_id TEXT NOT NULL,
    zone_id TEXT,
    seat_id TEXT,
    status TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    original_user_id TEXT NOT NULL,
    transfer_count INTEGER NOT NULL DEFAULT 0,
    last_transfer_date TEXT,
    transfer_id TEXT, -- the transfer that created this right (source TRANSFER)
    transfer_type TEXT,
    no_retransfer INTEGER NOT NULL DEFAULT 0,
    face_value INTEGER, -- what the first holder paid per admission, the resale cap's base
    currency TEXT,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    used_at TEXT,
    used_at_access_point TEXT,
    is_inside INTEGER NOT NULL DEFAULT 0,
    entry_count INTEGER NOT NULL DEFAULT 0,
    last_exit_at TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX rights_order ON rights (order_id);
  CREATE UNIQUE INDEX rights_transfer ON rights (transfer_id) WHERE transfer_id IS NOT NULL;
  CREATE INDEX rights_source ON rights (source_type, source_id);
  CREATE INDEX rights_user ON rights (user_id);
  -- Changes waiting to be projected to D1 by the alarm (idempotent upserts).
  CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    payload TEXT, -- for append-only records (transaction log); others are read fresh at drain time
    created_at TEXT NOT NULL
  );
  `,
  // Gate: what a scan decision reads, and every scan attempt (the nonce makes a replay return the first result).
  `
  ALTER TABLE event ADD COLUMN venue_id TEXT;
  ALTER TABLE event ADD COLUMN organizer_id TEXT;
  ALTER TABLE configs ADD COLUMN min_age INTEGER;
  ALTER TABLE configs ADD COLUMN requires_id INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE configs ADD COLUMN re_entry_allowed INTEGER NOT NULL DEFAULT 1;
  CREATE TABLE people (
    user_id TEXT PRIMARY KEY,
    birth_date TEXT,
    groups TEXT NOT NULL DEFAULT '[]'
  );
  CREATE TABLE zones (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    occupancy INTEGER NOT NULL DEFAULT 0 CHECK (occupancy >= 0)
  );
  CREATE TABLE access_points (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    direction TEXT NOT NULL,
    zone_ids TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1
  );
  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    jwk TEXT NOT NULL
  );
  CREATE TABLE overrides (
    id TEXT PRIMARY KEY,
    target_type TEXT NOT NULL, -- ACCESS_RIGHT, TICKET, SUBSCRIPTION, USER_GROUP
    target_id TEXT NOT NULL,
    original_zone_id TEXT NOT NULL,
    override_zone_id TEXT NOT NULL,
    valid_from TEXT,
    valid_until TEXT,
    capacity_impact INTEGER
  );
  CREATE INDEX overrides_target ON overrides (target_type, target_id);
  CREATE TABLE blacklist (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    identifier TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT
  );
  CREATE INDEX blacklist_identifier ON blacklist (type, identifier);
  CREATE TABLE scans (
    nonce TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    access_right_id TEXT,
    user_id TEXT,
    access_point_id TEXT NOT NULL,
    zone_id TEXT,
    controller_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    scan_method TEXT NOT NULL,
    qr_code_scanned TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    denial_reason TEXT,
    response_time_ms INTEGER,
    queue_size INTEGER,
    was_offline INTEGER NOT NULL DEFAULT 0,
    is_conflict INTEGER NOT NULL DEFAULT 0,
    scanned_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    result TEXT NOT NULL
  );
  `,
  // Changes D1 refused even one at a time (a broken reference): kept for an operator instead of blocking the outbox.
  `
  CREATE TABLE projection_errors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    error TEXT NOT NULL,
    at TEXT NOT NULL
  );
  `,
  // scans.result keeps only what a replayed answer needs beyond the row's other columns and its right (gate.ts, `Said`).
  `
  UPDATE scans SET result = json_patch('{}', json_object(
    'warning', json_extract(result, '$.warning'),
    'other_event_id', json_extract(result, '$.other_event_id'),
    'zone_name', json_extract(result, '$.access_right.zone_name'),
    'entry_count', json_extract(result, '$.access_right.entry_count')
  ));
  `,
  // QR tokens the app signed and handed to holders (one per right and key): a gate recognises them by comparison instead of verifying a signature.
  `
  CREATE TABLE issued_tokens (
    access_right_id TEXT NOT NULL,
    kid TEXT NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (access_right_id, kid)
  ) WITHOUT ROWID;
  `,
  // The scan log is append-only, so its projection is a cursor over \`seq\` rather than an outbox row per scan, and the
  // rights a scan moved are found by \`moved\`: a scan writes two B-trees fewer. Its random \`id\` needs no unique index.
  `
  CREATE TABLE scans_by_seq (
    seq INTEGER PRIMARY KEY,
    nonce TEXT NOT NULL UNIQUE,
    id TEXT NOT NULL,
    access_right_id TEXT,
    user_id TEXT,
    access_point_id TEXT NOT NULL,
    zone_id TEXT,
    controller_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    scan_method TEXT NOT NULL,
    qr_code_scanned TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    denial_reason TEXT,
    response_time_ms INTEGER,
    queue_size INTEGER,
    was_offline INTEGER NOT NULL DEFAULT 0,
    is_conflict INTEGER NOT NULL DEFAULT 0,
    scanned_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    result TEXT NOT NULL,
    moved INTEGER NOT NULL DEFAULT 0 -- 1: the scan changed its right (an entry or an exit)
  );
  INSERT INTO scans_by_seq (seq, nonce, id, access_right_id, user_id, access_point_id, zone_id, controller_id, device_id, scan_method, qr_code_scanned, action, status, denial_reason, response_time_ms, queue_size, was_offline, is_conflict, scanned_at, received_at, result)
    SELECT rowid, nonce, id, access_right_id, user_id, access_point_id, zone_id, controller_id, device_id, scan_method, qr_code_scanned, action, status, denial_reason, response_time_ms, queue_size, was_offline, is_conflict, scanned_at, received_at, result FROM scans ORDER BY rowid;
  DROP TABLE scans;
  ALTER TABLE scans_by_seq RENAME TO scans;
  CREATE TABLE projection_cursors (
    name TEXT PRIMARY KEY,
    upto INTEGER NOT NULL
  );
  -- Scans the outbox still named are projected again from the first of them (D1 ignores one it has).
  INSERT INTO projection_cursors (name, upto) VALUES ('scans', coalesce(
    (SELECT min(s.seq) - 1 FROM scans s JOIN outbox o ON o.kind = 'scan' AND o.entity_id = s.nonce),
    (SELECT max(seq) FROM scans),
    0));
  DELETE FROM outbox WHERE kind = 'scan';
  `,
  // An order placed with an Idempotency-Key: its id is derived from the key, and this tells a retry of the same request from another.
  `
  ALTER TABLE orders ADD COLUMN request_hash TEXT;
  `,
  // Live guest holds, counted per IP and per email at every guest order (GUEST_HOLD_LIMITS in orders.ts).
  `
  CREATE INDEX orders_guest_holds_ip ON orders (purchase_ip) WHERE is_guest = 1 AND booking_status = 'PENDING';
  CREATE INDEX orders_guest_holds_email ON orders (guest_email) WHERE is_guest = 1 AND booking_status = 'PENDING';
  `,
  // What a scan's log row says beyond its columns (a manual admission's reason), as D1's access_control_log.metadata.
  `
  ALTER TABLE scans ADD COLUMN metadata TEXT;
  `,
  // Every zone a configuration's rights open (its ticket type's zones, with their access type), and the zone a right's holder is in.
  `
  ALTER TABLE configs ADD COLUMN zone_access TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE rights ADD COLUMN inside_zone_id TEXT;
  `,
  // The sign-in sessions the Worker said have ended: their gate and observer sockets are refused (sessions.ts).
  `
  CREATE TABLE ended_sessions (
    session_id TEXT PRIMARY KEY,
    ended_at TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // The bundle lists keyed digests of the printed codes, not the codes (the key is the event's, made on first need; older rights
  // get theirs when a bundle is next made); and when each sign-in session first fetched the bundle, which bounds its offline scans.
  `
  ALTER TABLE event ADD COLUMN manual_code_key TEXT;
  ALTER TABLE rights ADD COLUMN code_digest TEXT;
  CREATE TABLE bundle_sessions (
    session_id TEXT PRIMARY KEY,
    first_at TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // Catalogue rules the hold decision enforces: the event's access type (INVITATION is never sold), the ticket type's booking
  // window (sales open advance_booking_days before the start) and its share of its zone (capacity_percentage_bp, in units).
  `
  ALTER TABLE event ADD COLUMN access_type TEXT NOT NULL DEFAULT 'FREE';
  ALTER TABLE configs ADD COLUMN advance_booking_days INTEGER;
  ALTER TABLE configs ADD COLUMN zone_share_units INTEGER;
  `,
  // Carts: an order's lines (configuration, units, their price, the seats they hold). The order row keeps its first line's
  // configuration and the totals; orders placed before carts become carts of one line.
  `
  CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders(id),
    line_no INTEGER NOT NULL,
    config_id TEXT NOT NULL REFERENCES configs(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price INTEGER NOT NULL,
    gross INTEGER NOT NULL,
    discount INTEGER NOT NULL,
    total INTEGER NOT NULL,
    seat_ids TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (order_id, line_no),
    CHECK (total = gross - discount AND discount >= 0 AND total >= 0)
  ) WITHOUT ROWID;
  INSERT INTO order_lines (order_id, line_no, config_id, quantity, unit_price, gross, discount, total)
    SELECT id, 0, config_id, quantity, unit_price, gross, discount, total FROM orders;
  `,
  // Seats: each seat of the venue's seated zones with its status for this event, the order holding or owning it, and the
  // version of its last change (seats.ts); the event's current seat version. Available seats are read by zone in row order.
  `
  CREATE TABLE seats (
    id TEXT PRIMARY KEY,
    zone_id TEXT NOT NULL,
    row_key TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'AVAILABLE' CHECK (status IN ('AVAILABLE', 'HELD', 'SOLD', 'BLOCKED', 'KILLED', 'PASS')),
    order_id TEXT,
    version INTEGER NOT NULL,
    CHECK ((status IN ('HELD', 'SOLD')) = (order_id IS NOT NULL))
  ) WITHOUT ROWID;
  CREATE INDEX seats_free ON seats (zone_id, status, row_key, position);
  CREATE INDEX seats_version ON seats (version);
  CREATE INDEX seats_status ON seats (status);
  CREATE INDEX seats_order ON seats (order_id) WHERE order_id IS NOT NULL;
  ALTER TABLE event ADD COLUMN seat_version INTEGER NOT NULL DEFAULT 0;
  `,
  // The waiting list (waitlist.ts): one entry per person and configuration while it waits or holds an offer, in \`seq\` order;
  // an offer's units are counted in configs.quantity_held until it is taken, left or lapses. \`waitlist_notices\` are the
  // offers the alarm has still to hand to the notifications pipeline, written in the same step as the offer.
  `
  CREATE TABLE waitlist (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    config_id TEXT NOT NULL REFERENCES configs(id),
    user_id TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL CHECK (status IN ('WAITING', 'OFFERED', 'ORDERED', 'EXPIRED', 'LEFT', 'CLOSED')),
    offer_quantity INTEGER CHECK (offer_quantity IS NULL OR (offer_quantity > 0 AND offer_quantity <= quantity)),
    offered_at TEXT,
    offer_expires_at TEXT,
    order_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (status != 'OFFERED' OR (offer_quantity IS NOT NULL AND offer_expires_at IS NOT NULL))
  );
  CREATE UNIQUE INDEX waitlist_one_live_entry ON waitlist (config_id, user_id) WHERE status IN ('WAITING', 'OFFERED');
  CREATE INDEX waitlist_queue ON waitlist (config_id, seq) WHERE status = 'WAITING';
  CREATE INDEX waitlist_offers ON waitlist (offer_expires_at) WHERE status = 'OFFERED';
  CREATE TABLE waitlist_notices (
    entry_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  ALTER TABLE configs ADD COLUMN waitlist_offer_seconds INTEGER;
  `,
  // Presale codes (presale.ts): hidden configurations sold only with a code, and the code an order was placed with,
  // over which the code's quota is counted.
  `
  ALTER TABLE configs ADD COLUMN presale_only INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE orders ADD COLUMN presale_code_id TEXT;
  CREATE INDEX orders_presale_code ON orders (presale_code_id, booking_status) WHERE presale_code_id IS NOT NULL;
  `,
  // Named attendees (attendees.ts): who a right admits (JSON: name, email, phone, answers), until when its holder may name
  // them, per configuration (null: until the event starts), and those named with an order, given to its rights, in order,
  // when it is confirmed.
  `
  ALTER TABLE rights ADD COLUMN attendee TEXT;
  ALTER TABLE configs ADD COLUMN attendee_edit_until TEXT;
  ALTER TABLE orders ADD COLUMN attendees TEXT;
  `,
  // A season pass's zone upgrade of this match: one unit held in a configuration of the target zone until paid (then sold, the
  // pass's right replaced by \`new_right_id\`), or released when it lapses, like an order's hold (upgrades.ts).
  `
  CREATE TABLE upgrade_holds (
    upgrade_id TEXT PRIMARY KEY,
    right_id TEXT NOT NULL,
    config_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL, -- HELD, APPLIED, EXPIRED, RELEASED
    expires_at TEXT NOT NULL,
    new_right_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX upgrade_holds_live ON upgrade_holds (expires_at) WHERE status = 'HELD';
  CREATE INDEX upgrade_holds_right ON upgrade_holds (right_id) WHERE status = 'HELD';
  `,
];
