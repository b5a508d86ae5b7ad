import { useState } from "react";
import { api, call } from "../../api/client.ts";
import { Link, navigate } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, nullable, numberOrText, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, Dialog, ErrorNotice, Page, usePaged } from "../../ui/kit.tsx";

function VenueForm() {
  const { t } = useI18n();
  const form = useForm({ name: "", address: "", city: "", country: "", timezone: Intl.DateTimeFormat().resolvedOptions().timeZone, capacity: "" });
  return (
    <Form
      form={form}
      submitLabel={t("common.create")}
      onSubmit={async (v) => {
        const venue = await call(() =>
          api.POST("/v1/venues", {
            body: { name: String(v.name), address: nullable(v.address), city: nullable(v.city), country: nullable(v.country), timezone: String(v.timezone), capacity: numberOrText(v.capacity) ?? null },
          }),
        );
        navigate(`/organizer/venues/${venue.id}`);
      }}
    >
      <TextField form={form} name="name" label={t("common.name")} required />
      <div className="form-grid">
        <TextField form={form} name="address" label={t("events.address")} />
        <TextField form={form} name="city" label={t("venues.city")} />
        <TextField form={form} name="country" label={t("venues.country")} hint="TN, BJ" />
        <TextField form={form} name="timezone" label={t("event.timezone")} />
        <TextField form={form} name="capacity" label={t("common.capacity")} inputMode="numeric" />
      </div>
    </Form>
  );
}

export default function Venues() {
  const { t, number } = useI18n();
  const list = usePaged((cursor) => call(() => api.GET("/v1/venues", { params: { query: { mine: "true", include_inactive: "true", cursor, limit: 50 } } })), []);
  const [creating, setCreating] = useState(false);
  return (
    <Page title={t("venues.title")} actions={<button type="button" className="primary" onClick={() => setCreating(true)}>{t("venues.new")}</button>}>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("venues.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.name"), cell: (row) => <Link to={`/organizer/venues/${row.id}`}>{row.name}</Link> },
          { header: t("venues.city"), cell: (row) => row.city ?? "—" },
          { header: t("common.capacity"), numeric: true, cell: (row) => (row.capacity ? number(row.capacity) : "—") },
          { header: t("event.timezone"), cell: (row) => row.timezone },
        ]}
      />
      <Dialog open={creating} onClose={() => setCreating(false)} title={t("venues.new")}>
        {creating && <VenueForm />}
      </Dialog>
    </Page>
  );
}
