//! Which connector serves a resource's `connector` kind, and what the resource form needs to
//! know about each kind.

use super::{Command, Connector, Mailcow, Mattermost, Telegram, Yandex360};

/// What a kind is, for the resource form and its help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// The value of `ResourceInfo::connector`.
    pub kind: &'static str,
    pub title: &'static str,
    /// What the resource's secret is for this kind.
    pub secret: &'static str,
    /// A settings object that passes `check_settings`, as a starting point.
    pub settings_example: &'static str,
}

/// Every kind, in the order a form lists them.
pub const KINDS: &[KindInfo] = &[
    KindInfo {
        kind: "telegram",
        title: "Telegram group",
        secret: "the bot token from @BotFather; the bot must be an administrator of the chat",
        settings_example: r#"{"chat_id": -1001234567890}"#,
    },
    KindInfo {
        kind: "mattermost",
        title: "Mattermost team and channels",
        secret: "a personal access token of a user allowed to manage team members",
        settings_example: r#"{"url": "https://chat.agency.ru", "team_id": "", "channel_ids": []}"#,
    },
    KindInfo {
        kind: "mailcow",
        title: "Mailcow mailbox",
        secret: "a read-write API key (X-API-Key); the hub's address must be allowed for it",
        settings_example: r#"{"url": "https://mail.agency.ru", "domain": "agency.ru", "quota_mb": 3072}"#,
    },
    KindInfo {
        kind: "yandex360",
        title: "Yandex 360 mailbox",
        secret: "an OAuth token with directory:read_users and directory:write_users",
        settings_example: r#"{"org_id": 1234567, "domain": "agency.ru"}"#,
    },
    KindInfo {
        kind: "command",
        title: "A program on the hub",
        secret: "passed to the program as the SHTAB_SECRET environment variable",
        settings_example: r#"{"program": "/usr/local/bin/grant-access", "args": [], "timeout_secs": 60}"#,
    },
];

/// The kind's description, if the kind exists.
pub fn describe(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// Checks a resource's settings for `kind` when it is saved, without an HTTP client (so
/// without a TLS provider): field errors name the field; an unknown kind is an error too.
pub fn check_settings(kind: &str, settings: &serde_json::Value) -> Result<(), String> {
    match kind {
        "telegram" => super::telegram::check(settings),
        "mattermost" => super::mattermost::check(settings),
        "mailcow" => super::mailcow::check(settings),
        "yandex360" => super::yandex360::check(settings),
        "command" => super::command::check(settings),
        _ => Err(format!(
            "connector: «{kind}» is not one of {}",
            KINDS.iter().map(|k| k.kind).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The connector for `kind`, or `None` for a kind this build does not know. The client
/// should not follow redirects (a redirect would carry a token elsewhere), and the process's
/// TLS provider must be installed (`shtab_core::tls::install_crypto_provider`).
pub fn for_kind(kind: &str, http: reqwest::Client) -> Option<Box<dyn Connector>> {
    Some(match kind {
        "telegram" => Box::new(Telegram::new(http)),
        "mattermost" => Box::new(Mattermost::new(http)),
        "mailcow" => Box::new(Mailcow::new(http)),
        "yandex360" => Box::new(Yandex360::new(http)),
        "command" => Box::new(Command::new()),
        _ => return None,
    })
}
