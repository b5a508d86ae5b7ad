import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, Dialog, ErrorNotice, Page, StatusBadge, useAnnouncer, usePaged } from "../../ui/kit.tsx";

type Commission = Schemas["Commission"];
type Method = Schemas["SettleCommissions"]["method"];
const METHODS: Method[] = ["BANK_TRANSFER", "MOMO_MTN", "MOMO_MOOV", "CASH"];
const STATUSES: Commission["status"][] = ["CALCULATED", "PENDING", "PAID", "CANCELLED"];

function Settle({ rows, onDone }: { rows: Commission[]; onDone: () => void }) {
  const { t, money } = useI18n();
  const form = useForm({ method: "BANK_TRANSFER", external_reference: "" });
  const total = rows.reduce((sum, row) => sum + row.commission_amount, 0);
  return (
    <Form
      form={form}
      submitLabel={t("commissions.settle")}
      onSubmit={async (values) => {
        const reference = String(values.external_reference).trim();
        await call(() =>
          api.POST("/v1/admin/commissions/settle", {
            body: { organization_id: rows[0]!.organization_id!, commission_ids: rows.map((r) => r.id), method: values.method as Method, ...(reference ? { external_reference: reference } : {}) },
          }),
        );
        onDone();
      }}
    >
      <p>{t("commissions.settleSummary", { count: rows.length, total: money(total, rows[0]!.currency) })}</p>
      <SelectField form={form} name="method" label={t("commissions.method")} options={METHODS.map((value) => ({ value, label: t(`method.${value}`) }))} />
      <TextField form={form} name="external_reference" label={t("commissions.reference")} />
    </Form>
  );
}

export default function Commissions() {
  const { t, money, dateTime, number } = useI18n();
  const { search } = useLocation();
  const status = (search.get("status") ?? "CALCULATED") as Commission["status"];
  const organization = search.get("organization_id") ?? "";
  const list = usePaged(
    (cursor) => call(() => api.GET("/v1/admin/commissions", { params: { query: { status, organization_id: organization || undefined, cursor, limit: 100 } } })),
    [status, organization],
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [settling, setSettling] = useState(false);
  const [announcement, announce] = useAnnouncer();
  const chosen = list.rows.filter((row) => selected.has(row.id));
  const oneOrganizer = chosen.length > 0 && chosen[0]!.organization_id !== null && chosen.every((row) => row.organization_id === chosen[0]!.organization_id && row.currency === chosen[0]!.currency);
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <Page
      title={t("commissions.title")}
      actions={
        <button type="button" className="primary" disabled={!oneOrganizer} onClick={() => setSettling(true)}>
          {t("commissions.settleSelected", { count: chosen.length })}
        </button>
      }
      lead={t("commissions.lead")}
    >
      {announcement}
      <div className="toolbar">
        <label className="field">
          <span>{t("common.status")}</span>
          <select value={status} onChange={(event) => setSearch({ status: event.target.value })}>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`status.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("commissions.organizer")}</span>
          <input defaultValue={organization} onBlur={(event) => setSearch({ organization_id: event.target.value.trim() || undefined })} />
        </label>
      </div>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("commissions.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          {
            header: t("commissions.select"),
            cell: (row) =>
              row.status === "CALCULATED" || row.status === "PENDING" ? (
                <input type="checkbox" checked={selected.has(row.id)} onChange={() => toggle(row.id)} aria-label={t("commissions.selectOne", { id: row.id.slice(0, 8) })} />
              ) : null,
          },
          { header: t("common.created"), cell: (row) => dateTime(row.created_at) },
          { header: t("commissions.organizer"), cell: (row) => <code>{(row.organization_id ?? row.organizer_id).slice(0, 8)}</code> },
          { header: t("commissions.base"), numeric: true, cell: (row) => money(row.base_amount, row.currency) },
          { header: t("commissions.rate"), numeric: true, cell: (row) => `${number(row.commission_rate_bp / 100)} %` },
          { header: t("common.amount"), numeric: true, cell: (row) => money(row.commission_amount, row.currency) },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
        ]}
      />
      <Dialog open={settling} onClose={() => setSettling(false)} title={t("commissions.settle")}>
        {settling && oneOrganizer && (
          <Settle
            rows={chosen}
            onDone={() => {
              setSettling(false);
              setSelected(new Set());
              announce(t("commissions.settled"));
              list.reload();
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}
