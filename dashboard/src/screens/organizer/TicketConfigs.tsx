import { api, call, type Schemas } from "../../api/client.ts";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { decimalToMinor, fromLocalInput, minorToDecimal, toLocalInput } from "../../i18n/format.ts";
import { CheckboxField, Form, numberOrText, optional, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { Badge, DataTable, ErrorNotice, Loading, Page, useLoad } from "../../ui/kit.tsx";
import { RowActions, useEditor } from "../../ui/crud.tsx";
import { EventTabs } from "./EventTabs.tsx";

type Config = Schemas["TicketConfig"];
type Tier = NonNullable<Config["price_tiers"]>[number];

/** "1-500: 10000; 501-1000: 12500" (prices as typed, in the currency) ↔ price tiers. */
function tiersToText(tiers: Tier[] | null | undefined, currency: string): string {
  return (tiers ?? []).map((tier) => `${tier.from}-${tier.to}: ${minorToDecimal(tier.price, currency)}`).join("; ");
}
function textToTiers(text: string, currency: string): Tier[] | null {
  const parts = text.split(";").map((part) => part.trim()).filter(Boolean);
  if (parts.length === 0) return null;
  return parts.map((part) => {
    const match = /^(\d+)\s*-\s*(\d+)\s*:\s*([\d.,\s]+)$/.exec(part);
    // Text that is no tier is sent as it is, for the API to name.
    if (!match) return { from: part as unknown as number, to: 0, price: 0 };
    return { from: Number(match[1]), to: Number(match[2]), price: decimalToMinor(match[3]!, currency) ?? (match[3] as unknown as number) };
  });
}

function ConfigForm({ eventId, currency, config, types, onDone }: { eventId: string; currency: string; config: Config | null; types: Schemas["TicketType"][]; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({
    ticket_type_id: config?.ticket_type.id ?? types[0]?.id ?? "",
    price: config ? minorToDecimal(config.price, config.currency) : "",
    quantity_total: config?.quantity_total?.toString() ?? "",
    quantity_blocked: config?.quantity_blocked?.toString() ?? "0",
    sales_start: toLocalInput(config?.sales_start),
    sales_end: toLocalInput(config?.sales_end),
    max_purchase: config?.max_purchase?.toString() ?? "",
    price_tiers: tiersToText(config?.price_tiers, config?.currency ?? currency),
    is_active: config?.is_active ?? true,
  });
  return (
    <Form
      form={form}
      submitLabel={config ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const cur = config?.currency ?? currency;
        const tiers = textToTiers(String(v.price_tiers), cur);
        const common = {
          price: decimalToMinor(String(v.price), cur) ?? (v.price as unknown as number),
          quantity_total: numberOrText(v.quantity_total) as number,
          quantity_blocked: numberOrText(v.quantity_blocked),
          sales_start: optional(v.sales_start) ? fromLocalInput(String(v.sales_start)) : undefined,
          sales_end: optional(v.sales_end) ? fromLocalInput(String(v.sales_end)) : undefined,
          max_purchase: numberOrText(v.max_purchase) ?? null,
          dynamic_pricing: tiers !== null,
          price_tiers: tiers,
          is_active: Boolean(v.is_active),
        };
        if (config) await call(() => api.PATCH("/v1/events/{event_id}/ticket-configs/{config_id}", { params: { path: { event_id: eventId, config_id: config.id } }, body: common }));
        else await call(() => api.POST("/v1/events/{event_id}/ticket-configs", { params: { path: { event_id: eventId } }, body: { ticket_type_id: String(v.ticket_type_id), ...common } }));
        onDone();
      }}
    >
      {!config && <SelectField form={form} name="ticket_type_id" label={t("tickets.type")} options={types.map((type) => ({ value: type.id, label: `${type.code} — ${type.name}` }))} />}
      <div className="form-grid">
        <TextField form={form} name="price" label={t("tickets.priceIn", { currency: config?.currency ?? currency })} inputMode="decimal" required />
        <TextField form={form} name="quantity_total" label={t("tickets.total")} inputMode="numeric" required />
        <TextField form={form} name="quantity_blocked" label={t("tickets.blocked")} inputMode="numeric" />
        <TextField form={form} name="max_purchase" label={t("tickets.maxPerPerson")} inputMode="numeric" />
        <TextField form={form} name="sales_start" label={t("tickets.salesStart")} type="datetime-local" />
        <TextField form={form} name="sales_end" label={t("tickets.salesEnd")} type="datetime-local" />
      </div>
      <TextField form={form} name="price_tiers" label={t("tickets.tiers")} hint={t("tickets.tiersHint")} />
      <CheckboxField form={form} name="is_active" label={t("tickets.onSale")} />
    </Form>
  );
}

export default function TicketConfigs({ params }: ScreenProps) {
  const { t, money, number } = useI18n();
  const eventId = params.event_id!;
  const loaded = useLoad(
    () =>
      Promise.all([
        call(() => api.GET("/v1/events/{event_id}", { params: { path: { event_id: eventId } } })),
        call(() => api.GET("/v1/events/{event_id}/ticket-configs", { params: { path: { event_id: eventId }, query: { limit: 100 } } })),
        call(() => api.GET("/v1/ticket-types", { params: { query: { limit: 100 } } })),
      ]),
    [eventId],
  );
  const editor = useEditor<Config>({ newLabel: t("tickets.new"), onSaved: () => loaded.reload() });
  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const [event, configs, types] = loaded.data;
  return (
    <Page title={t("tickets.title", { title: event.title })} actions={editor.newButton}>
      <EventTabs eventId={eventId} />
      {editor.announcement}
      <ErrorNotice error={editor.error} />
      <DataTable
        caption={t("tickets.configs")}
        rows={configs.data}
        rowKey={(row) => row.id}
        columns={[
          { header: t("tickets.type"), cell: (row) => `${row.ticket_type.code} — ${row.ticket_type.name}` },
          { header: t("common.price"), numeric: true, cell: (row) => money(row.price, row.currency) },
          { header: t("tickets.total"), numeric: true, cell: (row) => number(row.quantity_total ?? 0) },
          { header: t("tickets.sold"), numeric: true, cell: (row) => number(row.quantity_sold ?? 0) },
          { header: t("tickets.tiers"), cell: (row) => tiersToText(row.price_tiers, row.currency) || "—" },
          { header: t("common.status"), cell: (row) => (row.is_active ? <Badge tone="ok">{t("tickets.onSale")}</Badge> : <Badge>{t("tickets.off")}</Badge>) },
          {
            header: t("common.actions"),
            cell: (row) => (
              <RowActions
                onEdit={() => editor.edit(row)}
                busy={editor.busy}
                onDelete={() => editor.remove(() => call(() => api.DELETE("/v1/events/{event_id}/ticket-configs/{config_id}", { params: { path: { event_id: eventId, config_id: row.id } } })))}
              />
            ),
          },
        ]}
      />
      {editor.dialog((row, saved) => (
        <ConfigForm eventId={eventId} currency={event.currency} config={row} types={types.data} onDone={saved} />
      ))}
    </Page>
  );
}
