//! What the notifications API reads and writes.

use serde::{Deserialize, Serialize};
use shtab_core::notify::{Channel, Delivery, DeliveryStatus, PersonChannel, Template};
use shtab_core::time::rfc3339_ms;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Only deliveries in this state.
    #[param(schema_with = delivery_statuses)]
    pub status: Option<String>,
    /// Only deliveries by this channel.
    #[param(schema_with = channels)]
    pub channel: Option<String>,
    /// Only deliveries to this person.
    pub person_id: Option<i64>,
    /// Deliveries older than this id (the previous page's `next_before_id`).
    pub before_id: Option<i64>,
    /// How many; 50 by default.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

fn delivery_statuses() -> utoipa::openapi::schema::Object {
    crate::openapi::schemas::one_of(DeliveryStatus::ALL.map(DeliveryStatus::as_str))
}

fn channels() -> utoipa::openapi::schema::Object {
    crate::openapi::schemas::one_of(Channel::ALL.map(Channel::as_str))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryBody {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    #[schema(example = "telegram")]
    pub channel: String,
    pub target: String,
    #[schema(example = "bank.payment_needs_attention")]
    pub template: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    /// `pending` (queued or waiting to retry), `sent`, `failed` (retrying cannot help),
    /// `dead` (every attempt failed).
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

impl From<Delivery> for DeliveryBody {
    fn from(d: Delivery) -> Self {
        DeliveryBody {
            id: d.id,
            person_id: d.person_id,
            person_name: d.person_name,
            channel: d.channel,
            target: d.target,
            template: d.template_key,
            subject: d.subject,
            body: d.body,
            link: d.link,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            created_at: rfc3339_ms(d.created_at),
            sent_at: d.sent_at.map(rfc3339_ms),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryBody>,
    /// Pass as `before_id` for the next page; absent on the last page.
    pub next_before_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateBody {
    #[schema(example = "notify.test")]
    pub key: String,
    #[schema(example = "ru")]
    pub locale: String,
    /// MiniJinja text: `{{ person_name }}`, `{% if … %}`.
    pub subject: String,
    pub body: String,
    /// Changed by an admin, rather than the built-in text.
    pub customised: bool,
    pub updated_at: Option<String>,
}

impl From<Template> for TemplateBody {
    fn from(t: Template) -> Self {
        TemplateBody {
            key: t.key,
            locale: t.locale.code().into(),
            subject: t.subject,
            body: t.body,
            customised: t.customised,
            updated_at: t.updated_at.map(rfc3339_ms),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelBody {
    /// `email`, `telegram`, `webhook` or `bitrix24`.
    #[schema(example = "telegram")]
    pub channel: String,
    /// An e-mail address, a Telegram chat id (a number), an http(s) webhook URL, or a
    /// Bitrix24 portal user id (a positive number).
    #[schema(example = "123456789")]
    pub target: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl From<PersonChannel> for ChannelBody {
    fn from(c: PersonChannel) -> Self {
        ChannelBody {
            channel: c.channel.as_str().into(),
            target: c.target,
            enabled: c.enabled,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelList {
    /// The whole set: a channel left out is removed.
    pub channels: Vec<ChannelBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    /// One per enabled channel of the caller; empty when they have none.
    pub deliveries: Vec<i64>,
}
