import { api, call, type Schemas } from "../../api/client.ts";
import { useI18n } from "../../i18n/index.tsx";
import { fromLocalInput, toLocalInput } from "../../i18n/format.ts";
import { STATUS_SEVERITIES, SYSTEM_STATES } from "../../ui/enums.ts";
import { CheckboxField, Form, optional, SelectField, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Page, StatusBadge, useAction, useLoad, usePaged } from "../../ui/kit.tsx";
import { RowActions, useEditor, YesNo } from "../../ui/crud.tsx";

type Status = Schemas["SystemStatus"];

function StatusForm({ status, onDone }: { status: Status | null; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({
    title: status?.title ?? "",
    description: status?.description ?? "",
    status: status?.status ?? "MAINTENANCE",
    severity: status?.severity ?? "WARNING",
    starts_at: toLocalInput(status?.starts_at),
    expected_end_at: toLocalInput(status?.expected_end_at),
    ended_at: toLocalInput(status?.ended_at),
    show_banner: status?.show_banner ?? true,
    block_access: status?.block_access ?? false,
  });
  return (
    <Form
      form={form}
      submitLabel={status ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const time = (value: string | boolean) => (optional(value) ? fromLocalInput(String(value)) : undefined);
        const body = {
          title: String(v.title),
          description: String(v.description),
          status: v.status as Status["status"],
          severity: v.severity as Status["severity"],
          starts_at: time(v.starts_at),
          expected_end_at: time(v.expected_end_at),
          ended_at: time(v.ended_at),
          show_banner: Boolean(v.show_banner),
          block_access: Boolean(v.block_access),
        };
        if (status) await call(() => api.PATCH("/v1/admin/system-statuses/{status_id}", { params: { path: { status_id: status.id } }, body }));
        else await call(() => api.POST("/v1/admin/system-statuses", { body }));
        onDone();
      }}
    >
      <TextField form={form} name="title" label={t("status.titleField")} required />
      <TextArea form={form} name="description" label={t("common.description")} />
      <div className="form-grid">
        <SelectField form={form} name="status" label={t("common.status")} options={SYSTEM_STATES.map((value) => ({ value, label: t(`status.${value}`) }))} />
        <SelectField form={form} name="severity" label={t("blacklist.severity")} options={STATUS_SEVERITIES.map((value) => ({ value, label: t(`severity.${value}`) }))} />
        <TextField form={form} name="starts_at" label={t("status.startsAt")} type="datetime-local" />
        <TextField form={form} name="expected_end_at" label={t("status.expectedEnd")} type="datetime-local" />
        <TextField form={form} name="ended_at" label={t("status.endedAt")} type="datetime-local" />
      </div>
      <CheckboxField form={form} name="show_banner" label={t("status.banner")} />
      <CheckboxField form={form} name="block_access" label={t("status.block")} hint={t("status.blockHint")} />
    </Form>
  );
}

export default function SystemStatus() {
  const { t, dateTime } = useI18n();
  const now = useLoad(() => call(() => api.GET("/v1/status")), []);
  const list = usePaged((cursor) => call(() => api.GET("/v1/admin/system-statuses", { params: { query: { cursor, limit: 50 } } })), []);
  const editor = useEditor<Status>({ newLabel: t("status.new"), onSaved: () => (list.reload(), now.reload()) });
  const action = useAction();
  return (
    <Page title={t("status.title")} actions={editor.newButton}>
      {editor.announcement}
      {now.data && (
        <p className={now.data.access_blocked ? "notice notice-error" : "notice notice-ok"}>
          {t("status.now")}: <StatusBadge value={now.data.status} /> {now.data.access_blocked ? t("status.blocked") : ""}
        </p>
      )}
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("status.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("status.titleField"), cell: (row) => row.title },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
          { header: t("status.startsAt"), cell: (row) => dateTime(row.starts_at) },
          { header: t("status.expectedEnd"), cell: (row) => dateTime(row.expected_end_at) },
          { header: t("status.endedAt"), cell: (row) => dateTime(row.ended_at) },
          { header: t("status.block"), cell: (row) => <YesNo value={row.block_access} yesTone="bad" /> },
          {
            header: t("common.actions"),
            cell: (row) => (
              <RowActions onEdit={() => editor.edit(row)}>
                {!row.ended_at && (
                  <button
                    type="button"
                    className="small"
                    disabled={action.busy}
                    onClick={() =>
                      void action.run(async () => {
                        await call(() => api.PATCH("/v1/admin/system-statuses/{status_id}", { params: { path: { status_id: row.id } }, body: { ended_at: new Date().toISOString() } }));
                        editor.announce(t("status.ended"));
                        list.reload();
                        now.reload();
                      })
                    }
                  >
                    {t("status.end")}
                  </button>
                )}
              </RowActions>
            ),
          },
        ]}
      />
      {editor.dialog((row, saved) => (
        <StatusForm status={row} onDone={saved} />
      ))}
    </Page>
  );
}
