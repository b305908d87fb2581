//! The channels themselves: SMTP, the Telegram Bot API, signed webhooks and the Bitrix24 app
//! (through the [`Messenger`] port the binary hands in). Each answers with a [`JobError`] that
//! says whether trying again can help.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;
use sha2::Sha256;

use super::channels::Channel;
use crate::config::{Config, SmtpTls};
use crate::jobs::JobError;
use crate::ports::{Messenger, Notice};

/// What is sent: already rendered.
pub(super) struct Outgoing<'a> {
    pub delivery_id: i64,
    pub person_id: i64,
    pub template_key: &'a str,
    pub target: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub link: Option<&'a str>,
}

/// Whether each channel is configured; `Some(reason)` when it is not.
pub fn channel_status(config: &Config) -> Vec<(Channel, Option<&'static str>)> {
    let n = &config.notify;
    vec![
        (
            Channel::Email,
            n.email
                .smtp_host
                .trim()
                .is_empty()
                .then_some("notify.email.smtp_host is not set"),
        ),
        (
            Channel::Telegram,
            n.telegram
                .bot_token
                .is_empty()
                .then_some("notify.telegram.bot_token is not set"),
        ),
        (
            Channel::Webhook,
            n.webhook
                .signing_secret
                .is_empty()
                .then_some("notify.webhook.signing_secret is not set"),
        ),
        (
            Channel::Bitrix24,
            config
                .bitrix24
                .webhook_url
                .is_empty()
                .then_some("bitrix24.webhook_url is not set (no portal is configured)"),
        ),
    ]
}

pub(super) struct Transports {
    config: crate::config::NotifyConfig,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    smtp_error: Option<String>,
    http: reqwest::Client,
    /// The Bitrix24 app, when the binary wired a portal.
    messenger: Option<Arc<dyn Messenger>>,
}

impl Transports {
    pub fn new(config: &Config, messenger: Option<Arc<dyn Messenger>>) -> Transports {
        crate::tls::install_crypto_provider();
        let n = config.notify.clone();
        let (smtp, smtp_error) = if n.email.smtp_host.trim().is_empty() {
            (None, None)
        } else {
            match smtp_transport(&n.email) {
                Ok(t) => (Some(t), None),
                Err(e) => (None, Some(e)),
            }
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with a TLS provider installed");
        Transports {
            config: n,
            smtp,
            smtp_error,
            http,
            messenger,
        }
    }

    pub async fn send(&self, channel: Channel, msg: &Outgoing<'_>) -> Result<(), JobError> {
        let not_configured = |key: &str| {
            JobError::Permanent(format!(
                "the {} channel is not configured ({key} is not set)",
                channel.as_str()
            ))
        };
        match channel {
            Channel::Email => {
                if let Some(e) = &self.smtp_error {
                    return Err(JobError::Permanent(e.clone()));
                }
                let smtp = self
                    .smtp
                    .as_ref()
                    .ok_or_else(|| not_configured("notify.email.smtp_host"))?;
                self.email(smtp, msg).await
            }
            Channel::Telegram => {
                if self.config.telegram.bot_token.is_empty() {
                    return Err(not_configured("notify.telegram.bot_token"));
                }
                self.telegram(msg).await
            }
            Channel::Webhook => {
                if self.config.webhook.signing_secret.is_empty() {
                    return Err(not_configured("notify.webhook.signing_secret"));
                }
                self.webhook(msg).await
            }
            Channel::Bitrix24 => {
                let messenger = self
                    .messenger
                    .as_ref()
                    .ok_or_else(|| not_configured("bitrix24.webhook_url"))?;
                let notice = Notice {
                    subject: msg.subject,
                    body: msg.body,
                    link: msg.link,
                };
                Ok(messenger.notify(msg.target, &notice).await?)
            }
        }
    }

    async fn email(
        &self,
        smtp: &AsyncSmtpTransport<Tokio1Executor>,
        msg: &Outgoing<'_>,
    ) -> Result<(), JobError> {
        let from: Mailbox = self.config.email.from.parse().map_err(|e| {
            JobError::Permanent(format!("notify.email.from is not an address: {e}"))
        })?;
        let to: Mailbox = msg
            .target
            .parse()
            .map_err(|e| JobError::Permanent(format!("{} is not an address: {e}", msg.target)))?;
        let mut text = msg.body.to_string();
        if let Some(link) = msg.link {
            text.push_str("\n\n");
            text.push_str(link);
        }
        let email = plain_email(from, to, msg.subject, text)
            .map_err(|e| JobError::Permanent(format!("cannot build the message: {e}")))?;
        match smtp.send(email).await {
            Ok(_) => Ok(()),
            // 5xx: the server refused this message or recipient; sending it again will not
            // change its mind.
            Err(e) if e.is_permanent() => Err(JobError::Permanent(format!("SMTP: {e}"))),
            Err(e) => Err(JobError::Retry(format!("SMTP: {e}"))),
        }
    }

    async fn telegram(&self, msg: &Outgoing<'_>) -> Result<(), JobError> {
        let url = format!(
            "{}/bot{}/sendMessage",
            self.config.telegram.api_url.trim_end_matches('/'),
            self.config.telegram.bot_token.expose()
        );
        let mut text = format!("{}\n\n{}", msg.subject, msg.body);
        if let Some(link) = msg.link {
            text.push_str("\n\n");
            text.push_str(link);
        }
        // The Bot API refuses texts longer than 4096 characters.
        if text.chars().count() > 4096 {
            text = text.chars().take(4095).collect::<String>() + "…";
        }
        let chat_id: i64 = msg
            .target
            .parse()
            .map_err(|_| JobError::Permanent(format!("{} is not a chat id", msg.target)))?;
        let response = self
            .http
            .post(url)
            .json(&serde_json::json!({ "chat_id": chat_id, "text": text }))
            .send()
            .await
            // The URL holds the bot token: never let it into an error message.
            .map_err(|e| JobError::Retry(format!("Telegram: {}", e.without_url())))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let answer: TelegramError = response.json().await.unwrap_or_default();
        let message = format!(
            "Telegram answered {}: {}",
            status.as_u16(),
            answer.description.unwrap_or_default()
        );
        match status.as_u16() {
            429 => {
                let secs = answer
                    .parameters
                    .and_then(|p| p.retry_after)
                    .unwrap_or(30)
                    .max(1);
                Err(JobError::RetryAfter {
                    after: Duration::from_secs(secs),
                    message,
                })
            }
            s if s >= 500 => Err(JobError::Retry(message)),
            _ => Err(JobError::Permanent(message)),
        }
    }

    async fn webhook(&self, msg: &Outgoing<'_>) -> Result<(), JobError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "delivery_id": msg.delivery_id,
            "person_id": msg.person_id,
            "template": msg.template_key,
            "subject": msg.subject,
            "body": msg.body,
            "link": msg.link,
        }))
        .map_err(|e| JobError::Permanent(e.to_string()))?;
        let signature = sign(self.config.webhook.signing_secret.expose(), &body);
        let response = self
            .http
            .post(msg.target)
            .header("content-type", "application/json")
            .header("x-shtab-signature", format!("sha256={signature}"))
            .header("x-shtab-delivery", msg.delivery_id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| JobError::Retry(format!("webhook: {}", e.without_url())))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let message = format!("the webhook answered {}", status.as_u16());
        match status.as_u16() {
            429 => {
                let secs = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(60);
                Err(JobError::RetryAfter {
                    after: Duration::from_secs(secs.max(1)),
                    message,
                })
            }
            408 => Err(JobError::Retry(message)),
            s if s >= 500 => Err(JobError::Retry(message)),
            _ => Err(JobError::Permanent(message)),
        }
    }
}

/// Sends one plain-text e-mail to an outside address (a vendor, not a person in the
/// directory) through the configured SMTP server. Whether trying again can help is in the
/// error, as for the notification jobs.
pub async fn send_email(
    config: &Config,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), JobError> {
    let outgoing = Outgoing {
        delivery_id: 0,
        person_id: 0,
        template_key: "",
        target: to,
        subject,
        body,
        link: None,
    };
    Transports::new(config, None)
        .send(Channel::Email, &outgoing)
        .await
}

/// Every e-mail Shtab sends, built in one place: plain UTF-8 text with the headers mail
/// servers and clients expect. Without `Message-ID`, `Date` and `MIME-Version` many
/// servers score a message as spam, and replies cannot thread.
fn plain_email(
    from: Mailbox,
    to: Mailbox,
    subject: &str,
    text: String,
) -> Result<Message, lettre::error::Error> {
    // Unique by its random part; in the sender's domain, as RFC 5322 suggests.
    let id = format!("<{}@{}>", crate::auth::random_token(), from.email.domain());
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .date_now()
        .message_id(Some(id))
        .singlepart(SinglePart::plain(text))
}

/// Hex HMAC-SHA256 of `body` with `secret`: what `X-Shtab-Signature` carries after `sha256=`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[derive(Debug, Default, Deserialize)]
struct TelegramError {
    description: Option<String>,
    parameters: Option<TelegramParameters>,
}

#[derive(Debug, Default, Deserialize)]
struct TelegramParameters {
    retry_after: Option<u64>,
}

fn smtp_transport(
    c: &crate::config::EmailConfig,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let host = c.smtp_host.trim();
    let builder = match c.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|e| format!("notify.email: {e}"))?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
            .map_err(|e| format!("notify.email: {e}"))?,
    };
    let mut builder = builder
        .port(c.smtp_port)
        .timeout(Some(Duration::from_secs(20)));
    if !c.smtp_user.is_empty() {
        builder = builder.credentials(Credentials::new(
            c.smtp_user.clone(),
            c.smtp_password.expose().to_string(),
        ));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_carries_message_id_date_and_mime_version() {
        let from: Mailbox = "Штаб <shtab@agency.test>".parse().unwrap();
        let to: Mailbox = "ivan@agency.test".parse().unwrap();
        let raw = plain_email(from, to, "Тема", "Текст".into())
            .unwrap()
            .formatted();
        let raw = String::from_utf8_lossy(&raw);
        let header = |name: &str| {
            raw.lines()
                .take_while(|l| !l.is_empty())
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .map(str::to_string)
        };
        let id = header("Message-ID").expect("Message-ID");
        assert!(id.starts_with('<') && id.ends_with("@agency.test>"), "{id}");
        assert!(header("Date").is_some(), "{raw}");
        assert_eq!(header("MIME-Version").as_deref(), Some("1.0"), "{raw}");
        assert!(
            header("Content-Type").is_some_and(|t| t.contains("text/plain") && t.contains("utf-8")),
            "{raw}"
        );
    }

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
