import { useState, type ReactNode } from "react";
import { useI18n } from "../i18n/index.tsx";
import { Badge, Dialog, useAction, useAnnouncer } from "./kit.tsx";

/**
 * The create-and-edit flow the catalogue and settings screens share: a "new" button, one dialog
 * holding the form of the row being edited (or an empty one), and what follows a save (dialog
 * closed, "Saved" announced, the list reloaded), and deleting a row (then the list reloaded).
 */
export function useEditor<T>({ newLabel, onSaved }: { newLabel: string; onSaved: () => void }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState<T | "new" | null>(null);
  const [announcement, announce] = useAnnouncer();
  const deletion = useAction();
  const saved = () => {
    setEditing(null);
    announce(t("common.saved"));
    onSaved();
  };
  return {
    /** The live region to place at the top of the page. */
    announcement,
    announce,
    edit: (row: T) => setEditing(row),
    /** Sends a row's deletion, then reloads; `busy` and `error` report it. */
    remove: (request: () => Promise<unknown>) =>
      deletion.run(async () => {
        await request();
        onSaved();
      }),
    busy: deletion.busy,
    error: deletion.error,
    newButton: (
      <button type="button" className="primary" onClick={() => setEditing("new")}>
        {newLabel}
      </button>
    ),
    /** The dialog; `form` gets the row (null for a new one) and the callback for a successful save. */
    dialog: (form: (row: T | null, saved: () => void) => ReactNode) => (
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing === "new" ? newLabel : t("common.edit")}>
        {editing !== null && form(editing === "new" ? null : editing, saved)}
      </Dialog>
    ),
  };
}

/** A row's buttons: edit, any others, then delete after a confirmation. */
export function RowActions({ onEdit, onDelete, busy, children }: { onEdit?: () => void; onDelete?: () => unknown; busy?: boolean; children?: ReactNode }) {
  const { t } = useI18n();
  return (
    <div className="row-actions">
      {onEdit && (
        <button type="button" className="small" onClick={onEdit}>
          {t("common.edit")}
        </button>
      )}
      {children}
      {onDelete && (
        <button type="button" className="small danger" disabled={busy} onClick={() => confirm(t("common.confirmDelete")) && void onDelete()}>
          {t("common.delete")}
        </button>
      )}
    </div>
  );
}

/** A yes/no flag such as "active" as a badge. */
export function YesNo({ value, yesTone = "ok" }: { value: boolean; yesTone?: "ok" | "bad" }) {
  const { t } = useI18n();
  return value ? <Badge tone={yesTone}>{t("common.yes")}</Badge> : <Badge>{t("common.no")}</Badge>;
}
