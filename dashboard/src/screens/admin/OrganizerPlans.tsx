import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { decimalToMinor, minorToDecimal } from "../../i18n/format.ts";
import { BILLING_PERIODS, PLAN_CURRENCIES, PLAN_TYPES } from "../../ui/enums.ts";
import { CheckboxField, Form, nullable, numberOrText, SelectField, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, Dialog, ErrorNotice, Page, Section, StatusBadge, useLoad, usePaged } from "../../ui/kit.tsx";
import { RowActions, useEditor, YesNo } from "../../ui/crud.tsx";

type Plan = Schemas["OrganizerPlan"];
type Subscription = NonNullable<Schemas["OrganizerSubscription"]>;

function PlanForm({ plan, onDone }: { plan: Plan | null; onDone: () => void }) {
  const { t } = useI18n();
  const currency = plan?.currency ?? "XOF";
  const form = useForm({
    name: plan?.name ?? "",
    plan_type: plan?.plan_type ?? "STANDARD",
    price: plan ? minorToDecimal(plan.price, plan.currency) : "",
    currency,
    billing_period: plan?.billing_period ?? "MONTHLY",
    description: plan?.description ?? "",
    max_events_per_month: plan?.max_events_per_month?.toString() ?? "",
    reduced_commission_bp: plan?.reduced_commission_bp?.toString() ?? "",
    priority_support: plan?.priority_support ?? false,
    advanced_analytics: plan?.advanced_analytics ?? false,
    event_promotion: plan?.event_promotion ?? false,
    profile_customization: plan?.profile_customization ?? false,
    is_active: plan?.is_active ?? true,
    display_order: String(plan?.display_order ?? 0),
  });
  return (
    <Form
      form={form}
      submitLabel={plan ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const body = {
          name: String(v.name),
          plan_type: v.plan_type as Plan["plan_type"],
          price: decimalToMinor(String(v.price), String(v.currency)) ?? (v.price as unknown as number),
          currency: v.currency as Plan["currency"],
          billing_period: v.billing_period as Plan["billing_period"],
          description: nullable(v.description),
          max_events_per_month: numberOrText(v.max_events_per_month) ?? null,
          reduced_commission_bp: numberOrText(v.reduced_commission_bp) ?? null,
          priority_support: Boolean(v.priority_support),
          advanced_analytics: Boolean(v.advanced_analytics),
          event_promotion: Boolean(v.event_promotion),
          profile_customization: Boolean(v.profile_customization),
          is_active: Boolean(v.is_active),
          display_order: numberOrText(v.display_order),
        };
        if (plan) await call(() => api.PATCH("/v1/admin/organizer-plans/{plan_id}", { params: { path: { plan_id: plan.id } }, body }));
        else await call(() => api.POST("/v1/admin/organizer-plans", { body }));
        onDone();
      }}
    >
      <div className="form-grid">
        <TextField form={form} name="name" label={t("common.name")} required />
        <SelectField form={form} name="plan_type" label={t("common.type")} options={PLAN_TYPES.map((value) => ({ value, label: value }))} />
        <TextField form={form} name="price" label={t("common.price")} inputMode="decimal" />
        <SelectField form={form} name="currency" label={t("common.currency")} options={PLAN_CURRENCIES.map((value) => ({ value, label: value }))} />
        <SelectField form={form} name="billing_period" label={t("plans.period")} options={BILLING_PERIODS.map((value) => ({ value, label: t(`period.${value}`) }))} />
        <TextField form={form} name="max_events_per_month" label={t("plans.maxEvents")} inputMode="numeric" />
        <TextField form={form} name="reduced_commission_bp" label={t("plans.commissionBp")} inputMode="numeric" hint={t("plans.bpHint")} />
        <TextField form={form} name="display_order" label={t("common.order")} inputMode="numeric" />
      </div>
      <TextArea form={form} name="description" label={t("common.description")} />
      <CheckboxField form={form} name="priority_support" label={t("plans.prioritySupport")} />
      <CheckboxField form={form} name="advanced_analytics" label={t("plans.analytics")} />
      <CheckboxField form={form} name="event_promotion" label={t("plans.promotion")} />
      <CheckboxField form={form} name="profile_customization" label={t("plans.customization")} />
      <CheckboxField form={form} name="is_active" label={t("common.active")} />
    </Form>
  );
}

function GrantForm({ plans, onDone }: { plans: Plan[]; onDone: () => void }) {
  const { t } = useI18n();
  const organizations = useLoad(() => call(() => api.GET("/v1/organizations", { params: { query: { all: "true", limit: 100 } } })), []);
  const form = useForm({ organization_id: "", plan_id: plans[0]?.id ?? "", comment: "" });
  return (
    <Form
      form={form}
      submitLabel={t("plans.grant")}
      onSubmit={async (v) => {
        const comment = String(v.comment).trim();
        await call(() => api.POST("/v1/admin/organizer-subscriptions", { body: { organization_id: String(v.organization_id), plan_id: String(v.plan_id), ...(comment ? { comment } : {}) } }));
        onDone();
      }}
    >
      <SelectField form={form} name="organization_id" label={t("plans.organization")} empty="—" options={(organizations.data?.data ?? []).map((o) => ({ value: o.id, label: o.name }))} />
      <SelectField form={form} name="plan_id" label={t("plans.plan")} options={plans.map((p) => ({ value: p.id, label: p.name }))} />
      <TextField form={form} name="comment" label={t("common.comment")} />
    </Form>
  );
}

function Transition({ subscription, onDone }: { subscription: Subscription; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({ action: subscription.status === "SUSPENDED" ? "reactivate" : "suspend", comment: "" });
  return (
    <Form
      form={form}
      submitLabel={t("common.save")}
      onSubmit={async (v) => {
        const path = { subscription_id: subscription.id };
        const comment = String(v.comment);
        if (v.action === "suspend") await call(() => api.POST("/v1/admin/organizer-subscriptions/{subscription_id}/suspend", { params: { path }, body: { comment } }));
        else if (v.action === "cancel") await call(() => api.POST("/v1/admin/organizer-subscriptions/{subscription_id}/cancel", { params: { path }, body: { comment } }));
        else await call(() => api.POST("/v1/admin/organizer-subscriptions/{subscription_id}/reactivate", { params: { path }, body: comment.trim() ? { comment } : {} }));
        onDone();
      }}
    >
      <SelectField
        form={form}
        name="action"
        label={t("common.actions")}
        options={[
          { value: "suspend", label: t("plans.suspend") },
          { value: "reactivate", label: t("plans.reactivate") },
          { value: "cancel", label: t("plans.cancel") },
        ]}
      />
      <TextArea form={form} name="comment" label={t("common.comment")} required />
    </Form>
  );
}

export default function OrganizerPlans() {
  const { t, money, date } = useI18n();
  const { search } = useLocation();
  const status = (search.get("status") ?? "") as Subscription["status"] | "";
  const plans = useLoad(() => call(() => api.GET("/v1/admin/organizer-plans")), []);
  const subscriptions = usePaged((cursor) => call(() => api.GET("/v1/admin/organizer-subscriptions", { params: { query: { status: status || undefined, cursor, limit: 50 } } })), [status]);
  const [granting, setGranting] = useState(false);
  const [moving, setMoving] = useState<Subscription | null>(null);
  const reload = () => {
    plans.reload();
    subscriptions.reload();
  };
  const editor = useEditor<Plan>({ newLabel: t("plans.new"), onSaved: reload });
  const done = () => {
    setGranting(false);
    setMoving(null);
    editor.announce(t("common.saved"));
    reload();
  };
  return (
    <Page title={t("plans.title")} actions={editor.newButton}>
      {editor.announcement}
      <ErrorNotice error={plans.error ?? editor.error} />
      <Section title={t("plans.plans")}>
        <DataTable
          caption={t("plans.plans")}
          rows={plans.data?.data ?? []}
          rowKey={(row) => row.id}
          columns={[
            { header: t("common.name"), cell: (row) => row.name },
            { header: t("common.type"), cell: (row) => row.plan_type },
            { header: t("common.price"), numeric: true, cell: (row) => `${money(row.price, row.currency)} / ${t(`period.${row.billing_period}`)}` },
            { header: t("plans.maxEvents"), numeric: true, cell: (row) => row.max_events_per_month ?? "∞" },
            { header: t("common.active"), cell: (row) => <YesNo value={row.is_active} /> },
            {
              header: t("common.actions"),
              cell: (row) => (
                <RowActions
                  onEdit={() => editor.edit(row)}
                  busy={editor.busy}
                  onDelete={() => editor.remove(() => call(() => api.DELETE("/v1/admin/organizer-plans/{plan_id}", { params: { path: { plan_id: row.id } } })))}
                />
              ),
            },
          ]}
        />
      </Section>
      <Section
        title={t("plans.subscriptions")}
        actions={
          <button type="button" onClick={() => setGranting(true)}>
            {t("plans.grant")}
          </button>
        }
      >
        <div className="toolbar">
          <label className="field">
            <span>{t("common.status")}</span>
            <select value={status} onChange={(event) => setSearch({ status: event.target.value || undefined })}>
              <option value="">{t("common.all")}</option>
              {(["ACTIVE", "PENDING", "SUSPENDED", "EXPIRED", "CANCELLED"] as const).map((value) => (
                <option key={value} value={value}>
                  {t(`status.${value}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ErrorNotice error={subscriptions.error} />
        <DataTable
          caption={t("plans.subscriptions")}
          rows={subscriptions.rows.filter((row): row is Subscription => row !== null)}
          rowKey={(row) => row.id}
          paged={subscriptions}
          columns={[
            { header: t("commissions.organizer"), cell: (row) => <code>{(row.organization_id ?? row.organizer_id).slice(0, 8)}</code> },
            { header: t("plans.plan"), cell: (row) => row.plan_name },
            { header: t("common.from"), cell: (row) => date(row.starts_at) },
            { header: t("common.to"), cell: (row) => date(row.ends_at) },
            { header: t("common.price"), numeric: true, cell: (row) => money(row.price_paid, row.currency) },
            { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
            {
              header: t("common.actions"),
              cell: (row) =>
                row.status === "ACTIVE" || row.status === "SUSPENDED" ? (
                  <button type="button" className="small" onClick={() => setMoving(row)}>
                    {t("common.edit")}
                  </button>
                ) : null,
            },
          ]}
        />
      </Section>
      {editor.dialog((row, saved) => (
        <PlanForm plan={row} onDone={saved} />
      ))}
      <Dialog open={granting} onClose={() => setGranting(false)} title={t("plans.grant")}>
        {granting && <GrantForm plans={plans.data?.data ?? []} onDone={done} />}
      </Dialog>
      <Dialog open={moving !== null} onClose={() => setMoving(null)} title={t("plans.subscriptions")}>
        {moving && <Transition subscription={moving} onDone={done} />}
      </Dialog>
    </Page>
  );
}
