import { api, call, type Schemas } from "../../api/client.ts";
import { useI18n } from "../../i18n/index.tsx";
import { decimalToMinor, fromLocalInput, minorToDecimal, toLocalInput } from "../../i18n/format.ts";
import { CheckboxField, Form, nullable, numberOrText, optional, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Page, usePaged } from "../../ui/kit.tsx";
import { RowActions, useEditor, YesNo } from "../../ui/crud.tsx";

type Rule = Schemas["PricingRule"];
const RULE_TYPES: Rule["rule_type"][] = ["PROMO", "EARLY_BIRD", "GROUP", "MEMBER", "STUDENT", "SENIOR", "CHILD", "DYNAMIC", "PARTNER"];
const APPLIES: Rule["applies_to"][] = ["TICKETS", "SUBSCRIPTIONS", "BOTH"];
const DISCOUNTS: Rule["discount_type"][] = ["PERCENTAGE", "FIXED_AMOUNT"];

/** A percentage is typed as "15" (%), stored as basis points; a fixed amount in the currency. */
function RuleForm({ rule, onDone }: { rule: Rule | null; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({
    code: rule?.code ?? "",
    name: rule?.name ?? "",
    rule_type: rule?.rule_type ?? "PROMO",
    applies_to: rule?.applies_to ?? "TICKETS",
    discount_type: rule?.discount_type ?? "PERCENTAGE",
    discount_value: rule ? (rule.discount_type === "PERCENTAGE" ? String(rule.discount_value / 100) : minorToDecimal(rule.discount_value, rule.currency ?? "XOF")) : "",
    currency: rule?.currency ?? "",
    promo_code: rule?.promo_code ?? "",
    min_quantity: rule?.conditions.min_quantity?.toString() ?? "",
    valid_from: toLocalInput(rule?.valid_from),
    valid_until: toLocalInput(rule?.valid_until),
    usage_limit_total: rule?.usage_limit_total?.toString() ?? "",
    usage_limit_per_user: rule?.usage_limit_per_user?.toString() ?? "",
    auto_apply: rule?.auto_apply ?? false,
    is_active: rule?.is_active ?? true,
  });
  return (
    <Form
      form={form}
      submitLabel={rule ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const percentage = v.discount_type === "PERCENTAGE";
        const text = String(v.discount_value).replace(",", ".");
        const value = percentage ? (Number.isFinite(Number(text)) && text !== "" ? Math.round(Number(text) * 100) : (text as unknown as number)) : (decimalToMinor(text, String(v.currency) || "XOF") ?? (text as unknown as number));
        const minQuantity = numberOrText(v.min_quantity);
        const body = {
          name: String(v.name),
          rule_type: v.rule_type as Rule["rule_type"],
          applies_to: v.applies_to as Rule["applies_to"],
          discount_type: v.discount_type as Rule["discount_type"],
          discount_value: value,
          currency: (optional(v.currency) as Rule["currency"]) ?? null,
          promo_code: nullable(v.promo_code),
          conditions: minQuantity === undefined ? {} : { min_quantity: minQuantity },
          valid_from: optional(v.valid_from) ? fromLocalInput(String(v.valid_from)) : undefined,
          valid_until: optional(v.valid_until) ? fromLocalInput(String(v.valid_until)) : undefined,
          usage_limit_total: numberOrText(v.usage_limit_total) ?? null,
          usage_limit_per_user: numberOrText(v.usage_limit_per_user) ?? null,
          auto_apply: Boolean(v.auto_apply),
          is_active: Boolean(v.is_active),
        };
        if (rule) await call(() => api.PATCH("/v1/pricing-rules/{rule_id}", { params: { path: { rule_id: rule.id } }, body }));
        else await call(() => api.POST("/v1/pricing-rules", { body: { ...body, code: String(v.code).trim() } }));
        onDone();
      }}
    >
      <div className="form-grid">
        {!rule && <TextField form={form} name="code" label={t("common.code")} required />}
        <TextField form={form} name="name" label={t("common.name")} required />
        <SelectField form={form} name="rule_type" label={t("common.type")} options={RULE_TYPES.map((value) => ({ value, label: t(`ruleType.${value}`) }))} />
        <SelectField form={form} name="applies_to" label={t("rules.appliesTo")} options={APPLIES.map((value) => ({ value, label: t(`appliesTo.${value}`) }))} />
        <SelectField form={form} name="discount_type" label={t("rules.discountType")} options={DISCOUNTS.map((value) => ({ value, label: t(`discount.${value}`) }))} />
        <TextField form={form} name="discount_value" label={form.values.discount_type === "PERCENTAGE" ? t("rules.percent") : t("rules.amount")} inputMode="decimal" required />
        <SelectField form={form} name="currency" label={t("common.currency")} empty="—" options={["XOF", "TND", "EUR", "USD"].map((value) => ({ value, label: value }))} />
        <TextField form={form} name="promo_code" label={t("rules.promoCode")} hint={t("rules.promoHint")} />
        <TextField form={form} name="min_quantity" label={t("rules.minQuantity")} inputMode="numeric" />
        <TextField form={form} name="valid_from" label={t("common.from")} type="datetime-local" />
        <TextField form={form} name="valid_until" label={t("common.to")} type="datetime-local" />
        <TextField form={form} name="usage_limit_total" label={t("rules.limitTotal")} inputMode="numeric" />
        <TextField form={form} name="usage_limit_per_user" label={t("rules.limitPerUser")} inputMode="numeric" />
      </div>
      <CheckboxField form={form} name="auto_apply" label={t("rules.autoApply")} />
      <CheckboxField form={form} name="is_active" label={t("common.active")} />
    </Form>
  );
}

export default function PricingRules() {
  const { t, money, number } = useI18n();
  const list = usePaged((cursor) => call(() => api.GET("/v1/pricing-rules", { params: { query: { cursor, limit: 100 } } })), []);
  const editor = useEditor<Rule>({ newLabel: t("rules.new"), onSaved: () => list.reload() });
  return (
    <Page title={t("rules.title")} actions={editor.newButton}>
      {editor.announcement}
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("rules.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.code"), cell: (row) => row.code },
          { header: t("common.name"), cell: (row) => row.name },
          { header: t("common.type"), cell: (row) => t(`ruleType.${row.rule_type}`) },
          { header: t("rules.discount"), numeric: true, cell: (row) => (row.discount_type === "PERCENTAGE" ? `${number(row.discount_value / 100)} %` : money(row.discount_value, row.currency ?? "XOF")) },
          { header: t("rules.promoCode"), cell: (row) => row.promo_code ?? (row.auto_apply ? t("rules.automatic") : "—") },
          { header: t("rules.uses"), numeric: true, cell: (row) => `${row.usage_count}${row.usage_limit_total ? ` / ${row.usage_limit_total}` : ""}` },
          { header: t("common.active"), cell: (row) => <YesNo value={row.is_active} /> },
          {
            header: t("common.actions"),
            cell: (row) => (
              <RowActions onEdit={() => editor.edit(row)} />
            ),
          },
        ]}
      />
      {editor.dialog((row, saved) => (
        <RuleForm rule={row} onDone={saved} />
      ))}
    </Page>
  );
}
