/**
 * How D1 counts a pricing rule's uses against its limits, in SQL over a row
 * of `pricing_rules`: each event's uses, as its EventDO projects them
 * (`pricing_rule_event_uses`), plus the season passes priced with it and not
 * released (`pricing_rule_usages` rows with a subscription). An order adds its
 * own event's exact count in the EventDO; a pass is counted here.
 */
export const PASS_USES_SQL =
  "(SELECT count(*) FROM pricing_rule_usages pu WHERE pu.rule_id = pricing_rules.id AND pu.subscription_id IS NOT NULL AND pu.released_at IS NULL)";
export const EVENT_USES_SQL = "(SELECT coalesce(sum(eu.uses), 0) FROM pricing_rule_event_uses eu WHERE eu.rule_id = pricing_rules.id)";

/** `pricing_rules.usage_count`: every use, capped at the limit (D1 checks usage_count <= usage_limit_total). */
export const USAGE_COUNT_SQL = `min(coalesce(pricing_rules.usage_limit_total, 9223372036854775807), ${EVENT_USES_SQL} + ${PASS_USES_SQL})`;
