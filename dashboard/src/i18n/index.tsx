/**
 * Languages: French first (bundled), English and Arabic loaded on demand.
 * Arabic turns the whole document right to left (`<html dir="rtl">`); the
 * styles use logical properties, so the layout mirrors by itself.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { fr, LANGUAGES, type Language, type MessageKey, type Messages } from "./messages.ts";
import { formatDate, formatDateTime, formatMoney, formatNumber } from "./format.ts";

const STORAGE_KEY = "dashboard.language";
const loaders: Record<Language, () => Promise<Messages>> = {
  fr: async () => fr,
  en: async () => (await import("./en.ts")).en,
  ar: async () => (await import("./ar.ts")).ar,
};

export const isLanguage = (value: unknown): value is Language => typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  return isLanguage(stored) ? stored : "fr";
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

interface I18n {
  language: Language;
  dir: "ltr" | "rtl";
  t: Translate;
  setLanguage(language: Language): void;
  money(amount: number, currency: string): string;
  number(value: number): string;
  dateTime(iso: string | null | undefined, timeZone?: string): string;
  date(iso: string | null | undefined): string;
}

const I18nContext = createContext<I18n | null>(null);

function interpolate(text: string, values?: Record<string, string | number>): string {
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const [messages, setMessages] = useState<Messages>(fr);
  useEffect(() => {
    let current = true;
    void loaders[language]().then((loaded) => {
      if (current) setMessages(loaded);
    });
    const dir = language === "ar" ? "rtl" : "ltr";
    document.documentElement.lang = language;
    document.documentElement.dir = dir;
    return () => {
      current = false;
    };
  }, [language]);
  const setLanguage = useCallback((next: Language) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLanguageState(next);
  }, []);
  const value = useMemo<I18n>(() => {
    const t: Translate = (key, values) => interpolate(messages[key] ?? fr[key] ?? key, values);
    return {
      language,
      dir: language === "ar" ? "rtl" : "ltr",
      t,
      setLanguage,
      money: (amount, currency) => formatMoney(amount, currency, language),
      number: (n) => formatNumber(n, language),
      dateTime: (iso, timeZone) => formatDateTime(iso, language, timeZone),
      date: (iso) => formatDate(iso, language),
    };
  }, [language, messages, setLanguage]);
  useEffect(() => {
    document.title = value.t("app.title");
  }, [value]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (!context) throw new Error("useI18n outside I18nProvider");
  return context;
}

export type { Language, MessageKey };
