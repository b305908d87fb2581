//! Typed, layered configuration: built-in defaults → `shtab.toml` → `SHTAB_*` environment.
//!
//! Every key has one environment name, derived from its path (`database.url` →
//! `SHTAB_DATABASE_URL`), so the list of keys in [`Config`] is the one table of options.
//! A secret key may also be given as a file (`SHTAB_DATABASE_URL_FILE`, or `url_file` in
//! the TOML), and is never printed: see [`Secret`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Value};
use serde::{Deserialize, Serialize};

/// Keys whose values must never be shown. Each may also be read from a file named by the
/// same key with `_file` appended.
pub const SECRET_KEYS: &[&str] = &[
    "database.url",
    "notify.email.smtp_password",
    "notify.telegram.bot_token",
    "notify.webhook.signing_secret",
    "tenders.soap_token",
    "bitrix24.webhook_url",
    "bitrix24.client_secret",
    "bitrix24.application_token",
];

const ENV_PREFIX: &str = "SHTAB_";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite database, repository mirrors and uploads live.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub auth: AuthConfig,
    pub notify: NotifyConfig,
    pub vcs: VcsConfig,
    pub bank: BankConfig,
    pub tenders: TendersConfig,
    pub ops: OpsConfig,
    pub access: AccessConfig,
    pub systems: SystemsConfig,
    pub bitrix24: Bitrix24Config,
    pub crm: CrmConfig,
}

/// Which system holds each kind of record: Shtab's own tables or the Bitrix24 portal. The
/// binary builds one port implementation per kind from this; nothing else reads it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SystemsConfig {
    /// Tasks that commits are attached to.
    pub tasks: SystemOfRecord,
    /// Invoices that bank payments are matched to (`bitrix24`: the portal's smart invoices).
    pub invoices: SystemOfRecord,
    /// The CRM deals tenders become (the pipeline's stage rules and entry actions stay
    /// Shtab's either way).
    pub deals: SystemOfRecord,
}

/// The CRM's behaviour where Shtab cannot stop a move itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrmConfig {
    /// What happens when a deal kept elsewhere (Bitrix24) leaves a stage without the fields
    /// the stage requires: `comment` (a note on the deal and a word to its responsible
    /// person) or `revert` (the deal is moved back, with the same note).
    pub rules_enforcement: RulesEnforcement,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RulesEnforcement {
    #[default]
    Comment,
    Revert,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemOfRecord {
    /// Shtab's own tables (the embedded default, for agencies without a portal).
    #[default]
    Shtab,
    Bitrix24,
}

/// The Bitrix24 portal, when a system of record lives there.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bitrix24Config {
    /// An incoming webhook, `https://portal.bitrix24.ru/rest/{user}/{code}/`: the common
    /// case. The code in it is the credential, so the whole address is a secret.
    pub webhook_url: Secret,
    /// A local application instead of a webhook: the portal's address and the
    /// application's id and secret (the admin authorises it from the settings page).
    pub portal_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Bitrix24's OAuth server, where an application's codes and refresh tokens are
    /// exchanged (a fake on loopback in tests).
    pub oauth_url: String,
    /// `auth[application_token]` of the portal's outgoing events; anything else is refused.
    pub application_token: Secret,
    /// Requests per second the portal's leaky bucket drains (2; 5 on Enterprise).
    pub rate: u32,
    /// Requests the bucket holds before it limits (50; 250 on Enterprise).
    pub burst: u32,
}

impl Default for Bitrix24Config {
    fn default() -> Self {
        Bitrix24Config {
            webhook_url: Secret::default(),
            portal_url: String::new(),
            client_id: String::new(),
            client_secret: Secret::default(),
            oauth_url: "https://oauth.bitrix.info/oauth/token/".into(),
            application_token: Secret::default(),
            rate: 2,
            burst: 50,
        }
    }
}

/// Operations endpoints.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsConfig {
    /// How long `/metrics` reuses its database counts (jobs, robot runs): the endpoint is
    /// public, so a burst of requests must not become a burst of aggregate queries.
    /// 0 counts afresh on every request.
    pub metrics_cache_secs: u64,
}

impl Default for OpsConfig {
    fn default() -> Self {
        OpsConfig {
            metrics_cache_secs: 5,
        }
    }
}

/// People and access.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// Logins no SSH grant may use, comma-separated: the accounts servers and cloud images
    /// already have (a grant of `ubuntu` would hand a person the image's own account).
    /// Setting it replaces the whole list.
    pub refused_logins: String,
}

/// The system and cloud-image accounts a grant must not name.
pub const DEFAULT_REFUSED_LOGINS: &str = "root,admin,administrator,ubuntu,debian,centos,fedora,\
rocky,almalinux,alpine,arch,ec2-user,cloud-user,azureuser,opc,core,pi,vagrant,deploy,git,gitlab,\
gitlab-runner,jenkins,ansible,postgres,mysql,redis,nginx,apache,www-data,nobody,daemon,bin,sys,\
sync,games,man,lp,mail,news,uucp,proxy,backup,list,irc,gnats,sshd,messagebus,shtab";

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            refused_logins: DEFAULT_REFUSED_LOGINS.into(),
        }
    }
}

impl AccessConfig {
    pub fn refused_logins(&self) -> Vec<String> {
        self.refused_logins
            .split(',')
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .collect()
    }
}

/// Bank statements.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BankConfig {
    /// The T-Bank Business API's address (tests point it at a fake).
    pub tbank_api_url: String,
    /// A folder the statements robot imports 1CClientBankExchange files from (a bank client
    /// or a mail rule drops them there). Empty: no inbox.
    pub inbox_dir: String,
    /// How many days back the first T-Bank pull of an account goes when the account says
    /// nothing about where to start.
    pub statement_days: u32,
}

impl Default for BankConfig {
    fn default() -> Self {
        BankConfig {
            tbank_api_url: "https://business.tbank.ru/openapi".into(),
            inbox_dir: String::new(),
            statement_days: 30,
        }
    }
}

impl BankConfig {
    /// The inbox folder, when one is configured.
    pub fn inbox_dir(&self) -> Option<PathBuf> {
        let dir = self.inbox_dir.trim();
        (!dir.is_empty()).then(|| PathBuf::from(dir))
    }
}

/// Tenders: the procurement portal (EIS) and its document service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TendersConfig {
    /// The portal's address (RSS search feed, notice XML); tests point it at a fake.
    pub portal_url: String,
    /// The token-based document service (SOAP `getDocsIP`).
    pub soap_url: String,
    /// The personal token of the document service; empty: that source is off.
    pub soap_token: Secret,
    /// PEM files of extra trusted CA certificates, comma-separated (the portal's
    /// Russian Trusted Root CA is not in the usual root stores).
    pub extra_ca_files: String,
    /// How long one request to the portal may take.
    pub request_timeout_secs: u64,
    /// The deal's responsible person is reminded this many days before the deadline.
    pub reminder_days: u32,
    /// Where the CRM's vendor e-mail goes when the deal's `vendor_email` field is empty.
    pub vendor_email: String,
}

impl Default for TendersConfig {
    fn default() -> Self {
        TendersConfig {
            portal_url: "https://zakupki.gov.ru".into(),
            soap_url: "https://int44.zakupki.gov.ru/eis-integration/services/getDocsIP".into(),
            soap_token: Secret::default(),
            extra_ca_files: String::new(),
            request_timeout_secs: 60,
            reminder_days: 2,
            vendor_email: String::new(),
        }
    }
}

impl TendersConfig {
    pub fn extra_ca_files(&self) -> Vec<PathBuf> {
        self.extra_ca_files
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .collect()
    }
}

/// Code ↔ tasks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VcsConfig {
    /// How long one `git fetch` of a repository may take before the sweep gives it up.
    pub fetch_timeout_secs: u64,
    /// No-reply e-mail domains of self-hosted Gitea/Forgejo servers
    /// (`noreply.git.agency.ru`), comma-separated: `login@domain` is matched by forge login.
    pub gitea_noreply_domains: String,
}

impl Default for VcsConfig {
    fn default() -> Self {
        VcsConfig {
            fetch_timeout_secs: 300,
            gitea_noreply_domains: String::new(),
        }
    }
}

impl VcsConfig {
    pub fn gitea_noreply_domains(&self) -> Vec<String> {
        self.gitea_noreply_domains
            .split(',')
            .map(|d| d.trim().to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The address people use to reach Shtab; links in e-mails and messages start with it.
    pub public_url: String,
    /// Time zone for showing times and firing schedules (an IANA name).
    pub time_zone: String,
    /// Language of the pages for people who have not chosen one: `ru` or `en`.
    pub default_locale: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed: addresses or CIDRs, comma-
    /// separated. Empty: the header is ignored, the connecting address is the client's.
    pub trusted_proxies: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Empty: SQLite in `data_dir`. Otherwise a `postgres://` or `sqlite://` URL.
    pub url: Secret,
    pub max_connections: u32,
    /// How long a request waits for a free connection before it fails.
    pub acquire_timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `shtab=debug,sqlx=warn`.
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// How long a login lasts without activity.
    pub session_idle_hours: u32,
    /// Failed logins allowed per address and per account within `login_window_minutes`.
    pub login_max_failures: u32,
    pub login_window_minutes: u32,
    /// How long a login lasts at most, however active: a stolen cookie does not live forever.
    pub session_max_days: u32,
    /// Send cookies with `Secure`. `auto`: when `server.public_url` is https.
    pub secure_cookies: SecureCookies,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecureCookies {
    Auto,
    Always,
    Never,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
            auth: AuthConfig::default(),
            notify: NotifyConfig::default(),
            vcs: VcsConfig::default(),
            bank: BankConfig::default(),
            tenders: TendersConfig::default(),
            ops: OpsConfig::default(),
            systems: SystemsConfig::default(),
            bitrix24: Bitrix24Config::default(),
            crm: CrmConfig::default(),
            access: AccessConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            public_url: "http://127.0.0.1:8080".into(),
            time_zone: "Europe/Moscow".into(),
            default_locale: "ru".into(),
            trusted_proxies: String::new(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: Secret::default(),
            max_connections: 10,
            acquire_timeout_secs: 5,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_idle_hours: 24 * 7,
            login_max_failures: 5,
            login_window_minutes: 15,
            session_max_days: 30,
            secure_cookies: SecureCookies::Auto,
        }
    }
}

/// The channels notifications go out through. A channel whose essential key is empty
/// (`smtp_host`, `bot_token`, `signing_secret`) is "not configured": the page says so and
/// deliveries to it fail for good with that message.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    pub email: EmailConfig,
    pub telegram: TelegramConfig,
    pub webhook: WebhookConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// Empty: e-mail is not configured.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// Empty: no authentication.
    pub smtp_user: String,
    pub smtp_password: Secret,
    /// The sender, `Штаб <shtab@agency.ru>` or a bare address.
    pub from: String,
    /// `none` (plain, for a relay on localhost), `starttls` or `tls` (implicit, port 465).
    pub tls: SmtpTls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramConfig {
    /// From @BotFather. Empty: Telegram is not configured.
    pub bot_token: Secret,
    /// The Bot API's address (tests point it at a fake).
    pub api_url: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Key of the HMAC-SHA256 signature sent with every webhook. Empty: webhooks are not
    /// configured.
    pub signing_secret: Secret,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_user: String::new(),
            smtp_password: Secret::default(),
            from: String::new(),
            tls: SmtpTls::Starttls,
        }
    }
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            bot_token: Secret::default(),
            api_url: "https://api.telegram.org".into(),
        }
    }
}

/// A value that must not leak: `Debug`, `Display` and serialisation show `***`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { "***" })
    }
}

/// What went wrong while loading the configuration, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error("configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The loaded configuration and what was noticed on the way (unknown environment names).
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads defaults, then `file` (if given, it must exist), then the `SHTAB_*` variables of
    /// `env`, then checks the values. `data_dir_override` is the `--data-dir` flag.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
                });
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let keys = known_keys();
        let (env_values, warnings) = env_layer(&keys, env)?;
        figment = figment.merge(Serialized::defaults(env_values));

        let mut dict: Dict = figment
            .extract::<Dict>()
            .map_err(|e| ConfigError::Invalid(describe_figment_error(e)))?;
        resolve_secret_files(&mut dict)?;
        let config: Config = Figment::from(Serialized::defaults(dict))
            .extract()
            .map_err(|e| ConfigError::Invalid(describe_figment_error(e)))?;
        config.check()?;
        Ok(Loaded { config, warnings })
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, expected: &str, got: &str| {
            Err(ConfigError::Invalid(format!(
                "{key}: expected {expected}, got {got:?}"
            )))
        };
        if self.server.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return bad(
                "server.time_zone",
                "an IANA time zone such as Europe/Moscow",
                &self.server.time_zone,
            );
        }
        if crate::types::Locale::from_code(&self.server.default_locale).is_none() {
            return bad(
                "server.default_locale",
                "ru or en",
                &self.server.default_locale,
            );
        }
        let no_portal = self.bitrix24.webhook_url.is_empty()
            && (self.bitrix24.portal_url.is_empty() || self.bitrix24.client_id.is_empty());
        for (key, system) in [
            ("systems.tasks", self.systems.tasks),
            ("systems.deals", self.systems.deals),
            ("systems.invoices", self.systems.invoices),
        ] {
            if system == SystemOfRecord::Bitrix24 && no_portal {
                return bad(
                    key,
                    "\"shtab\", or \"bitrix24\" with bitrix24.webhook_url (or bitrix24.portal_url \
                     and bitrix24.client_id) set",
                    "bitrix24",
                );
            }
        }
        if self.bitrix24.rate == 0 || self.bitrix24.burst == 0 {
            return bad(
                "bitrix24.rate",
                "requests per second and a burst above 0",
                &format!("{} and {}", self.bitrix24.rate, self.bitrix24.burst),
            );
        }
        let url = self.server.public_url.trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://"))
            || url.len() < "http://x".len()
        {
            return bad(
                "server.public_url",
                "an http:// or https:// URL",
                &self.server.public_url,
            );
        }
        let db = self.database.url.expose();
        if !(db.is_empty()
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://")
            || db.starts_with("sqlite:"))
        {
            // The value may hold a password: show only its scheme.
            let scheme = db.split(':').next().unwrap_or("");
            return bad(
                "database.url",
                "empty (SQLite in data_dir), postgres://… or sqlite://…",
                &format!("{scheme}:…"),
            );
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "a number of at least 1", "0");
        }
        if self.auth.login_max_failures == 0 {
            return bad("auth.login_max_failures", "a number of at least 1", "0");
        }
        if self.auth.session_max_days == 0 {
            return bad(
                "auth.session_max_days",
                "a number of days of at least 1",
                "0",
            );
        }
        if let Err(wrong) = parse_proxies(&self.server.trusted_proxies) {
            return bad(
                "server.trusted_proxies",
                "addresses or CIDRs separated by commas, such as 127.0.0.1, 10.0.0.0/8",
                &wrong,
            );
        }
        if self.log.level.trim().is_empty() {
            return bad("log.level", "a filter such as info", "");
        }
        let email = &self.notify.email;
        if !email.smtp_host.trim().is_empty() && email.from.trim().is_empty() {
            return bad(
                "notify.email.from",
                "the sender's address when notify.email.smtp_host is set",
                "",
            );
        }
        let api = &self.notify.telegram.api_url;
        if !(api.starts_with("http://") || api.starts_with("https://")) {
            return bad("notify.telegram.api_url", "an http:// or https:// URL", api);
        }
        let tbank = &self.bank.tbank_api_url;
        if !(tbank.starts_with("http://") || tbank.starts_with("https://")) {
            return bad("bank.tbank_api_url", "an http:// or https:// URL", tbank);
        }
        if self.bank.statement_days == 0 {
            return bad("bank.statement_days", "a number of days of at least 1", "0");
        }
        Ok(())
    }

    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.server
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Europe::Moscow)
    }

    pub fn default_locale(&self) -> crate::types::Locale {
        crate::types::Locale::from_code(&self.server.default_locale).unwrap_or_default()
    }

    /// The proxies whose `X-Forwarded-For` is believed (checked when loading).
    pub fn trusted_proxies(&self) -> Vec<ipnet::IpNet> {
        parse_proxies(&self.server.trusted_proxies).unwrap_or_default()
    }

    /// The longest a session lives, however active.
    pub fn session_max_ms(&self) -> i64 {
        i64::from(self.auth.session_max_days) * 86_400_000
    }

    /// How long sessions live: without activity, and at most.
    pub fn session_lifetime(&self) -> crate::auth::sessions::Lifetime {
        crate::auth::sessions::Lifetime {
            idle_ms: i64::from(self.auth.session_idle_hours) * 3_600_000,
            max_ms: self.session_max_ms(),
        }
    }

    pub fn public_url(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }

    pub fn secure_cookies(&self) -> bool {
        match self.auth.secure_cookies {
            SecureCookies::Always => true,
            SecureCookies::Never => false,
            SecureCookies::Auto => self.server.public_url.starts_with("https://"),
        }
    }

    /// The database URL to connect to: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("shtab.db").display()
            )
        } else {
            self.database.url.expose().to_string()
        }
    }

    /// The effective configuration as TOML, secrets masked: what `shtab config check` prints.
    pub fn to_masked_toml(&self) -> String {
        let value = serde_json::to_value(self).expect("config serialises");
        let mut out = String::new();
        write_toml_table(&mut out, "", &value);
        out
    }
}

/// Addresses (`10.0.0.1`, one host) or networks (`10.0.0.0/8`), comma-separated; the first
/// entry that is neither is the error.
fn parse_proxies(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| s.to_string())
        })
        .collect()
}

/// Every dotted key of the configuration, with whether it holds a table.
fn known_keys() -> BTreeMap<String, Kind> {
    let value = serde_json::to_value(Config::default()).expect("config serialises");
    let mut keys = BTreeMap::new();
    fn walk(prefix: &str, v: &serde_json::Value, keys: &mut BTreeMap<String, Kind>) {
        if let serde_json::Value::Object(map) = v {
            for (k, child) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                let kind = match child {
                    serde_json::Value::Object(_) => Kind::Table,
                    serde_json::Value::Number(_) => Kind::Number,
                    serde_json::Value::Bool(_) => Kind::Bool,
                    _ => Kind::Text,
                };
                keys.insert(path.clone(), kind);
                walk(&path, child, keys);
            }
        }
    }
    walk("", &value, &mut keys);
    keys
}

/// What a key holds, read from its default: an environment value is a string, and is
/// converted only for keys that hold numbers or flags (an all-digit password stays text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    Text,
    Number,
    Bool,
}

pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "_").to_uppercase())
}

/// Turns `SHTAB_*` variables into a nested dictionary. Variables that name no key are
/// returned as warnings (the environment often holds unrelated `SHTAB_TEST_*` names).
fn env_layer(
    keys: &BTreeMap<String, Kind>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(Dict, Vec<String>), ConfigError> {
    let by_env: BTreeMap<String, &String> = keys
        .iter()
        .filter(|(_, kind)| **kind != Kind::Table)
        .map(|(k, _)| (env_name(k), k))
        .collect();
    let mut dict = Dict::new();
    let mut warnings = Vec::new();
    for (name, value) in env {
        if !name.starts_with(ENV_PREFIX) {
            continue;
        }
        let (key, value) = if let Some(key) = by_env.get(&name) {
            let value = env_value(keys[key.as_str()], &value);
            ((*key).clone(), value)
        } else if let Some(key) = name.strip_suffix("_FILE").and_then(|base| by_env.get(base)) {
            if !SECRET_KEYS.contains(&key.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "{name}: {key} is not a secret and cannot be read from a file"
                )));
            }
            (format!("{key}_file"), Value::from(value))
        } else {
            if !name.starts_with("SHTAB_TEST_") {
                warnings.push(format!("unknown environment variable {name} (ignored)"));
            }
            continue;
        };
        insert_path(&mut dict, &key, value);
    }
    Ok((dict, warnings))
}

/// Converts an environment string for a key of `kind`. A value that does not convert stays
/// a string, so the error names the key and what it expected.
fn env_value(kind: Kind, s: &str) -> Value {
    match kind {
        Kind::Number => s
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(s.to_string())),
        Kind::Bool => match s {
            "true" => Value::from(true),
            "false" => Value::from(false),
            _ => Value::from(s.to_string()),
        },
        Kind::Text | Kind::Table => Value::from(s.to_string()),
    }
}

fn insert_path(dict: &mut Dict, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            dict.insert(key.to_string(), value);
        }
        Some((head, rest)) => {
            let entry = dict
                .entry(head.to_string())
                .or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

/// Replaces `key_file = "/path"` by `key = <contents of /path>` for secret keys.
fn resolve_secret_files(dict: &mut Dict) -> Result<(), ConfigError> {
    for key in SECRET_KEYS {
        let (table, leaf) = key.rsplit_once('.').unwrap_or(("", key));
        let file_key = format!("{leaf}_file");
        let Some(section) = get_table_mut(dict, table) else {
            continue;
        };
        let Some(path) = section.remove(&file_key) else {
            continue;
        };
        let path = path
            .into_string()
            .ok_or_else(|| ConfigError::Invalid(format!("{key}_file: expected a file path")))?;
        let contents = std::fs::read_to_string(&path)
            .map_err(|e| ConfigError::Invalid(format!("{key}_file: cannot read {path}: {e}")))?;
        section.insert(
            leaf.to_string(),
            Value::from(contents.trim_end_matches(['\n', '\r']).to_string()),
        );
    }
    Ok(())
}

fn get_table_mut<'a>(dict: &'a mut Dict, path: &str) -> Option<&'a mut Dict> {
    if path.is_empty() {
        return Some(dict);
    }
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    match dict.get_mut(head)? {
        Value::Dict(_, inner) => get_table_mut(inner, rest),
        _ => None,
    }
}

/// Figment's messages name the key with a `default.` profile prefix; people never see
/// profiles, so drop it.
fn describe_figment_error(e: figment::Error) -> String {
    e.into_iter()
        .map(|err| {
            let key = err.path.join(".");
            let msg = err.kind.to_string();
            let source = err
                .metadata
                .as_ref()
                .and_then(|m| m.source.as_ref())
                .map(|s| format!(" (in {s})"))
                .unwrap_or_default();
            if key.is_empty() {
                format!("{msg}{source}")
            } else {
                format!("{key}: {msg}{source}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn write_toml_table(out: &mut String, prefix: &str, value: &serde_json::Value) {
    let serde_json::Value::Object(map) = value else {
        return;
    };
    for (k, v) in map.iter().filter(|(_, v)| !v.is_object()) {
        out.push_str(&format!("{k} = {v}\n"));
    }
    for (k, v) in map.iter().filter(|(_, v)| v.is_object()) {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        out.push_str(&format!("\n[{path}]\n"));
        write_toml_table(out, &path, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_sqlite_in_data_dir_on_localhost() {
        let c = Config::load(None, env(&[])).unwrap().config;
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url(), "sqlite://./data/shtab.db?mode=rwc");
        assert_eq!(c.time_zone(), chrono_tz::Europe::Moscow);
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shtab.toml");
        std::fs::write(&file, "data_dir = \"/srv/shtab\"\n[server]\nlisten = \"0.0.0.0:9000\"\n[database]\nmax_connections = 3\n").unwrap();
        let c = Config::load(
            Some(&file),
            env(&[
                ("SHTAB_DATABASE_MAX_CONNECTIONS", "7"),
                ("SHTAB_LOG_FORMAT", "json"),
            ]),
        )
        .unwrap()
        .config;
        assert_eq!(c.data_dir, PathBuf::from("/srv/shtab"));
        assert_eq!(c.server.listen.port(), 9000);
        assert_eq!(c.database.max_connections, 7);
        assert_eq!(c.log.format, LogFormat::Json);
    }

    #[test]
    fn an_all_digit_secret_from_the_environment_stays_text() {
        let c = Config::load(
            None,
            env(&[
                ("SHTAB_DATABASE_URL", "sqlite://x.db"),
                ("SHTAB_NOTIFY_EMAIL_SMTP_PASSWORD", "123456"),
            ]),
        );
        let c = c.unwrap().config;
        assert_eq!(c.notify.email.smtp_password.expose(), "123456");
    }

    #[test]
    fn trusted_proxies_and_session_lifetime_come_from_the_environment() {
        let c = Config::load(
            None,
            env(&[
                ("SHTAB_SERVER_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1"),
                ("SHTAB_AUTH_SESSION_MAX_DAYS", "7"),
            ]),
        )
        .unwrap()
        .config;
        let proxies: Vec<String> = c.trusted_proxies().iter().map(|n| n.to_string()).collect();
        assert_eq!(proxies, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
        assert_eq!(c.session_max_ms(), 7 * 86_400_000);
        assert_eq!(Config::default().auth.session_max_days, 30);

        let err = Config::load(
            None,
            env(&[("SHTAB_SERVER_TRUSTED_PROXIES", "10.0.0.0/8, proxy.lan")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("server.trusted_proxies") && err.contains("proxy.lan"),
            "{err}"
        );
        let err = Config::load(None, env(&[("SHTAB_AUTH_SESSION_MAX_DAYS", "0")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("auth.session_max_days"), "{err}");
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shtab.toml");
        std::fs::write(&file, "[server]\nlisten_port = 80\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(err.contains("listen_port"), "{err}");
    }

    #[test]
    fn wrong_types_name_the_key_and_the_expected_form() {
        let err = Config::load(None, env(&[("SHTAB_SERVER_LISTEN", "nonsense")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.listen"), "{err}");
        let err = Config::load(None, env(&[("SHTAB_SERVER_TIME_ZONE", "Mars/Olympus")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("server.time_zone") && err.contains("IANA"),
            "{err}"
        );
    }

    #[test]
    fn unknown_environment_names_are_reported() {
        let loaded = Config::load(
            None,
            env(&[("SHTAB_DATABSE_URL", "x"), ("SHTAB_TEST_DATABASE_URL", "y")]),
        )
        .unwrap();
        assert_eq!(
            loaded.warnings,
            vec!["unknown environment variable SHTAB_DATABSE_URL (ignored)".to_string()]
        );
    }

    #[test]
    fn secrets_come_from_files_and_never_show() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db-url");
        std::fs::write(&secret, "postgres://shtab:hunter2@db/shtab\n").unwrap();
        let c = Config::load(
            None,
            env(&[("SHTAB_DATABASE_URL_FILE", secret.to_str().unwrap())]),
        )
        .unwrap()
        .config;
        assert_eq!(c.database_url(), "postgres://shtab:hunter2@db/shtab");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!c.to_masked_toml().contains("hunter2"));
        assert!(c.to_masked_toml().contains("url = \"***\""));
        let err = Config::load(None, env(&[("SHTAB_LOG_LEVEL_FILE", "/x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("SHTAB_LOG_LEVEL_FILE"), "{err}");
    }

    #[test]
    fn tasks_move_to_bitrix24_only_with_a_portal_to_reach() {
        let dir = tempfile::tempdir().unwrap();
        let hook = dir.path().join("hook");
        std::fs::write(&hook, "https://agency.bitrix24.ru/rest/7/s3cr3tc0de/\n").unwrap();
        let c = Config::load(
            None,
            env(&[
                ("SHTAB_SYSTEMS_TASKS", "bitrix24"),
                ("SHTAB_BITRIX24_WEBHOOK_URL_FILE", hook.to_str().unwrap()),
                ("SHTAB_BITRIX24_RATE", "5"),
                ("SHTAB_BITRIX24_BURST", "250"),
            ]),
        )
        .unwrap()
        .config;
        assert_eq!(c.systems.tasks, SystemOfRecord::Bitrix24);
        assert_eq!(
            c.bitrix24.webhook_url.expose(),
            "https://agency.bitrix24.ru/rest/7/s3cr3tc0de/"
        );
        assert_eq!((c.bitrix24.rate, c.bitrix24.burst), (5, 250));
        let shown = format!("{c:?}{}", c.to_masked_toml());
        assert!(!shown.contains("s3cr3tc0de"), "{shown}");
        assert_eq!(Config::default().systems.tasks, SystemOfRecord::Shtab);

        let err = Config::load(None, env(&[("SHTAB_SYSTEMS_TASKS", "bitrix24")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("systems.tasks") && err.contains("bitrix24.webhook_url"),
            "{err}"
        );
        let invoices = Config::load(
            None,
            env(&[
                ("SHTAB_SYSTEMS_INVOICES", "bitrix24"),
                ("SHTAB_BITRIX24_WEBHOOK_URL_FILE", hook.to_str().unwrap()),
            ]),
        )
        .unwrap()
        .config;
        assert_eq!(invoices.systems.invoices, SystemOfRecord::Bitrix24);
        assert_eq!(invoices.systems.tasks, SystemOfRecord::Shtab);
        let err = Config::load(None, env(&[("SHTAB_SYSTEMS_INVOICES", "bitrix24")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("systems.invoices") && err.contains("bitrix24.webhook_url"),
            "{err}"
        );
        let err = Config::load(None, env(&[("SHTAB_SYSTEMS_TASKS", "jira")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("jira") && err.contains("bitrix24"), "{err}");
    }

    #[test]
    fn deals_move_to_bitrix24_with_a_portal_and_the_rules_enforcement_is_named() {
        let c = Config::load(
            None,
            env(&[
                ("SHTAB_SYSTEMS_DEALS", "bitrix24"),
                (
                    "SHTAB_BITRIX24_WEBHOOK_URL",
                    "https://agency.bitrix24.ru/rest/7/s3cr3tc0de/",
                ),
                ("SHTAB_CRM_RULES_ENFORCEMENT", "revert"),
            ]),
        )
        .unwrap()
        .config;
        assert_eq!(c.systems.deals, SystemOfRecord::Bitrix24);
        assert_eq!(c.crm.rules_enforcement, RulesEnforcement::Revert);
        assert_eq!(
            Config::default().crm.rules_enforcement,
            RulesEnforcement::Comment
        );
        let err = Config::load(None, env(&[("SHTAB_SYSTEMS_DEALS", "bitrix24")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("systems.deals") && err.contains("bitrix24.webhook_url"),
            "{err}"
        );
        let err = Config::load(None, env(&[("SHTAB_CRM_RULES_ENFORCEMENT", "shout")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("shout"), "{err}");
    }

    #[test]
    fn notification_channels_have_env_names_and_secret_files() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("bot-token");
        std::fs::write(&token, "123456:SECRET-TOKEN\n").unwrap();
        let c = Config::load(
            None,
            env(&[
                ("SHTAB_NOTIFY_EMAIL_SMTP_HOST", "smtp.agency.ru"),
                ("SHTAB_NOTIFY_EMAIL_SMTP_PORT", "465"),
                ("SHTAB_NOTIFY_EMAIL_TLS", "tls"),
                ("SHTAB_NOTIFY_EMAIL_FROM", "shtab@agency.ru"),
                ("SHTAB_NOTIFY_EMAIL_SMTP_PASSWORD", "hunter2"),
                (
                    "SHTAB_NOTIFY_TELEGRAM_BOT_TOKEN_FILE",
                    token.to_str().unwrap(),
                ),
            ]),
        )
        .unwrap()
        .config;
        assert_eq!(c.notify.email.smtp_port, 465);
        assert_eq!(c.notify.email.tls, SmtpTls::Tls);
        assert_eq!(c.notify.telegram.bot_token.expose(), "123456:SECRET-TOKEN");
        assert_eq!(c.notify.telegram.api_url, "https://api.telegram.org");
        let shown = format!("{c:?}{}", c.to_masked_toml());
        assert!(
            !shown.contains("hunter2") && !shown.contains("SECRET-TOKEN"),
            "{shown}"
        );
        let err = Config::load(
            None,
            env(&[("SHTAB_NOTIFY_EMAIL_SMTP_HOST", "smtp.agency.ru")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("notify.email.from"), "{err}");
    }

    #[test]
    fn bank_keys_have_defaults_and_env_names() {
        let c = Config::load(None, env(&[])).unwrap().config;
        assert_eq!(c.bank.tbank_api_url, "https://business.tbank.ru/openapi");
        assert_eq!(c.bank.inbox_dir(), None);
        assert_eq!(c.bank.statement_days, 30);
        let c = Config::load(
            None,
            env(&[
                ("SHTAB_BANK_TBANK_API_URL", "http://127.0.0.1:9/openapi"),
                ("SHTAB_BANK_INBOX_DIR", "/srv/bank/inbox"),
                ("SHTAB_BANK_STATEMENT_DAYS", "90"),
            ]),
        )
        .unwrap()
        .config;
        assert_eq!(c.bank.tbank_api_url, "http://127.0.0.1:9/openapi");
        assert_eq!(c.bank.inbox_dir(), Some(PathBuf::from("/srv/bank/inbox")));
        assert_eq!(c.bank.statement_days, 90);
        let err = Config::load(None, env(&[("SHTAB_BANK_TBANK_API_URL", "tbank.ru")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bank.tbank_api_url"), "{err}");
    }

    #[test]
    fn a_bad_database_url_does_not_echo_its_password() {
        let err = Config::load(
            None,
            env(&[("SHTAB_DATABASE_URL", "mysql://root:hunter2@x/db")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("database.url") && !err.contains("hunter2"),
            "{err}"
        );
    }
}
