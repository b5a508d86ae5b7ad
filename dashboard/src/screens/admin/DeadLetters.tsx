import { api, call } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Badge, DataTable, ErrorNotice, Page, useAction, useAnnouncer, usePaged } from "../../ui/kit.tsx";

export default function DeadLetters() {
  const { t, dateTime } = useI18n();
  const { search } = useLocation();
  const queue = (search.get("queue") ?? "") as "payments" | "notifications" | "";
  const replayed = (search.get("replayed") ?? "false") as "true" | "false" | "";
  const list = usePaged(
    (cursor) => call(() => api.GET("/v1/admin/dead-letters", { params: { query: { queue: queue || undefined, replayed: replayed || undefined, cursor, limit: 50 } } })),
    [queue, replayed],
  );
  const action = useAction();
  const [announcement, announce] = useAnnouncer();
  return (
    <Page title={t("deadLetters.title")} lead={t("deadLetters.lead")}>
      {announcement}
      <div className="toolbar">
        <label className="field">
          <span>{t("deadLetters.queue")}</span>
          <select value={queue} onChange={(event) => setSearch({ queue: event.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            <option value="payments">payments</option>
            <option value="notifications">notifications</option>
          </select>
        </label>
        <label className="field">
          <span>{t("deadLetters.replayed")}</span>
          <select value={replayed} onChange={(event) => setSearch({ replayed: event.target.value })}>
            <option value="">{t("common.all")}</option>
            <option value="false">{t("common.no")}</option>
            <option value="true">{t("common.yes")}</option>
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("deadLetters.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("deadLetters.received"), cell: (row) => dateTime(row.received_at) },
          { header: t("deadLetters.queue"), cell: (row) => row.queue },
          { header: t("deadLetters.attempts"), numeric: true, cell: (row) => row.attempts },
          { header: t("deadLetters.body"), cell: (row) => <pre className="json">{JSON.stringify(row.body, null, 1)}</pre> },
          {
            header: t("common.actions"),
            cell: (row) =>
              row.replayed_at ? (
                <Badge tone="ok">{t("deadLetters.replayedAt", { date: dateTime(row.replayed_at) })}</Badge>
              ) : (
                <button
                  type="button"
                  className="small"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      await call(() => api.POST("/v1/admin/dead-letters/{dead_letter_id}/replay", { params: { path: { dead_letter_id: row.id } } }));
                      announce(t("deadLetters.replayDone"));
                      list.reload();
                    })
                  }
                >
                  {t("deadLetters.replay")}
                </button>
              ),
          },
        ]}
      />
    </Page>
  );
}
