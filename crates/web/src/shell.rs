//! The layout every page is drawn in: top bar, navigation to what the user may open, the
//! language switch, and error pages in the same frame.

use askama::Template;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use shtab_core::auth::Permission;

use crate::auth::CurrentUser;
use crate::error::ErrorPage;
use crate::i18n::{Lang, Locale, pick};
use crate::state::AppState;

/// One entry of the navigation. Capabilities add theirs when they are enabled.
#[derive(Debug, Clone)]
pub struct NavEntry {
    pub href: &'static str,
    pub label_ru: &'static str,
    pub label_en: &'static str,
    /// Shown only to users who have it.
    pub permission: Option<Permission>,
}

#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// What the layout needs; every page template has a `shell` field.
#[derive(Debug, Clone)]
pub struct Shell {
    pub t: &'static ShellTexts,
    pub locale: Locale,
    pub title: String,
    pub user_name: String,
    pub csrf: String,
    pub nav: Vec<NavLink>,
}

impl Shell {
    /// The frame for a logged-in page. `active` is the navigation entry to highlight.
    pub fn new(
        state: &AppState,
        user: &CurrentUser,
        lang: Lang,
        title: impl Into<String>,
        active: &str,
    ) -> Shell {
        let nav = state
            .nav
            .iter()
            .filter(|e| e.permission.is_none_or(|p| user.can(p)))
            .map(|e| NavLink {
                href: e.href,
                label: if lang.0 == Locale::En {
                    e.label_en
                } else {
                    e.label_ru
                },
                active: e.href == active,
            })
            .collect();
        Shell {
            t: texts(lang.0),
            locale: lang.0,
            title: title.into(),
            user_name: user.user().full_name.clone(),
            csrf: user.csrf().to_string(),
            nav,
        }
    }

    /// The frame for pages shown before login.
    pub fn anonymous(lang: Lang, title: impl Into<String>) -> Shell {
        Shell {
            t: texts(lang.0),
            locale: lang.0,
            title: title.into(),
            user_name: String::new(),
            csrf: String::new(),
            nav: Vec::new(),
        }
    }

    pub fn lang_code(&self) -> &'static str {
        self.locale.code()
    }
}

/// The platform's own navigation entries, before the capabilities'.
pub fn platform_nav() -> Vec<NavEntry> {
    vec![
        NavEntry {
            href: "/",
            label_ru: "Главная",
            label_en: "Home",
            permission: None,
        },
        NavEntry {
            href: "/people",
            label_ru: "Люди",
            label_en: "People",
            permission: Some(Permission::PeopleRead),
        },
        NavEntry {
            href: "/tasks",
            label_ru: "Задачи",
            label_en: "Tasks",
            permission: Some(Permission::TasksRead),
        },
    ]
}

/// Administration entries, listed after the capabilities'.
pub fn admin_nav() -> Vec<NavEntry> {
    vec![
        NavEntry {
            href: "/robots",
            label_ru: "Роботы",
            label_en: "Robots",
            permission: Some(Permission::RobotsRead),
        },
        NavEntry {
            href: "/users",
            label_ru: "Пользователи",
            label_en: "Users",
            permission: Some(Permission::UsersManage),
        },
        NavEntry {
            href: "/tokens",
            label_ru: "API-токены",
            label_en: "API tokens",
            permission: None,
        },
        NavEntry {
            href: "/audit",
            label_ru: "Журнал",
            label_en: "Audit log",
            permission: Some(Permission::AuditRead),
        },
        NavEntry {
            href: "/notifications",
            label_ru: "Уведомления",
            label_en: "Notifications",
            permission: None,
        },
        NavEntry {
            href: "/settings",
            label_ru: "Настройки",
            label_en: "Settings",
            permission: None,
        },
        NavEntry {
            href: "/api/docs",
            label_ru: "API",
            label_en: "API",
            permission: None,
        },
    ]
}

#[derive(Debug)]
pub struct ShellTexts {
    pub product: &'static str,
    pub menu: &'static str,
    pub logout: &'static str,
    pub settings: &'static str,
    pub language: &'static str,
    pub other_language: &'static str,
    pub other_language_code: &'static str,
    pub error_title: &'static str,
    pub error_forbidden: &'static str,
    pub error_not_found: &'static str,
    pub error_bad_request: &'static str,
    pub error_unavailable: &'static str,
    pub error_internal: &'static str,
    pub error_csrf: &'static str,
    pub back_home: &'static str,
    pub save: &'static str,
    pub cancel: &'static str,
    pub saved: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub nothing_found: &'static str,
}

static RU: ShellTexts = ShellTexts {
    product: "Штаб",
    menu: "Меню",
    logout: "Выйти",
    settings: "Настройки",
    language: "Язык",
    other_language: "English",
    other_language_code: "en",
    error_title: "Ошибка",
    error_forbidden: "У вас нет прав на это действие.",
    error_not_found: "Такой страницы нет.",
    error_bad_request: "Запрос не может быть выполнен.",
    error_unavailable: "База данных недоступна. Повторите попытку через минуту.",
    error_internal: "Внутренняя ошибка. Она записана в журнал сервера.",
    error_csrf: "Форма устарела. Обновите страницу и отправьте её снова.",
    back_home: "На главную",
    save: "Сохранить",
    cancel: "Отмена",
    saved: "Сохранено.",
    search: "Найти",
    search_placeholder: "Поиск ( / )",
    previous: "← Назад",
    next: "Дальше →",
    nothing_found: "Ничего не найдено.",
};

static EN: ShellTexts = ShellTexts {
    product: "Shtab",
    menu: "Menu",
    logout: "Log out",
    settings: "Settings",
    language: "Language",
    other_language: "Русский",
    other_language_code: "ru",
    error_title: "Error",
    error_forbidden: "You are not allowed to do this.",
    error_not_found: "There is no such page.",
    error_bad_request: "The request cannot be carried out.",
    error_unavailable: "The database is unavailable. Try again in a minute.",
    error_internal: "Internal error. It was written to the server log.",
    error_csrf: "The form has expired. Reload the page and submit it again.",
    back_home: "Home",
    save: "Save",
    cancel: "Cancel",
    saved: "Saved.",
    search: "Search",
    search_placeholder: "Search ( / )",
    previous: "← Previous",
    next: "Next →",
    nothing_found: "Nothing found.",
};

pub fn texts(locale: Locale) -> &'static ShellTexts {
    pick(locale, &RU, &EN)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    shell: Shell,
    message: String,
    detail: Option<String>,
}

/// Renders [`ErrorPage`] markers left by handlers inside the layout, in the request's
/// language. Runs inside authentication, so it knows who is asking.
pub async fn error_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let lang = req
        .extensions()
        .get::<Lang>()
        .copied()
        .unwrap_or(Lang(state.config.default_locale()));
    let user = req.extensions().get::<CurrentUser>().cloned();
    let response = next.run(req).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let t = texts(lang.0);
    let message = match page.status {
        StatusCode::FORBIDDEN => t.error_forbidden,
        StatusCode::NOT_FOUND => t.error_not_found,
        StatusCode::SERVICE_UNAVAILABLE => t.error_unavailable,
        StatusCode::INTERNAL_SERVER_ERROR => t.error_internal,
        _ => t.error_bad_request,
    };
    let shell = match &user {
        Some(u) => Shell::new(&state, u, lang, t.error_title, ""),
        None => Shell::anonymous(lang, t.error_title),
    };
    let body = ErrorTemplate {
        shell,
        message: message.to_string(),
        detail: page.detail,
    }
    .render()
    .unwrap_or_else(|_| message.to_string());
    (page.status, Html(body)).into_response()
}

/// The answer to a form posted without its CSRF token (the session is fine; the page is old).
pub fn csrf_refusal(locale: Locale) -> Response {
    (StatusCode::FORBIDDEN, texts(locale).error_csrf).into_response()
}
