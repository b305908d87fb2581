//! `GET /deals/{id}`: a deal's fields (with the form to change them), buttons to move it to
//! another stage, its history and the e-mails its stages sent.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use serde_json::Value;
use shtab_core::auth::Permission;
use shtab_core::time::format_ms;
use shtab_core::types::Locale;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::{PagePath, Saved};
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::deals;
use super::texts::{DealsTexts, texts};
use crate::crm::domain::{FieldKind, display_value, form_value};
use crate::crm::{DealRecord, HistoryEntry, Pipeline, SentEmail};

pub struct FieldRow {
    pub name: String,
    pub label: String,
    pub input: &'static str,
    /// What the form shows (the stored value, or what was submitted when refused).
    pub value: String,
    pub display: String,
    pub standard: bool,
}

pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub what: &'static str,
    pub detail: String,
}

pub struct EmailRow {
    pub when: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "crm/show.html")]
pub struct DealPage {
    pub shell: Shell,
    pub t: &'static DealsTexts,
    pub id: i64,
    pub title: String,
    pub stage: String,
    pub pipeline: String,
    pub responsible: Option<(i64, String)>,
    /// Whom the deal may be given to: id and name.
    pub people: Vec<(i64, String)>,
    pub created: String,
    /// The tender on the portal, when the deal came from one.
    pub tender_url: Option<String>,
    /// The deal's card where it is kept, when that is not Shtab (Bitrix24).
    pub card_url: Option<String>,
    pub saved: bool,
    pub moved: Option<String>,
    pub refusal: Option<String>,
    pub errors: FormErrors,
    pub can_write: bool,
    pub stages: Vec<(String, String)>,
    pub fields: Vec<FieldRow>,
    pub extra: Vec<(String, String)>,
    pub history: Vec<HistoryRow>,
    pub emails: Vec<EmailRow>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    moved: String,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Saved(saved): Saved,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<DealPage, PageError> {
    let moved = (!q.moved.is_empty()).then_some(q.moved);
    page(
        &state,
        &user,
        lang,
        id,
        Shown {
            saved,
            moved,
            ..Shown::default()
        },
    )
    .await
}

/// What the page says on top of the deal: a save, a move, or a refusal with what was
/// submitted.
#[derive(Default)]
pub struct Shown {
    pub saved: bool,
    /// The stage the deal was just moved to.
    pub moved: Option<String>,
    pub refusal: Option<String>,
    pub errors: Vec<shtab_core::FieldError>,
    /// The submitted form, when it was refused.
    pub submitted: Option<serde_json::Map<String, Value>>,
}

pub async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
    shown: Shown,
) -> Result<DealPage, PageError> {
    user.require(Permission::TendersRead)?;
    let locale = lang.0;
    let t = texts(locale);
    let crm = deals(state);
    let (deal, card_url) = match crm.deal(id).await {
        Err(shtab_core::CoreError::NotFound(_)) => return Err(PageError::NotFound),
        other => other?,
    };
    let pipeline = crm.pipeline(&deal.pipeline).await?;
    let history = crm.history(id).await?;
    let emails = crm.emails(id).await?;
    let tz = state.config.time_zone();
    let stage_name = |s: &str| {
        pipeline
            .stage(s)
            .map(|s| s.name(locale).to_string())
            .unwrap_or_else(|| s.to_string())
    };
    let errors = FormErrors::new(locale, &super::texts::localize(locale, shown.errors));
    Ok(DealPage {
        shell: Shell::new(state, user, lang, deal.title.clone(), "/deals"),
        t,
        id,
        title: deal.title.clone(),
        stage: stage_name(&deal.stage),
        pipeline: pipeline.name(locale).to_string(),
        responsible: deal
            .responsible
            .zip(deal.responsible_name.clone())
            .map(|(p, n)| (p.0, n)),
        people: if user.can(Permission::TendersWrite) {
            shtab_core::people::choices(&state.db, deal.responsible)
                .await?
                .into_iter()
                .map(|(p, n)| (p.0, n))
                .collect()
        } else {
            Vec::new()
        },
        // A deal kept elsewhere has no time of ours.
        created: if deal.created_at == 0 {
            String::new()
        } else {
            format_ms(deal.created_at, tz)
        },
        card_url,
        tender_url: deal
            .fields
            .get("tender_url")
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_string),
        saved: shown.saved,
        moved: shown.moved.map(|s| match locale {
            Locale::Ru => format!("«{}»", stage_name(&s)),
            Locale::En => format!("“{}”", stage_name(&s)),
        }),
        refusal: shown.refusal,
        errors,
        can_write: user.can(Permission::TendersWrite),
        stages: pipeline
            .stages
            .iter()
            .filter(|s| s.id != deal.stage)
            .map(|s| (s.id.clone(), s.name(locale).to_string()))
            .collect(),
        fields: field_rows(&pipeline, &deal, locale, shown.submitted.as_ref()),
        extra: deal
            .fields
            .iter()
            .filter(|(k, _)| pipeline.field(k).is_none())
            .map(|(k, v)| (k.clone(), display_value(None, Some(v), locale)))
            .collect(),
        history: history
            .iter()
            .map(|h| history_row(t, &pipeline, h, locale, tz))
            .collect(),
        emails: emails.iter().map(|e| email_row(t, e, tz, locale)).collect(),
    })
}

fn field_rows(
    pipeline: &Pipeline,
    deal: &DealRecord,
    locale: Locale,
    submitted: Option<&serde_json::Map<String, Value>>,
) -> Vec<FieldRow> {
    pipeline
        .fields
        .iter()
        .map(|f| {
            let stored = deal.fields.get(&f.name);
            let value = match submitted.and_then(|s| s.get(&f.name)) {
                Some(Value::String(s)) => s.clone(),
                _ => form_value(f.kind, stored),
            };
            FieldRow {
                name: f.name.clone(),
                label: f.label(locale).to_string(),
                input: match f.kind {
                    FieldKind::Email => "email",
                    FieldKind::Url => "url",
                    _ => "text",
                },
                value,
                display: display_value(Some(f.kind), stored, locale),
                standard: f.standard,
            }
        })
        .collect()
}

fn history_row(
    t: &DealsTexts,
    pipeline: &Pipeline,
    h: &HistoryEntry,
    locale: Locale,
    tz: chrono_tz::Tz,
) -> HistoryRow {
    let stage_name = |s: &Option<String>| {
        s.as_deref()
            .map(|s| {
                pipeline
                    .stage(s)
                    .map(|st| st.name(locale).to_string())
                    .unwrap_or_else(|| s.to_string())
            })
            .unwrap_or_default()
    };
    let field_label = |n: &str| {
        pipeline
            .field(n)
            .map(|f| f.label(locale).to_string())
            .unwrap_or_else(|| n.to_string())
    };
    let show =
        |n: &str, v: &Value| display_value(pipeline.field(n).map(|f| f.kind), Some(v), locale);
    let detail = match h.kind.as_str() {
        "created" => stage_name(&h.to_stage),
        "assigned" => format!(
            "{} → {}",
            h.detail["before"].as_str().unwrap_or("—"),
            h.detail["after"].as_str().unwrap_or("—")
        ),
        "moved" => format!(
            "{} → {}",
            stage_name(&h.from_stage),
            stage_name(&h.to_stage)
        ),
        "fields" => h
            .detail
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(n, c)| {
                        format!(
                            "{}: {} → {}",
                            field_label(n),
                            show(n, &c["before"]),
                            show(n, &c["after"])
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default(),
        _ => {
            let d = &h.detail;
            let what = match d["action"].as_str().unwrap_or("") {
                "email" => t.action_email,
                "notify" => t.action_notify,
                _ => t.action_set_field,
            };
            let mut s = what.to_string();
            if let Some(to) = d["to"].as_str() {
                s.push_str(&format!(" → {to}"));
            }
            if let Some(e) = d["error"].as_str() {
                s.push_str(&format!(
                    ": {}",
                    shtab_web::words::notes::in_language(e, locale)
                ));
            }
            s
        }
    };
    HistoryRow {
        when: format_ms(h.at, tz),
        who: h.actor.clone(),
        what: t.event(&h.kind),
        detail,
    }
}

fn email_row(
    t: &DealsTexts,
    e: &SentEmail,
    tz: chrono_tz::Tz,
    locale: shtab_core::types::Locale,
) -> EmailRow {
    EmailRow {
        when: format_ms(e.sent_at.unwrap_or(e.created_at), tz),
        to: e.to.clone(),
        subject: e.subject.clone(),
        body: e.body.clone(),
        status: t.email_status(&e.status),
        status_class: match e.status.as_str() {
            "sent" => "badge-ok",
            "pending" => "badge-muted",
            _ => "badge-danger",
        },
        // Why it was not sent, in the reader's language when Shtab itself said it.
        error: shtab_web::words::notes::in_language(
            e.last_error.as_deref().unwrap_or_default(),
            locale,
        ),
    }
}
