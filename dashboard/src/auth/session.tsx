/**
 * Who is signed in: the account (`/v1/me`) and the places their roles open,
 * for navigation. Sign-in is two steps when the account has 2FA (the API
 * answers `mfa_required` with a token for the code).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, call, type Schemas } from "../api/client.ts";
import { clearTokens, hasSession, keepFresh, onTokensChange, sessionId, storeTokens } from "./tokens.ts";

export type User = Schemas["User"];
export type StaffAssignment = Schemas["StaffAssignment"];
export type Organization = Schemas["Organization"];

type Status = "loading" | "signed-out" | "signed-in";

export type SignInResult = { kind: "done" } | { kind: "mfa"; mfa_token: string; method: "SMS" | "EMAIL" | "TOTP" };

interface Session {
  status: Status;
  user: User | null;
  /** Events where the account is gate staff (controller or supervisor). */
  assignments: StaffAssignment[];
  /** The organizations the account belongs to, with its team role in each. */
  organizations: Organization[];
  signIn(email: string, password: string): Promise<SignInResult>;
  verifyCode(mfaToken: string, code: string): Promise<void>;
  signOut(): Promise<void>;
  reload(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>(hasSession() ? "loading" : "signed-out");
  const [user, setUser] = useState<User | null>(null);
  const [assignments, setAssignments] = useState<StaffAssignment[]>([]);
  const [organizations, setOrganizations] = useState<Organization[]>([]);

  const reload = useCallback(async () => {
    if (!hasSession()) {
      setUser(null);
      setStatus("signed-out");
      return;
    }
    try {
      const [me, staff, teams] = await Promise.all([
        call(() => api.GET("/v1/me")),
        call(() => api.GET("/v1/me/staff-assignments", { params: { query: { limit: 100 } } })),
        call(() => api.GET("/v1/organizations", { params: { query: { limit: 100 } } })),
      ]);
      setUser(me);
      setAssignments(staff.data);
      setOrganizations(teams.data);
      setStatus("signed-in");
    } catch {
      if (!hasSession()) {
        setUser(null);
        setStatus("signed-out");
      }
    }
  }, []);

  useEffect(() => {
    void reload();
    const stop = keepFresh();
    // Signed out in another tab, or the refresh token refused.
    const unsubscribe = onTokensChange(() => {
      if (!hasSession()) {
        setUser(null);
        setStatus("signed-out");
      }
    });
    return () => {
      stop();
      unsubscribe();
    };
  }, [reload]);

  const signIn = useCallback(
    async (email: string, password: string): Promise<SignInResult> => {
      const result = await call(() => api.POST("/v1/auth/login", { body: { email, password } }));
      if ("mfa_required" in result) return { kind: "mfa", mfa_token: result.mfa_token, method: result.method };
      storeTokens(result);
      await reload();
      return { kind: "done" };
    },
    [reload],
  );

  const verifyCode = useCallback(
    async (mfaToken: string, code: string) => {
      const pair = await call(() => api.POST("/v1/auth/login/2fa", { body: { mfa_token: mfaToken, code } }));
      storeTokens(pair);
      await reload();
    },
    [reload],
  );

  const signOut = useCallback(async () => {
    if (sessionId()) await call(() => api.POST("/v1/auth/logout")).catch(() => undefined);
    clearTokens();
    setUser(null);
    setAssignments([]);
    setOrganizations([]);
    setStatus("signed-out");
  }, []);

  const value = useMemo(() => ({ status, user, assignments, organizations, signIn, verifyCode, signOut, reload }), [status, user, assignments, organizations, signIn, verifyCode, signOut, reload]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const context = useContext(SessionContext);
  if (!context) throw new Error("useSession outside SessionProvider");
  return context;
}
