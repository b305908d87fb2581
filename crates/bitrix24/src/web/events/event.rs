//! An outgoing event as the portal posts it: `application/x-www-form-urlencoded` with
//! PHP-style keys (`event=ONTASKADD&data[FIELDS_AFTER][ID]=101&auth[application_token]=…`).
//! The keys are kept as they came, never unfolded into nested maps: Shtab reads a few known
//! ones, and a framework's nested-form parser is where such keys trip (b24phpsdk#443).

use std::fmt;

/// Why a body is not an event Shtab can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// Not form-encoded text (bytes that are not UTF-8 are read as U+FFFD, so this is rare).
    NotAForm(String),
    /// A field the event needs is absent or empty.
    Missing(&'static str),
    /// A field the event needs is not what it should be.
    Malformed { field: &'static str, value: String },
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::NotAForm(why) => write!(f, "the body is not a form-encoded event: {why}"),
            EventError::Missing(field) => write!(f, "the event has no {field}"),
            EventError::Malformed { field, value } => {
                let shown: String = value.chars().take(40).collect();
                write!(f, "the event's {field} «{shown}» is not a portal id")
            }
        }
    }
}

/// The fields of one event, in the order they came.
#[derive(Debug, Clone)]
pub struct Event {
    fields: Vec<(String, String)>,
}

impl Event {
    pub const NAME: &'static str = "event";
    pub const TOKEN: &'static str = "auth[application_token]";
    pub const DOMAIN: &'static str = "auth[domain]";
    /// Where task events carry the task's id; a deleted task's is only in `FIELDS_BEFORE`.
    pub const FIELDS_AFTER_ID: &'static str = "data[FIELDS_AFTER][ID]";
    pub const FIELDS_BEFORE_ID: &'static str = "data[FIELDS_BEFORE][ID]";
    /// Where CRM events carry the object's id.
    pub const FIELDS_ID: &'static str = "data[FIELDS][ID]";
    /// Which smart process a dynamic item event is about (31: smart invoices).
    pub const ENTITY_TYPE_ID: &'static str = "data[FIELDS][ENTITY_TYPE_ID]";

    pub fn parse(body: &[u8]) -> Result<Event, EventError> {
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|e| EventError::NotAForm(e.to_string()))?;
        Ok(Event { fields })
    }

    /// The first value of `key`, exactly as named (`auth[domain]`), when it is not empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The event's name, upper case as the handlers are listed (`ONTASKADD`); the docs also
    /// spell them `OnTaskAdd`, `onCrmDynamicItemAdd`.
    pub fn name(&self) -> Result<String, EventError> {
        self.get(Self::NAME)
            .map(str::to_ascii_uppercase)
            .ok_or(EventError::Missing("event"))
    }

    /// The id of the object the event is about: `data[FIELDS_AFTER][ID]` of task events
    /// (`data[FIELDS_BEFORE][ID]` of a deleted task), else `data[FIELDS][ID]` of CRM ones.
    pub fn object_id(&self) -> Result<u64, EventError> {
        let field = [
            Self::FIELDS_AFTER_ID,
            Self::FIELDS_BEFORE_ID,
            Self::FIELDS_ID,
        ]
        .into_iter()
        .find(|f| self.get(f).is_some())
        .ok_or(EventError::Missing("data[FIELDS_AFTER][ID]"))?;
        self.id_field(field)
    }

    /// The portal id in `field` (a positive whole number).
    pub fn id_field(&self, field: &'static str) -> Result<u64, EventError> {
        let value = self.get(field).ok_or(EventError::Missing(field))?;
        value
            .parse::<u64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| EventError::Malformed {
                field,
                value: value.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The docs' body of an outgoing event, with a task's fields.
    const TASK_ADD: &str = "event=ONTASKADD&event_handler_id=201&data%5BFIELDS_BEFORE%5D%5BID%5D=101\
        &data%5BFIELDS_AFTER%5D%5BID%5D=101&data%5BIS_ACCESSIBLE_BEFORE%5D=N&ts=1736405807\
        &auth%5Bdomain%5D=some-domain.bitrix24.com&auth%5Bclient_endpoint%5D=https%3A%2F%2Fsome-domain.bitrix24.com%2Frest%2F\
        &auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F&auth%5Bmember_id%5D=a223c6\
        &auth%5Bapplication_token%5D=51856fef";

    #[test]
    fn php_style_keys_are_read_as_they_came() {
        let e = Event::parse(TASK_ADD.as_bytes()).unwrap();
        assert_eq!(e.name().unwrap(), "ONTASKADD");
        assert_eq!(e.object_id().unwrap(), 101);
        assert_eq!(e.get(Event::TOKEN), Some("51856fef"));
        assert_eq!(e.get(Event::DOMAIN), Some("some-domain.bitrix24.com"));
        // Unencoded brackets, as some senders leave them, read the same.
        let plain = Event::parse(b"event=OnCrmDealUpdate&data[FIELDS][ID]=759").unwrap();
        assert_eq!(plain.name().unwrap(), "ONCRMDEALUPDATE");
        assert_eq!(plain.object_id().unwrap(), 759);
    }

    #[test]
    fn an_event_without_a_usable_id_says_which_field() {
        let none = Event::parse(b"event=ONTASKADD").unwrap();
        assert_eq!(
            none.object_id(),
            Err(EventError::Missing("data[FIELDS_AFTER][ID]"))
        );
        for bad in ["0", "-1", "12abc", "1e3"] {
            let e =
                Event::parse(format!("event=ONTASKADD&data[FIELDS_AFTER][ID]={bad}").as_bytes())
                    .unwrap();
            let err = e.object_id().unwrap_err();
            assert!(err.to_string().contains("data[FIELDS_AFTER][ID]"), "{err}");
        }
        assert_eq!(
            Event::parse(b"ts=1").unwrap().name(),
            Err(EventError::Missing("event"))
        );
    }
}
