/// The interface languages. Russian is the default: Shtab's users are Russian businesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Ru,
    En,
}

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Locale::Ru => "ru",
            Locale::En => "en",
        }
    }

    /// Reads a stored or requested code; anything unknown is `None` so callers pick the default.
    pub fn from_code(s: &str) -> Option<Locale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" => Some(Locale::Ru),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}
