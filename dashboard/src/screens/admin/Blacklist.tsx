import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { fromLocalInput } from "../../i18n/format.ts";
import { APPEAL_STATUSES, BLACKLIST_SCOPES, BLACKLIST_TYPES, SEVERITIES } from "../../ui/enums.ts";
import { CheckboxField, Form, optional, SelectField, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { Badge, DataTable, Dialog, ErrorNotice, Page, Section, StatusBadge, useAction, useAnnouncer, usePaged } from "../../ui/kit.tsx";

type Entry = Schemas["BlacklistEntry"];
type Create = Schemas["BlacklistCreateRequest"];

function BanForm({ type, identifier, onDone }: { type: string; identifier: string; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({ blacklist_type: type || "USER", identifier, scope: "GLOBAL", scope_id: "", reason: "", severity: "HIGH", end_date: "", is_permanent: false });
  return (
    <Form
      form={form}
      label={t("blacklist.new")}
      submitLabel={t("blacklist.ban")}
      onSubmit={async (v) => {
        await call(() =>
          api.POST("/v1/blacklist", {
            body: {
              blacklist_type: v.blacklist_type as Create["blacklist_type"],
              identifier: String(v.identifier).trim(),
              scope: v.scope as Create["scope"],
              scope_id: optional(v.scope_id) ?? null,
              reason: String(v.reason),
              severity: v.severity as Create["severity"],
              ...(v.is_permanent ? { is_permanent: true } : optional(v.end_date) ? { end_date: fromLocalInput(String(v.end_date)) } : {}),
            },
          }),
        );
        onDone();
      }}
    >
      <div className="form-grid">
        <SelectField form={form} name="blacklist_type" label={t("common.type")} options={BLACKLIST_TYPES.map((value) => ({ value, label: t(`banType.${value}`) }))} />
        <TextField form={form} name="identifier" label={t("blacklist.identifier")} hint={t("blacklist.identifierHint")} required />
        <SelectField form={form} name="scope" label={t("blacklist.scope")} options={BLACKLIST_SCOPES.map((value) => ({ value, label: t(`scope.${value}`) }))} />
        <TextField form={form} name="scope_id" label={t("blacklist.scopeId")} hint={t("blacklist.scopeIdHint")} />
        <SelectField form={form} name="severity" label={t("blacklist.severity")} options={SEVERITIES.map((value) => ({ value, label: t(`severity.${value}`) }))} />
        <TextField form={form} name="end_date" label={t("blacklist.endDate")} type="datetime-local" />
      </div>
      <CheckboxField form={form} name="is_permanent" label={t("blacklist.permanent")} />
      <TextArea form={form} name="reason" label={t("common.reason")} required />
    </Form>
  );
}

function AppealDecision({ entry, onDone }: { entry: Entry; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({ decision: "REJECTED", comment: "" });
  return (
    <Form
      form={form}
      submitLabel={t("blacklist.decide")}
      onSubmit={async (v) => {
        const comment = String(v.comment).trim();
        await call(() =>
          api.POST("/v1/blacklist/{entry_id}/appeal/decide", {
            params: { path: { entry_id: entry.id } },
            body: { decision: v.decision as "ACCEPTED" | "REJECTED", ...(comment ? { comment } : {}) },
          }),
        );
        onDone();
      }}
    >
      <p>{entry.reason}</p>
      <pre className="json">{JSON.stringify(entry.metadata, null, 1)}</pre>
      <SelectField
        form={form}
        name="decision"
        label={t("blacklist.decision")}
        options={[
          { value: "ACCEPTED", label: t("blacklist.acceptAppeal") },
          { value: "REJECTED", label: t("blacklist.rejectAppeal") },
        ]}
      />
      <TextArea form={form} name="comment" label={t("moderation.commentOptional")} />
    </Form>
  );
}

export default function Blacklist() {
  const { t, dateTime } = useI18n();
  const { search } = useLocation();
  const appeal = (search.get("appeal_status") ?? "") as Entry["appeal_status"] | "";
  const type = (search.get("type") ?? "") as Entry["blacklist_type"] | "";
  const identifier = search.get("identifier") ?? "";
  const active = (search.get("is_active") ?? "true") as "true" | "false" | "";
  const list = usePaged(
    (cursor) =>
      call(() =>
        api.GET("/v1/blacklist", {
          params: { query: { appeal_status: appeal || undefined, blacklist_type: type || undefined, identifier: identifier || undefined, is_active: active || undefined, cursor, limit: 50 } },
        }),
      ),
    [appeal, type, identifier, active],
  );
  const [deciding, setDeciding] = useState<Entry | null>(null);
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  return (
    <Page title={t("blacklist.title")}>
      {announcement}
      <Section title={t("blacklist.new")}>
        <BanForm
          key={`${type}:${identifier}`}
          type={type}
          identifier={identifier}
          onDone={() => {
            announce(t("blacklist.banned"));
            list.reload();
          }}
        />
      </Section>
      <div className="toolbar">
        <label className="field">
          <span>{t("blacklist.appeal")}</span>
          <select value={appeal} onChange={(event) => setSearch({ appeal_status: event.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {APPEAL_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`appeal.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("common.active")}</span>
          <select value={active} onChange={(event) => setSearch({ is_active: event.target.value })}>
            <option value="">{t("common.all")}</option>
            <option value="true">{t("common.yes")}</option>
            <option value="false">{t("common.no")}</option>
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("blacklist.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.type"), cell: (row) => t(`banType.${row.blacklist_type}`) },
          { header: t("blacklist.identifier"), cell: (row) => <code>{row.identifier}</code> },
          { header: t("blacklist.scope"), cell: (row) => t(`scope.${row.scope}`) },
          { header: t("common.reason"), cell: (row) => row.reason },
          { header: t("blacklist.until"), cell: (row) => (row.is_permanent ? t("blacklist.permanent") : dateTime(row.end_date)) },
          { header: t("blacklist.appeal"), cell: (row) => (row.appeal_status === "NONE" ? "—" : <StatusBadge value={row.appeal_status} />) },
          { header: t("common.active"), cell: (row) => (row.is_active ? <Badge tone="bad">{t("blacklist.inForce")}</Badge> : <Badge>{t("blacklist.lifted")}</Badge>) },
          {
            header: t("common.actions"),
            cell: (row) => (
              <div className="row-actions">
                {row.appeal_status === "PENDING" && (
                  <button type="button" className="small" onClick={() => setDeciding(row)}>
                    {t("blacklist.decide")}
                  </button>
                )}
                {row.is_active && (
                  <button
                    type="button"
                    className="small"
                    disabled={action.busy}
                    onClick={() =>
                      void action.run(async () => {
                        await call(() => api.PATCH("/v1/blacklist/{entry_id}", { params: { path: { entry_id: row.id } }, body: { is_active: false } }));
                        announce(t("blacklist.liftedDone"));
                        list.reload();
                      })
                    }
                  >
                    {t("blacklist.lift")}
                  </button>
                )}
              </div>
            ),
          },
        ]}
      />
      <Dialog open={deciding !== null} onClose={() => setDeciding(null)} title={t("blacklist.decide")}>
        {deciding && (
          <AppealDecision
            entry={deciding}
            onDone={() => {
              setDeciding(null);
              announce(t("common.done"));
              list.reload();
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}
