import { useState } from "react";
import { api, call } from "../../api/client.ts";
import { Link } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, TextArea, TextField, optional, useForm } from "../../ui/form.tsx";
import { Badge, DataTable, Dialog, ErrorNotice, Page, useAnnouncer, usePaged } from "../../ui/kit.tsx";

/**
 * User groups (members, students, away fans…): what pricing rules, members-only
 * sales and zone overrides name. Each opens on its members.
 */
export default function UserGroups() {
  const { t, number } = useI18n();
  const list = usePaged((cursor) => call(() => api.GET("/v1/user-groups", { params: { query: { cursor, limit: 100 } } })), []);
  const [creating, setCreating] = useState(false);
  const [announcement, announce] = useAnnouncer();
  const form = useForm({ code: "", name: "", description: "" });
  return (
    <Page
      title={t("userGroups.title")}
      lead={<p>{t("userGroups.lead")}</p>}
      actions={
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          {t("userGroups.new")}
        </button>
      }
    >
      {announcement}
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("userGroups.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.name"), cell: (row) => <Link to={`/organizer/user-groups/${row.id}`}>{row.name}</Link> },
          { header: t("common.code"), cell: (row) => <code>{row.code}</code> },
          { header: t("userGroups.members"), numeric: true, cell: (row) => number(row.members_count) },
          { header: t("common.status"), cell: (row) => (row.is_active ? <Badge tone="ok">{t("common.active")}</Badge> : <Badge tone="bad">{t("userGroups.inactive")}</Badge>) },
          { header: t("userGroups.scope"), cell: (row) => (row.organization_id ? t("userGroups.mine") : t("userGroups.platform")) },
        ]}
      />
      <Dialog open={creating} onClose={() => setCreating(false)} title={t("userGroups.new")}>
        <Form
          form={form}
          submitLabel={t("common.create")}
          onSubmit={async (v) => {
            const created = await call(() => api.POST("/v1/user-groups", { body: { code: String(v.code).trim(), name: String(v.name), description: optional(v.description) } }));
            form.reset({ code: "", name: "", description: "" });
            setCreating(false);
            announce(t("userGroups.created", { name: created.name }));
            list.reload();
          }}
        >
          <TextField form={form} name="code" label={t("common.code")} hint={t("userGroups.codeHint")} required />
          <TextField form={form} name="name" label={t("common.name")} required />
          <TextArea form={form} name="description" label={t("common.description")} />
        </Form>
      </Dialog>
    </Page>
  );
}
