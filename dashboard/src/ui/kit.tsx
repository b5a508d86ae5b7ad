/**
 * The pieces every screen is made of: a page with its heading, lists paged by
 * cursor, loading and error states, dialogs (native `<dialog>`: focus kept
 * inside, Escape closes), status badges and announcements for screen readers.
 */
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { ApiError } from "../api/client.ts";
import { useI18n } from "../i18n/index.tsx";

export function Page({ title, actions, children, lead }: { title: string; actions?: ReactNode; children: ReactNode; lead?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // A new screen: focus its heading, so keyboard and screen reader users start there.
  useEffect(() => {
    heading.current?.focus();
  }, [title]);
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title" tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {actions && <div className="page-actions">{actions}</div>}
      </header>
      {lead && <div className="page-lead">{lead}</div>}
      {children}
    </section>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <header className="card-header">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function ErrorNotice({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  const text = error instanceof ApiError ? (error.status === 0 ? t("error.network") : (error.problem.detail ?? error.problem.title)) : String(error);
  return (
    <p className="notice notice-error" role="alert">
      {text}
    </p>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="loading" role="status">
      {t("common.loading")}
    </p>
  );
}

/** A value loaded once (and again on `reload`), with its error. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void; setData: (value: T) => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!current) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, version]);
  return { data, error, loading, reload: useCallback(() => setVersion((v) => v + 1), []), setData };
}

export interface PageOf<T> {
  data: T[];
  next_cursor: string | null;
}

/** A list read page by page with the API's cursors; `reload` starts again from the first page. */
export function usePaged<T>(load: (cursor: string | undefined) => Promise<PageOf<T>>, deps: unknown[]) {
  const [rows, setRows] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load(undefined).then(
      (page) => {
        if (!current) return;
        setRows(page.data);
        setNext(page.next_cursor);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!current) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, version]);
  const more = useCallback(async () => {
    if (!next) return;
    setLoading(true);
    try {
      const page = await load(next);
      setRows((current) => [...current, ...page.data]);
      setNext(page.next_cursor);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [next, ...deps]);
  return { rows, setRows, hasMore: next !== null, more, error, loading, reload: useCallback(() => setVersion((v) => v + 1), []) };
}

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** Numbers and amounts line up at the end. */
  numeric?: boolean;
}

export function DataTable<T>({
  rows,
  columns,
  rowKey,
  caption,
  empty,
  paged,
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  caption: string;
  empty?: string;
  paged?: { hasMore: boolean; more: () => void; loading: boolean };
}) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column, i) => (
              <th key={i} scope="col" className={column.numeric ? "numeric" : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && !paged?.loading ? (
            <tr>
              <td colSpan={columns.length} className="empty">
                {empty ?? t("common.empty")}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((column, i) => (
                  <td key={i} className={column.numeric ? "numeric" : undefined}>
                    {column.cell(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
      {paged?.loading && <Loading />}
      {paged?.hasMore && !paged.loading && (
        <button type="button" className="more" onClick={paged.more}>
          {t("common.more")}
        </button>
      )}
    </div>
  );
}

export function Dialog({ open, onClose, title, children }: { open: boolean; onClose: () => void; title: string; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { t } = useI18n();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby={open ? "dialog-title" : undefined} className="dialog">
      {open && (
        <>
          <header className="dialog-header">
            <h2 id="dialog-title">{title}</h2>
            <button type="button" className="ghost" onClick={onClose} aria-label={t("common.close")}>
              ×
            </button>
          </header>
          {children}
        </>
      )}
    </dialog>
  );
}

export function Badge({ tone, children }: { tone?: "ok" | "warn" | "bad" | "info"; children: ReactNode }) {
  return <span className={`badge badge-${tone ?? "info"}`}>{children}</span>;
}

const TONES: Record<string, "ok" | "warn" | "bad" | "info"> = {
  APPROVED: "ok", ACTIVE: "ok", PAID: "ok", CONFIRMED: "ok", SUCCESS: "ok", COMPLETED: "ok", ENABLED: "ok", REPLAYED: "ok", SENT: "ok", DELIVERED: "ok", RESOLVED: "ok", SETTLED: "ok", USED: "ok",
  PENDING: "warn", PENDING_REVIEW: "warn", PENDING_PAYMENT: "warn", HELD: "warn", DRAFT: "warn", WARNING: "warn", SUSPENDED: "warn", IN_PROGRESS: "warn", PROCESSING: "warn", NEW: "warn", OPEN: "warn", SCHEDULED: "warn",
  REJECTED: "bad", CANCELLED: "bad", FAILED: "bad", DENIED: "bad", ERROR: "bad", EXPIRED: "bad", BLOCKED: "bad", REFUNDED: "bad", INACTIVE: "bad", DEAD: "bad",
};

/** An enum value as a coloured badge with its translated label. */
export function StatusBadge({ value }: { value: string | null | undefined }) {
  const { t } = useI18n();
  if (!value) return <>—</>;
  const key = `status.${value}` as Parameters<typeof t>[0];
  const label = t(key);
  return <Badge tone={TONES[value]}>{label === key ? value : label}</Badge>;
}

/** A polite live region: what just happened, read out and shown. */
export function useAnnouncer(): [ReactNode, (text: string) => void] {
  const [text, setText] = useState("");
  const node = (
    <p className={text ? "notice notice-ok" : "visually-hidden"} role="status" aria-live="polite">
      {text}
    </p>
  );
  return [node, setText];
}

/** Runs an action once at a time and reports its error. */
export function useAction(): { busy: boolean; error: unknown; run: (action: () => Promise<void>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (failure) {
      setError(failure);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}
