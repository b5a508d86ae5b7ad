/**
 * Sign-in: email and password, then the 2FA code when the account has it
 * (sent by email or SMS, or from an authenticator app); a recovery code is
 * accepted in the same field.
 */
import { useState } from "react";
import { api, call } from "../api/client.ts";
import { useSession } from "../auth/session.tsx";
import { useI18n } from "../i18n/index.tsx";
import { LANGUAGES, LANGUAGE_NAMES } from "../i18n/messages.ts";
import { Form, TextField, useForm } from "../ui/form.tsx";

export function SignIn() {
  const { t, language, setLanguage } = useI18n();
  const session = useSession();
  const [mfa, setMfa] = useState<{ token: string; method: "SMS" | "EMAIL" | "TOTP" } | null>(null);
  const [resent, setResent] = useState(false);
  const credentials = useForm({ email: "", password: "" });
  const code = useForm({ code: "" });

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1>{t("app.title")}</h1>
        <label className="language">
          <span>{t("app.language")}</span>
          <select value={language} onChange={(event) => setLanguage(event.target.value as typeof language)}>
            {LANGUAGES.map((code) => (
              <option key={code} value={code} lang={code}>
                {LANGUAGE_NAMES[code]}
              </option>
            ))}
          </select>
        </label>
        {!mfa ? (
          <Form
            form={credentials}
            label={t("signin.title")}
            submitLabel={t("signin.submit")}
            onSubmit={async (values) => {
              const result = await session.signIn(String(values.email).trim(), String(values.password));
              if (result.kind === "mfa") setMfa({ token: result.mfa_token, method: result.method });
            }}
          >
            <h2>{t("signin.title")}</h2>
            <TextField form={credentials} name="email" label={t("signin.email")} type="email" autoComplete="username" required />
            <TextField form={credentials} name="password" label={t("signin.password")} type="password" autoComplete="current-password" required />
          </Form>
        ) : (
          <Form
            form={code}
            label={t("signin.mfaTitle")}
            submitLabel={t("signin.verify")}
            onSubmit={async (values) => {
              await session.verifyCode(mfa.token, String(values.code).trim());
            }}
            extraActions={
              mfa.method !== "TOTP" && (
                <button
                  type="button"
                  className="secondary"
                  onClick={() =>
                    void code.submit(async () => {
                      const next = await call(() => api.POST("/v1/auth/login/2fa/resend", { body: { mfa_token: mfa.token } }));
                      setMfa({ token: next.mfa_token, method: next.method });
                      setResent(true);
                    })
                  }
                >
                  {t("signin.resend")}
                </button>
              )
            }
          >
            <h2>{t("signin.mfaTitle")}</h2>
            <p>{t(mfa.method === "TOTP" ? "signin.mfaTotp" : mfa.method === "SMS" ? "signin.mfaSms" : "signin.mfaEmail")}</p>
            {resent && <p role="status">{t("signin.resent")}</p>}
            <TextField form={code} name="code" label={t("signin.code")} inputMode="numeric" autoComplete="one-time-code" required />
          </Form>
        )}
      </div>
    </main>
  );
}
