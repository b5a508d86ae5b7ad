/**
 * What the back-office lists of an event share: the search box (kept in the
 * URL, so a search is a link) and the CSV export of a list with the filters
 * on screen, through the API with the session's token.
 */
import { useState, type FormEvent } from "react";
import { api, download, saveBlob } from "../../api/client.ts";
import { setSearch } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { ErrorNotice, useAction } from "../../ui/kit.tsx";

export function SearchBox({ value, label, hint }: { value: string; label: string; hint: string }) {
  const { t } = useI18n();
  const [text, setText] = useState(value);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSearch({ q: text.trim() || undefined });
  };
  return (
    <form className="search" role="search" onSubmit={submit}>
      <label className="field">
        <span>{label}</span>
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} aria-describedby="search-hint" />
      </label>
      <button type="submit">{t("common.search")}</button>
      <p className="field-hint" id="search-hint">
        {hint}
      </p>
    </form>
  );
}

/** The event's lists the API exports as CSV. */
export const EXPORTS = ["attendees", "orders", "pass-holders", "transfers", "payments", "refunds", "access-log"] as const;
export type ExportName = (typeof EXPORTS)[number];
type Filters = Record<string, string | undefined>;

/** One request per list: the API's paths are literal types. */
function exportRequest(eventId: string, list: ExportName, query: Filters) {
  const path = { event_id: eventId };
  // Semicolons: what spreadsheets set to French (and Arabic) locales read.
  const q = { ...query, separator: "semicolon" as const };
  const options = { params: { path, query: q as never }, parseAs: "blob" as const };
  switch (list) {
    case "attendees":
      return () => api.GET("/v1/events/{event_id}/exports/attendees.csv", options);
    case "orders":
      return () => api.GET("/v1/events/{event_id}/exports/orders.csv", options);
    case "pass-holders":
      return () => api.GET("/v1/events/{event_id}/exports/pass-holders.csv", options);
    case "transfers":
      return () => api.GET("/v1/events/{event_id}/exports/transfers.csv", options);
    case "payments":
      return () => api.GET("/v1/events/{event_id}/exports/payments.csv", options);
    case "refunds":
      return () => api.GET("/v1/events/{event_id}/exports/refunds.csv", options);
    case "access-log":
      return () => api.GET("/v1/events/{event_id}/exports/access-log.csv", options);
  }
}

/** Downloads a list as CSV, with the filters given (those on screen). */
export function ExportButton({ eventId, list, query = {}, label }: { eventId: string; list: ExportName; query?: Filters; label?: string }) {
  const { t } = useI18n();
  const action = useAction();
  const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== ""));
  return (
    <span className="export">
      <button
        type="button"
        disabled={action.busy}
        onClick={() =>
          void action.run(async () => {
            const blob = await download(exportRequest(eventId, list, clean));
            saveBlob(blob, `${list}-${eventId.slice(0, 8)}.csv`);
          })
        }
      >
        {action.busy ? t("common.sending") : (label ?? t("lists.exportCsv"))}
      </button>
      <ErrorNotice error={action.error} />
    </span>
  );
}
