/**
 * Forms: values kept as typed (never reset when a request fails), the API's
 * problem+json shown beside the field each error names (`errors[].path`, e.g.
 * `zones.0.name`), the rest above the buttons, and focus moved to the first
 * field in error. Field names are the API's body paths.
 */
import { useCallback, useId, useRef, useState, type FormEvent, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";
import { ApiError } from "../api/client.ts";
import { useI18n } from "../i18n/index.tsx";

export type Values = Record<string, string | boolean>;

export interface FormState<V extends Values> {
  values: V;
  set<K extends keyof V>(name: K, value: V[K]): void;
  setAll(values: Partial<V>): void;
  errors: Record<string, string>;
  /** Errors the form shows above its buttons: a problem with no field, or fields it does not render. */
  problem: string | null;
  submitting: boolean;
  fieldId(name: string): string;
  register(name: string): void;
  /** Runs a request; on an ApiError its fields are shown and the values kept. Returns whether it succeeded. */
  submit(run: (values: V) => Promise<void>): Promise<boolean>;
  fail(error: unknown): void;
  reset(values: V): void;
}

export function useForm<V extends Values>(initial: V): FormState<V> {
  const [values, setValues] = useState<V>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const prefix = useId();
  const rendered = useRef(new Set<string>());
  const { t } = useI18n();

  const fieldId = useCallback((name: string) => `${prefix}-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`, [prefix]);

  const fail = useCallback(
    (error: unknown) => {
      if (!(error instanceof ApiError)) {
        setProblem(error instanceof Error ? error.message : String(error));
        return;
      }
      const byField: Record<string, string> = {};
      const elsewhere: string[] = [];
      for (const item of error.problem.errors ?? []) {
        // A body field or a query parameter (a search form) shows under the field of that name.
        const path = item.path.replace(/^(body|query)\.?/, "");
        // `price_tiers.1.to` shows under the field that edits `price_tiers`, naming the part.
        const parts = path.split(".");
        const owner = parts.map((_, i) => parts.slice(0, parts.length - i).join(".")).find((prefix) => rendered.current.has(prefix));
        if (owner) byField[owner] ??= owner === path ? item.message : `${path.slice(owner.length + 1)}: ${item.message}`;
        else elsewhere.push(path ? `${path}: ${item.message}` : item.message);
      }
      setErrors(byField);
      const lead = error.status === 0 ? t("error.network") : (error.problem.detail ?? error.problem.title);
      setProblem(Object.keys(byField).length && !elsewhere.length ? t("error.fields") : [lead, ...elsewhere].join(" — "));
      // Focus the first field the API named, so a keyboard or screen reader user lands on it.
      const first = Object.keys(byField)[0];
      if (first) requestAnimationFrame(() => document.getElementById(fieldId(first))?.focus());
    },
    [fieldId, t],
  );

  const submit = useCallback(
    async (run: (values: V) => Promise<void>) => {
      setSubmitting(true);
      setErrors({});
      setProblem(null);
      try {
        await run(values);
        return true;
      } catch (error) {
        fail(error);
        return false;
      } finally {
        setSubmitting(false);
      }
    },
    [values, fail],
  );

  return {
    values,
    set: (name, value) => {
      setValues((current) => ({ ...current, [name]: value }));
      setErrors((current) => {
        if (!(name as string in current)) return current;
        const { [name as string]: _removed, ...rest } = current;
        return rest;
      });
    },
    setAll: (next) => setValues((current) => ({ ...current, ...next })),
    errors,
    problem,
    submitting,
    fieldId,
    register: (name) => rendered.current.add(name),
    submit,
    fail,
    reset: (next) => {
      setValues(next);
      setErrors({});
      setProblem(null);
    },
  };
}

export function Form<V extends Values>({
  form,
  onSubmit,
  children,
  submitLabel,
  extraActions,
  label,
}: {
  form: FormState<V>;
  onSubmit: (values: V) => Promise<void>;
  children: ReactNode;
  submitLabel: string;
  extraActions?: ReactNode;
  label?: string;
}) {
  const { t } = useI18n();
  const onFormSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit(onSubmit);
  };
  return (
    <form className="form" onSubmit={onFormSubmit} noValidate aria-label={label} aria-busy={form.submitting}>
      {children}
      {form.problem && (
        <p className="form-problem" role="alert">
          {form.problem}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={form.submitting}>
          {form.submitting ? t("common.sending") : submitLabel}
        </button>
        {extraActions}
      </div>
    </form>
  );
}

type FieldProps<V extends Values> = {
  form: FormState<V>;
  name: keyof V & string;
  label: string;
  hint?: string;
};

function FieldFrame<V extends Values>({ form, name, label, hint, children }: FieldProps<V> & { children: ReactNode }) {
  form.register(name);
  const id = form.fieldId(name);
  const error = form.errors[name];
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

function describedBy(id: string, hint: boolean, error: boolean): string | undefined {
  return [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
}

export function TextField<V extends Values>(props: FieldProps<V> & Omit<InputHTMLAttributes<HTMLInputElement>, "form" | "name">) {
  const { form, name, label, hint, ...input } = props;
  const id = form.fieldId(name);
  const error = form.errors[name];
  return (
    <FieldFrame form={form} name={name} label={label} hint={hint}>
      <input
        {...input}
        id={id}
        name={name}
        value={String(form.values[name] ?? "")}
        onChange={(event) => form.set(name, event.target.value as V[typeof name])}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, Boolean(hint), Boolean(error))}
      />
    </FieldFrame>
  );
}

export function TextArea<V extends Values>(props: FieldProps<V> & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "form" | "name">) {
  const { form, name, label, hint, ...input } = props;
  const id = form.fieldId(name);
  const error = form.errors[name];
  return (
    <FieldFrame form={form} name={name} label={label} hint={hint}>
      <textarea
        rows={4}
        {...input}
        id={id}
        name={name}
        value={String(form.values[name] ?? "")}
        onChange={(event) => form.set(name, event.target.value as V[typeof name])}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, Boolean(hint), Boolean(error))}
      />
    </FieldFrame>
  );
}

export function SelectField<V extends Values>(
  props: FieldProps<V> & Omit<SelectHTMLAttributes<HTMLSelectElement>, "form" | "name"> & { options: { value: string; label: string }[]; empty?: string },
) {
  const { form, name, label, hint, options, empty, ...select } = props;
  const id = form.fieldId(name);
  const error = form.errors[name];
  return (
    <FieldFrame form={form} name={name} label={label} hint={hint}>
      <select
        {...select}
        id={id}
        name={name}
        value={String(form.values[name] ?? "")}
        onChange={(event) => form.set(name, event.target.value as V[typeof name])}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, Boolean(hint), Boolean(error))}
      >
        {empty !== undefined && <option value="">{empty}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

export function CheckboxField<V extends Values>(props: FieldProps<V>) {
  const { form, name, label, hint } = props;
  form.register(name);
  const id = form.fieldId(name);
  const error = form.errors[name];
  return (
    <div className={`field field-check${error ? " field-invalid" : ""}`}>
      <input
        type="checkbox"
        id={id}
        name={name}
        checked={Boolean(form.values[name])}
        onChange={(event) => form.set(name, event.target.checked as V[typeof name])}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, Boolean(hint), Boolean(error))}
      />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** Optional text: "" → undefined, so the API's default applies. */
export const optional = (value: string | boolean | undefined): string | undefined => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);
/** Optional text on an edit: "" → null, which clears the field. */
export const nullable = (value: string | boolean | undefined): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim() : null);
/**
 * A number field: "" → undefined; text that is not a number is sent as is,
 * so the API names the field.
 */
export function numberOrText(value: string | boolean | undefined): number | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const n = Number(value);
  return (Number.isFinite(n) ? n : value) as number;
}
