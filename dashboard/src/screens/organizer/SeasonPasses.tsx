import { api, call, type Schemas } from "../../api/client.ts";
import { useI18n } from "../../i18n/index.tsx";
import { decimalToMinor, minorToDecimal } from "../../i18n/format.ts";
import { PLAN_CURRENCIES } from "../../ui/enums.ts";
import { Form, nullable, numberOrText, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Page, usePaged } from "../../ui/kit.tsx";
import { RowActions, useEditor } from "../../ui/crud.tsx";

type Plan = Schemas["SeasonPlan"];
const TYPES: Plan["type"][] = ["FULL_SEASON", "HALF_SEASON", "PACKAGE", "FLEX", "MINI", "VIP_ANNUAL"];

function PlanForm({ plan, groups, onDone }: { plan: Plan | null; groups: Schemas["EventGroup"][]; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({
    code: plan?.code ?? "",
    name: plan?.name ?? "",
    description: plan?.description ?? "",
    type: plan?.type ?? "FULL_SEASON",
    price: plan ? minorToDecimal(plan.price, plan.currency) : "",
    currency: plan?.currency ?? "TND",
    max_subscribers: plan?.max_subscribers?.toString() ?? "",
    default_zone_category: plan?.default_zone_category ?? "PREMIUM",
    event_group_id: "",
  });
  return (
    <Form
      form={form}
      submitLabel={plan ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const currency = v.currency as Plan["currency"];
        const body = {
          name: String(v.name),
          description: nullable(v.description),
          type: v.type as Plan["type"],
          price: decimalToMinor(String(v.price), currency) ?? (v.price as unknown as number),
          currency,
          max_subscribers: numberOrText(v.max_subscribers) ?? null,
          default_zone_category: v.default_zone_category as NonNullable<Plan["default_zone_category"]>,
        };
        const saved = plan
          ? await call(() => api.PATCH("/v1/subscription-plans/{plan_id}", { params: { path: { plan_id: plan.id } }, body }))
          : await call(() => api.POST("/v1/subscription-plans", { body: { ...body, code: String(v.code).trim() } }));
        if (v.event_group_id) {
          await call(() =>
            api.PUT("/v1/subscription-plans/{plan_id}/event-groups", {
              params: { path: { plan_id: saved.id } },
              body: { event_groups: [{ event_group_id: String(v.event_group_id), access_level: "FULL" }] },
            }),
          );
        }
        onDone();
      }}
    >
      <div className="form-grid">
        {!plan && <TextField form={form} name="code" label={t("common.code")} required />}
        <TextField form={form} name="name" label={t("common.name")} required />
        <SelectField form={form} name="type" label={t("common.type")} options={TYPES.map((value) => ({ value, label: t(`passType.${value}`) }))} />
        <TextField form={form} name="price" label={t("common.price")} inputMode="decimal" required />
        <SelectField form={form} name="currency" label={t("common.currency")} options={PLAN_CURRENCIES.map((value) => ({ value, label: value }))} />
        <TextField form={form} name="max_subscribers" label={t("passes.max")} inputMode="numeric" />
        <SelectField form={form} name="default_zone_category" label={t("ticketTypes.zone")} options={["VIP", "PREMIUM", "STANDARD", "BASIC"].map((value) => ({ value, label: value }))} />
        <SelectField form={form} name="event_group_id" label={t("passes.covers")} empty={t("passes.keepCoverage")} options={groups.map((g) => ({ value: g.id, label: g.name }))} />
      </div>
      <TextField form={form} name="description" label={t("common.description")} />
    </Form>
  );
}

export default function SeasonPasses() {
  const { t, money, number } = useI18n();
  const list = usePaged((cursor) => call(() => api.GET("/v1/subscription-plans", { params: { query: { cursor, limit: 100 } } })), []);
  const editor = useEditor<Plan>({ newLabel: t("passes.new"), onSaved: () => list.reload() });
  const groups = usePaged((cursor) => call(() => api.GET("/v1/event-groups", { params: { query: { mine: "true", cursor, limit: 100 } } })), []);
  return (
    <Page title={t("passes.title")} actions={editor.newButton}>
      {editor.announcement}
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("passes.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.code"), cell: (row) => row.code },
          { header: t("common.name"), cell: (row) => row.name },
          { header: t("common.type"), cell: (row) => t(`passType.${row.type}`) },
          { header: t("common.price"), numeric: true, cell: (row) => money(row.price, row.currency) },
          { header: t("passes.subscribers"), numeric: true, cell: (row) => `${number(row.current_subscribers)}${row.max_subscribers ? ` / ${number(row.max_subscribers)}` : ""}` },
          {
            header: t("common.actions"),
            cell: (row) => (
              <RowActions onEdit={() => editor.edit(row)} />
            ),
          },
        ]}
      />
      {editor.dialog((row, saved) => (
        <PlanForm groups={groups.rows} plan={row} onDone={saved} />
      ))}
    </Page>
  );
}
