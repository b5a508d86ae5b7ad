import { useEffect, useState } from "react";
import { api, call } from "../../api/client.ts";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { CheckboxField, Form, TextArea, TextField, nullable, optional, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Loading, Page, Section, useAction, useAnnouncer, useLoad, usePaged } from "../../ui/kit.tsx";
import { personName } from "../../i18n/format.ts";

/** End of the day chosen, UTC, as the API's `valid_until` (an instant with an offset). */
const endOfDay = (day: string | boolean) => (typeof day === "string" && day ? `${day}T23:59:59Z` : undefined);

/**
 * One user group: its name and whether it grants anything, its members
 * (added by email or phone, with an optional end), and a CSV import of many
 * at once (all rows or none; each faulty line named).
 */
export default function UserGroupDetail({ params }: ScreenProps) {
  const { t, date } = useI18n();
  const groupId = params.group_id!;
  const path = { group_id: groupId };
  const group = useLoad(() => call(() => api.GET("/v1/user-groups/{group_id}", { params: { path } })), [groupId]);
  const members = usePaged((cursor) => call(() => api.GET("/v1/user-groups/{group_id}/members", { params: { path, query: { cursor, limit: 100 } } })), [groupId]);
  const details = useForm({ name: "", description: "", is_active: true as boolean });
  const add = useForm({ email: "", phone: "", valid_until: "" });
  const importing = useForm({ rows: "" });
  const [file, setFile] = useState<File | null>(null);
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  const loaded = group.data;
  // The form starts from the group as loaded (once per group: later edits are the user's).
  useEffect(() => {
    if (loaded) details.reset({ name: loaded.name, description: loaded.description ?? "", is_active: loaded.is_active });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded?.id]);
  if (group.error) return <ErrorNotice error={group.error} />;
  if (!group.data) return <Loading />;
  return (
    <Page title={t("userGroups.detail", { name: group.data.name })} lead={<p><code>{group.data.code}</code></p>}>
      {announcement}
      <Section title={t("userGroups.settings")}>
        <Form
          form={details}
          submitLabel={t("common.save")}
          onSubmit={async (v) => {
            const saved = await call(() => api.PATCH("/v1/user-groups/{group_id}", { params: { path }, body: { name: String(v.name), description: nullable(v.description), is_active: Boolean(v.is_active) } }));
            group.setData(saved);
            announce(t("common.saved"));
          }}
        >
          <TextField form={details} name="name" label={t("common.name")} required />
          <TextArea form={details} name="description" label={t("common.description")} />
          <CheckboxField form={details} name="is_active" label={t("common.active")} hint={t("userGroups.activeHint")} />
        </Form>
      </Section>
      <Section title={t("userGroups.add")}>
        <Form
          form={add}
          label={t("userGroups.add")}
          submitLabel={t("userGroups.addSubmit")}
          onSubmit={async (v) => {
            const email = optional(v.email);
            const who = email ? { email } : { phone: optional(v.phone) ?? "" };
            await call(() => api.POST("/v1/user-groups/{group_id}/members", { params: { path }, body: { ...who, valid_until: endOfDay(v.valid_until) } }));
            add.reset({ email: "", phone: "", valid_until: String(v.valid_until) });
            announce(t("userGroups.added"));
            members.reload();
            group.reload();
          }}
        >
          <div className="form-grid">
            <TextField form={add} name="email" label={t("common.email")} type="email" hint={t("userGroups.emailOrPhone")} />
            <TextField form={add} name="phone" label={t("common.phone")} type="tel" />
            <TextField form={add} name="valid_until" label={t("userGroups.validUntil")} type="date" />
          </div>
        </Form>
      </Section>
      <Section title={t("userGroups.import")}>
        <Form
          form={importing}
          label={t("userGroups.import")}
          submitLabel={t("userGroups.importSubmit")}
          onSubmit={async () => {
            if (!file) throw new Error(t("userGroups.chooseFile"));
            const text = await file.text();
            const result = await call(() =>
              api.POST("/v1/user-groups/{group_id}/members/import", {
                params: { path },
                body: text,
                headers: { "Content-Type": "text/csv" },
                bodySerializer: (body: string) => body,
              }),
            );
            announce(t("userGroups.imported", { added: result.added, updated: result.updated }));
            members.reload();
            group.reload();
          }}
        >
          <div className="field">
            <label htmlFor="import-file">{t("userGroups.file")}</label>
            <input id="import-file" type="file" accept=".csv,text/csv" aria-describedby="import-hint" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
            <p className="field-hint" id="import-hint">
              {t("userGroups.fileHint")}
            </p>
          </div>
        </Form>
      </Section>
      <ErrorNotice error={members.error ?? action.error} />
      <DataTable
        caption={t("userGroups.members")}
        rows={members.rows}
        rowKey={(row) => row.user.id}
        paged={members}
        columns={[
          { header: t("common.name"), cell: (row) => personName(row.user) },
          { header: t("common.email"), cell: (row) => row.user.email },
          { header: t("common.phone"), cell: (row) => row.user.phone ?? "—" },
          { header: t("userGroups.since"), cell: (row) => date(row.member_since) },
          { header: t("userGroups.validUntil"), cell: (row) => (row.valid_until ? date(row.valid_until) : "—") },
          {
            header: t("common.actions"),
            cell: (row) => (
              <button
                type="button"
                className="small danger"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await call(() => api.DELETE("/v1/user-groups/{group_id}/members/{user_id}", { params: { path: { ...path, user_id: row.user.id } } }));
                    members.reload();
                    group.reload();
                  })
                }
              >
                {t("team.remove")}
              </button>
            ),
          },
        ]}
      />
    </Page>
  );
}
