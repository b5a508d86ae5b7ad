import { api, call, type Schemas } from "../../api/client.ts";
import { useI18n } from "../../i18n/index.tsx";
import { decimalToMinor, minorToDecimal } from "../../i18n/format.ts";
import { PLAN_CURRENCIES } from "../../ui/enums.ts";
import { CheckboxField, Form, nullable, numberOrText, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Page, usePaged } from "../../ui/kit.tsx";
import { RowActions, useEditor } from "../../ui/crud.tsx";

type TicketType = Schemas["TicketType"];
const CATEGORIES: TicketType["default_zone_category"][] = ["VIP", "PREMIUM", "STANDARD", "BASIC", "COMPLIMENTARY", "VISITORS", "PRESS", "STAFF"];

function TypeForm({ type, onDone }: { type: TicketType | null; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({
    code: type?.code ?? "",
    name: type?.name ?? "",
    description: type?.description ?? "",
    base_price: type ? minorToDecimal(type.base_price, type.currency) : "",
    currency: type?.currency ?? "TND",
    default_zone_category: type?.default_zone_category ?? "STANDARD",
    max_per_transaction: String(type?.max_per_transaction ?? 10),
    transfer_allowed: type?.transfer_allowed ?? true,
    cancellation_allowed: type?.cancellation_allowed ?? false,
  });
  return (
    <Form
      form={form}
      submitLabel={type ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const currency = v.currency as TicketType["currency"];
        const body = {
          name: String(v.name),
          description: nullable(v.description),
          base_price: decimalToMinor(String(v.base_price), currency) ?? (v.base_price as unknown as number),
          currency,
          default_zone_category: v.default_zone_category as TicketType["default_zone_category"],
          max_per_transaction: numberOrText(v.max_per_transaction),
          transfer_allowed: Boolean(v.transfer_allowed),
          cancellation_allowed: Boolean(v.cancellation_allowed),
        };
        if (type) await call(() => api.PATCH("/v1/ticket-types/{ticket_type_id}", { params: { path: { ticket_type_id: type.id } }, body }));
        else await call(() => api.POST("/v1/ticket-types", { body: { ...body, code: String(v.code).trim() } }));
        onDone();
      }}
    >
      <div className="form-grid">
        {!type && <TextField form={form} name="code" label={t("common.code")} required />}
        <TextField form={form} name="name" label={t("common.name")} required />
        <TextField form={form} name="base_price" label={t("common.price")} inputMode="decimal" required />
        <SelectField form={form} name="currency" label={t("common.currency")} options={PLAN_CURRENCIES.map((value) => ({ value, label: value }))} />
        <SelectField form={form} name="default_zone_category" label={t("ticketTypes.zone")} options={CATEGORIES.map((value) => ({ value, label: value }))} />
        <TextField form={form} name="max_per_transaction" label={t("ticketTypes.maxPerOrder")} inputMode="numeric" />
      </div>
      <TextField form={form} name="description" label={t("common.description")} />
      <CheckboxField form={form} name="transfer_allowed" label={t("ticketTypes.transfer")} />
      <CheckboxField form={form} name="cancellation_allowed" label={t("ticketTypes.cancellation")} />
    </Form>
  );
}

export default function TicketTypes() {
  const { t, money } = useI18n();
  const list = usePaged((cursor) => call(() => api.GET("/v1/ticket-types", { params: { query: { cursor, limit: 100 } } })), []);
  const editor = useEditor<TicketType>({ newLabel: t("ticketTypes.new"), onSaved: () => list.reload() });
  return (
    <Page title={t("ticketTypes.title")} actions={editor.newButton}>
      {editor.announcement}
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("ticketTypes.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.code"), cell: (row) => row.code },
          { header: t("common.name"), cell: (row) => row.name },
          { header: t("common.price"), numeric: true, cell: (row) => money(row.base_price, row.currency) },
          { header: t("ticketTypes.zone"), cell: (row) => row.default_zone_category },
          { header: t("ticketTypes.maxPerOrder"), numeric: true, cell: (row) => row.max_per_transaction },
          {
            header: t("common.actions"),
            cell: (row) => (
              <RowActions onEdit={() => editor.edit(row)} />
            ),
          },
        ]}
      />
      {editor.dialog((row, saved) => (
        <TypeForm type={row} onDone={saved} />
      ))}
    </Page>
  );
}
