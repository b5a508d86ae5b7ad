/**
 * The frame around every screen: a skip link, the navigation of the sections
 * the account's roles open, the language switch and sign-out; the screen
 * itself loads lazily (its own chunk) in the main region.
 */
import { Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { useSession } from "../auth/session.tsx";
import { useI18n } from "../i18n/index.tsx";
import { LANGUAGES, LANGUAGE_NAMES } from "../i18n/messages.ts";
import { Loading } from "../ui/kit.tsx";
import { Link, navigate, useLocation } from "./router.tsx";
import { AccessContext, accessOf, RolesContext } from "./access.tsx";
import { findRoute, navigation, opens } from "./routes.tsx";

export function Shell() {
  const { t, language, setLanguage } = useI18n();
  const session = useSession();
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const access = useMemo(() => accessOf(session.user, session.assignments, session.organizations), [session.user, session.assignments, session.organizations]);
  const sections = navigation(access);
  const found = findRoute(path);
  const allowedPath = useCallback((target: string) => opens(access, target), [access]);

  useEffect(() => setMenuOpen(false), [path]);
  // The start page: the first screen the account may open.
  useEffect(() => {
    if (path === "/" && sections[0]?.items[0]) navigate(sections[0].items[0].path, { replace: true });
  }, [path, sections]);

  const allowed = found && found.route.allow(access);
  const Screen = found?.route.screen;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t("app.skip")}
      </a>
      <header className="topbar">
        <button type="button" className="ghost menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen((open) => !open)}>
          {t("app.menu")}
        </button>
        <Link to="/" className="brand">
          {t("app.title")}
        </Link>
        <div className="topbar-end">
          <label className="language">
            <span className="visually-hidden">{t("app.language")}</span>
            <select value={language} onChange={(event) => setLanguage(event.target.value as typeof language)} aria-label={t("app.language")}>
              {LANGUAGES.map((code) => (
                <option key={code} value={code} lang={code}>
                  {LANGUAGE_NAMES[code]}
                </option>
              ))}
            </select>
          </label>
          <span className="who" title={session.user?.email}>
            {session.user ? `${session.user.first_name} ${session.user.last_name}` : ""}
          </span>
          <button type="button" className="ghost" onClick={() => void session.signOut()}>
            {t("app.signOut")}
          </button>
        </div>
      </header>
      <nav id="nav" className={`nav${menuOpen ? " nav-open" : ""}`} aria-label={t("app.navigation")}>
        {sections.map((section) => (
          <div key={section.title} className="nav-section">
            <h2>{t(section.title)}</h2>
            <ul>
              {section.items.map((item) => (
                <li key={item.path}>
                  <Link to={item.path} aria-current={path === item.path || path.startsWith(`${item.path}/`) ? "page" : undefined}>
                    {t(item.label)}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        {Screen && allowed ? (
          <AccessContext.Provider value={allowedPath}>
            <RolesContext.Provider value={access}>
              <Suspense fallback={<Loading />}>
                <Screen params={found.params} />
              </Suspense>
            </RolesContext.Provider>
          </AccessContext.Provider>
        ) : path === "/" ? (
          sections.length === 0 && (
            <section className="page">
              <h1>{t("app.title")}</h1>
              <p className="notice">{t("app.noAccess")}</p>
              <p>
                <Link to="/join">{t("app.joinTeam")}</Link>
              </p>
            </section>
          )
        ) : (
          <section className="page">
            <h1>{found ? t("app.forbidden") : t("app.notFound")}</h1>
            <p>
              <Link to="/">{t("app.home")}</Link>
            </p>
          </section>
        )}
      </main>
    </div>
  );
}
