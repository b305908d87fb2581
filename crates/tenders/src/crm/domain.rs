//! The CRM's pure rules: what a pipeline is made of, how field values are read from people
//! and robots (money in kopecks from «1 234 567,89»), how they are shown, and which fields a
//! move between two stages lacks. No IO here.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shtab_core::FieldError;
use shtab_core::types::{Email, Locale};

use crate::domain::Kopecks;

/// A pipeline with everything a move needs to know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pipeline {
    pub id: String,
    pub name_ru: String,
    pub name_en: String,
    /// In order.
    pub stages: Vec<StageDef>,
    /// In order.
    pub fields: Vec<FieldDef>,
    pub rules: Vec<Rule>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageDef {
    pub id: String,
    pub name_ru: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// Integer kopecks.
    Money,
    Email,
    Url,
    /// RFC 3339.
    Datetime,
    Bool,
    /// A list of text values (OKPD2 codes).
    List,
}

impl FieldKind {
    pub fn parse(s: &str) -> Option<FieldKind> {
        Some(match s {
            "text" => FieldKind::Text,
            "money" => FieldKind::Money,
            "email" => FieldKind::Email,
            "url" => FieldKind::Url,
            "datetime" => FieldKind::Datetime,
            "bool" => FieldKind::Bool,
            "list" => FieldKind::List,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDef {
    pub name: String,
    pub kind: FieldKind,
    pub label_ru: String,
    pub label_en: String,
    /// Written by the tenders robot; people may still correct it.
    pub standard: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Required before a deal may enter the stage.
    Enter,
    /// Required before a deal may leave the stage.
    Leave,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Enter => "enter",
            Direction::Leave => "leave",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "enter" => Some(Direction::Enter),
            "leave" => Some(Direction::Leave),
            _ => None,
        }
    }
}

/// A field required to enter or leave a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: i64,
    pub stage: String,
    pub direction: Direction,
    pub field: String,
    /// Stages a deal may leave for without the field (giving up needs no approved price).
    pub except_to: Vec<String>,
}

/// What happens when a deal enters a stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub id: i64,
    pub stage: String,
    pub kind: ActionKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionKind {
    /// An e-mail to the address in `to_field` or, when that is empty, the configured
    /// `tenders.vendor_email`. `subject` and `body` are MiniJinja templates over the deal's
    /// fields (shown as people read them), `title` and `link`.
    Email {
        #[serde(default)]
        to_field: String,
        subject: String,
        body: String,
    },
    /// A notification to the deal's responsible person, with an optional extra text.
    Notify {
        #[serde(default)]
        text: String,
    },
    /// Sets a field to a value (read like any input).
    SetField { field: String, value: Value },
}

impl ActionKind {
    pub fn name(&self) -> &'static str {
        match self {
            ActionKind::Email { .. } => "email",
            ActionKind::Notify { .. } => "notify",
            ActionKind::SetField { .. } => "set_field",
        }
    }

    /// The parameters as stored (everything but the kind).
    pub fn params(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            m.remove("kind");
        }
        v.to_string()
    }

    pub fn from_stored(kind: &str, params: &str) -> Option<ActionKind> {
        let mut v: Value = serde_json::from_str(params).ok()?;
        v.as_object_mut()?
            .insert("kind".into(), Value::String(kind.into()));
        serde_json::from_value(v).ok()
    }
}

impl Pipeline {
    pub fn stage(&self, id: &str) -> Option<&StageDef> {
        self.stages.iter().find(|s| s.id == id)
    }

    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ru => &self.name_ru,
            Locale::En => &self.name_en,
        }
    }

    /// The fields a deal holding `fields` lacks to move from `from` to `to`: one error per
    /// missing field, naming it and the stage that requires it. Empty: the move may go.
    pub fn missing_for_move(
        &self,
        from: &str,
        to: &str,
        fields: &Map<String, Value>,
    ) -> Vec<FieldError> {
        let mut missing: Vec<FieldError> = Vec::new();
        for rule in &self.rules {
            let applies = match rule.direction {
                Direction::Leave => rule.stage == from && !rule.except_to.iter().any(|s| s == to),
                Direction::Enter => rule.stage == to,
            };
            if !applies || is_filled(fields.get(&rule.field)) {
                continue;
            }
            if missing.iter().any(|e| e.field == rule.field) {
                continue;
            }
            let label = self
                .field(&rule.field)
                .map(|f| f.label_en.as_str())
                .unwrap_or(&rule.field);
            let stage = self
                .stage(&rule.stage)
                .map(|s| s.name_en.as_str())
                .unwrap_or(&rule.stage);
            let (code, message) = match rule.direction {
                Direction::Enter => (
                    "required_to_enter",
                    format!("{label} is required to enter the stage “{stage}”"),
                ),
                Direction::Leave => (
                    "required_to_leave",
                    format!("{label} is required to leave the stage “{stage}”"),
                ),
            };
            missing.push(FieldError::new(rule.field.clone(), code, message));
        }
        missing
    }

    /// Fields a stage requires on entry may not be emptied while the deal stays in it:
    /// otherwise a deal could enter with the field, lose it, and leave as if it never had
    /// to hold it. One error per such field cleared between `before` and `after`.
    pub fn cleared_but_required(
        &self,
        stage: &str,
        before: &Map<String, Value>,
        after: &Map<String, Value>,
    ) -> Vec<FieldError> {
        let mut refused: Vec<FieldError> = Vec::new();
        for rule in &self.rules {
            let cleared = rule.direction == Direction::Enter
                && rule.stage == stage
                && is_filled(before.get(&rule.field))
                && !is_filled(after.get(&rule.field));
            if !cleared || refused.iter().any(|e| e.field == rule.field) {
                continue;
            }
            let label = self
                .field(&rule.field)
                .map(|f| f.label_en.as_str())
                .unwrap_or(&rule.field);
            let stage = self
                .stage(&rule.stage)
                .map(|s| s.name_en.as_str())
                .unwrap_or(&rule.stage);
            refused.push(FieldError::new(
                rule.field.clone(),
                "required_in_stage",
                format!("{label} is required in the stage “{stage}” and cannot be cleared there"),
            ));
        }
        refused
    }
}

impl StageDef {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ru => &self.name_ru,
            Locale::En => &self.name_en,
        }
    }
}

impl FieldDef {
    pub fn label(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ru => &self.label_ru,
            Locale::En => &self.label_en,
        }
    }
}

/// Whether a field holds something: not absent, null, blank text or an empty list.
pub fn is_filled(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// Reads one value for a field of `kind`, from a robot (typed JSON) or a person (text as
/// typed into a form). `Null` means "clear the field".
pub fn read_value(name: &str, kind: FieldKind, value: &Value) -> Result<Value, FieldError> {
    let text = match value {
        Value::Null => return Ok(Value::Null),
        Value::String(s) if s.trim().is_empty() => return Ok(Value::Null),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    };
    let wrong = |code: &'static str, message: &str| FieldError::new(name, code, message);
    match kind {
        FieldKind::Text => match value {
            Value::String(_) => Ok(Value::String(text.unwrap_or_default())),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err(wrong("invalid_text", "must be text")),
        },
        FieldKind::Money => match (value, text) {
            (Value::Number(n), _) => n
                .as_i64()
                .map(Value::from)
                .ok_or_else(|| wrong("invalid_money", "must be whole kopecks")),
            (_, Some(t)) => Kopecks::parse_lenient(&t)
                .map(|k| Value::from(k.0))
                .map_err(|_| wrong("invalid_money", "an amount like 1 234 567,89")),
            _ => Err(wrong("invalid_money", "an amount like 1 234 567,89")),
        },
        FieldKind::Email => {
            let t = text.ok_or_else(|| wrong("invalid_email", "is not an e-mail address"))?;
            Email::parse(name, &t).map(|e| Value::String(e.as_str().to_string()))
        }
        FieldKind::Url => {
            let t = text.ok_or_else(|| {
                wrong(
                    "invalid_url",
                    "an address starting with http:// or https://",
                )
            })?;
            match url::Url::parse(&t) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Value::String(t)),
                _ => Err(wrong(
                    "invalid_url",
                    "an address starting with http:// or https://",
                )),
            }
        }
        FieldKind::Datetime => {
            let t = text.ok_or_else(|| {
                wrong("invalid_datetime", "a time like 2026-12-01T10:00:00+03:00")
            })?;
            chrono::DateTime::parse_from_rfc3339(&t)
                .map(|_| Value::String(t))
                .map_err(|_| wrong("invalid_datetime", "a time like 2026-12-01T10:00:00+03:00"))
        }
        FieldKind::Bool => match (value, text.as_deref()) {
            (Value::Bool(b), _) => Ok(Value::Bool(*b)),
            (_, Some("true" | "1" | "on" | "yes" | "да")) => Ok(Value::Bool(true)),
            (_, Some("false" | "0" | "off" | "no" | "нет")) => Ok(Value::Bool(false)),
            _ => Err(wrong("invalid_bool", "true or false")),
        },
        FieldKind::List => match value {
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(Value::String(s.trim().to_string())),
                    Value::Number(n) => Ok(Value::String(n.to_string())),
                    _ => Err(wrong("invalid_list", "a list of text values")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            _ => Ok(Value::Array(
                text.unwrap_or_default()
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            )),
        },
    }
}

/// Reads a set of field values against the pipeline's definitions, all errors at once.
/// `strict` refuses names the pipeline does not define (people and the API); the robots'
/// extra facts are kept as they came.
pub fn read_fields(
    pipeline: &Pipeline,
    input: &Map<String, Value>,
    strict: bool,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for (name, value) in input {
        match pipeline.field(name) {
            Some(def) => match read_value(name, def.kind, value) {
                Ok(v) => {
                    out.insert(name.clone(), v);
                }
                Err(e) => errors.push(e),
            },
            None if strict => errors.push(FieldError::new(
                name.clone(),
                "unknown_field",
                format!("the pipeline has no field {name}"),
            )),
            None => {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Applies read values to a deal's fields: `Null` removes. Returns the changes as
/// `{name: {before, after}}` for the history and the audit log.
pub fn apply(fields: &mut Map<String, Value>, changes: &Map<String, Value>) -> Map<String, Value> {
    let mut diff = Map::new();
    for (name, after) in changes {
        let before = fields.get(name).cloned().unwrap_or(Value::Null);
        if &before == after {
            continue;
        }
        if after.is_null() {
            fields.remove(name);
        } else {
            fields.insert(name.clone(), after.clone());
        }
        diff.insert(
            name.clone(),
            serde_json::json!({ "before": before, "after": after }),
        );
    }
    diff
}

/// Kopecks as people read them: `1 234 567,89` (Russian, no-break spaces) or
/// `1,234,567.89`.
pub fn format_money(kopecks: i64, locale: Locale) -> String {
    let (group, decimal) = match locale {
        Locale::Ru => ('\u{a0}', ','),
        Locale::En => (',', '.'),
    };
    let abs = kopecks.unsigned_abs();
    let digits = (abs / 100).to_string();
    let mut out = String::new();
    if kopecks < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    out.push(decimal);
    out.push_str(&format!("{:02}", abs % 100));
    out
}

/// A field's value as people read it (pages, e-mails); empty for nothing.
pub fn display_value(kind: Option<FieldKind>, value: Option<&Value>, locale: Locale) -> String {
    let Some(value) = value else {
        return String::new();
    };
    match (kind, value) {
        (_, Value::Null) => String::new(),
        (Some(FieldKind::Money), Value::Number(n)) => n
            .as_i64()
            .map(|k| format_money(k, locale))
            .unwrap_or_else(|| n.to_string()),
        (Some(FieldKind::Datetime), Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.format("%d.%m.%Y %H:%M (UTC%:z)").to_string())
            .unwrap_or_else(|_| s.clone()),
        (_, Value::Bool(b)) => match (locale, b) {
            (Locale::Ru, true) => "да".into(),
            (Locale::Ru, false) => "нет".into(),
            (Locale::En, true) => "yes".into(),
            (Locale::En, false) => "no".into(),
        },
        (_, Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// A value as it goes back into an edit form (money without grouping confusion: the same
/// `1 234 567,89` the reader accepts).
pub fn form_value(kind: FieldKind, value: Option<&Value>) -> String {
    match (kind, value) {
        (FieldKind::Money, Some(Value::Number(n))) => n
            .as_i64()
            .map(|k| format_money(k, Locale::Ru).replace('\u{a0}', " "))
            .unwrap_or_default(),
        (FieldKind::Bool, Some(Value::Bool(b))) => b.to_string(),
        (_, v) => display_value(Some(kind), v, Locale::Ru).replace('\u{a0}', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pipeline() -> Pipeline {
        let stage = |id: &str, en: &str| StageDef {
            id: id.into(),
            name_ru: id.into(),
            name_en: en.into(),
        };
        let field = |name: &str, kind, en: &str| FieldDef {
            name: name.into(),
            kind,
            label_ru: name.into(),
            label_en: en.into(),
            standard: false,
        };
        Pipeline {
            id: "tenders".into(),
            name_ru: "Тендеры".into(),
            name_en: "Tenders".into(),
            stages: vec![
                stage("reviewing", "Reviewing"),
                stage("approval", "Approval"),
                stage("price_approved", "Price approved"),
                stage("lost", "Lost"),
            ],
            fields: vec![
                field("recommended_price", FieldKind::Money, "Recommended price"),
                field("approved_price", FieldKind::Money, "Approved price"),
                field("vendor_email", FieldKind::Email, "Vendor e-mail"),
            ],
            rules: vec![
                Rule {
                    id: 1,
                    stage: "approval".into(),
                    direction: Direction::Enter,
                    field: "recommended_price".into(),
                    except_to: vec![],
                },
                Rule {
                    id: 2,
                    stage: "approval".into(),
                    direction: Direction::Leave,
                    field: "approved_price".into(),
                    except_to: vec!["lost".into()],
                },
            ],
            actions: vec![],
        }
    }

    #[test]
    fn a_field_required_to_enter_cannot_be_cleared_inside_the_stage() {
        let p = pipeline();
        let filled = json!({"recommended_price": 100_000, "vendor_email": "v@x.ru"});
        let filled = filled.as_object().unwrap();
        let cleared = json!({"vendor_email": "v@x.ru"});
        let cleared = cleared.as_object().unwrap();
        let refused = p.cleared_but_required("approval", filled, cleared);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].field, "recommended_price");
        assert_eq!(refused[0].code, "required_in_stage");
        // Elsewhere, or a field no rule holds, may be cleared.
        assert!(
            p.cleared_but_required("reviewing", filled, cleared)
                .is_empty()
        );
        let no_email = json!({"recommended_price": 100_000});
        let no_email = no_email.as_object().unwrap();
        assert!(
            p.cleared_but_required("approval", filled, no_email)
                .is_empty()
        );
    }

    #[test]
    fn a_gate_names_each_missing_field_and_lets_through_once_filled() {
        let p = pipeline();
        let empty = Map::new();
        let refused = p.missing_for_move("reviewing", "approval", &empty);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].field, "recommended_price");
        assert_eq!(
            refused[0].message,
            "Recommended price is required to enter the stage “Approval”"
        );
        let mut fields = Map::new();
        fields.insert("recommended_price".into(), json!(100));
        assert!(
            p.missing_for_move("reviewing", "approval", &fields)
                .is_empty()
        );
        let leave = p.missing_for_move("approval", "price_approved", &fields);
        assert_eq!(leave[0].code, "required_to_leave");
        assert!(
            p.missing_for_move("approval", "lost", &fields).is_empty(),
            "giving up needs no price"
        );
        fields.insert("approved_price".into(), json!(""));
        assert_eq!(
            p.missing_for_move("approval", "price_approved", &fields)
                .len(),
            1,
            "blank is not filled"
        );
    }

    #[test]
    fn money_is_read_from_what_people_type_and_shown_back() {
        assert_eq!(
            read_value("p", FieldKind::Money, &json!("1 234 567,89")),
            Ok(json!(123_456_789))
        );
        assert_eq!(
            read_value("p", FieldKind::Money, &json!(5000)),
            Ok(json!(5000))
        );
        assert_eq!(
            read_value("p", FieldKind::Money, &json!("")),
            Ok(Value::Null)
        );
        assert_eq!(
            read_value("p", FieldKind::Money, &json!("дорого"))
                .unwrap_err()
                .code,
            "invalid_money"
        );
        assert_eq!(
            format_money(123_456_789, Locale::Ru),
            "1\u{a0}234\u{a0}567,89"
        );
        assert_eq!(format_money(123_456_789, Locale::En), "1,234,567.89");
        assert_eq!(format_money(5, Locale::En), "0.05");
        assert_eq!(
            form_value(FieldKind::Money, Some(&json!(123_456_789))),
            "1 234 567,89"
        );
    }

    #[test]
    fn fields_are_checked_against_the_pipeline() {
        let p = pipeline();
        let mut input = Map::new();
        input.insert("vendor_email".into(), json!("not an address"));
        input.insert("colour".into(), json!("red"));
        let errors = read_fields(&p, &input, true).unwrap_err();
        let names: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["colour", "vendor_email"]);
        let kept = read_fields(
            &p,
            &Map::from_iter([("colour".to_string(), json!("red"))]),
            false,
        )
        .unwrap();
        assert_eq!(kept["colour"], "red");
    }

    #[test]
    fn actions_round_trip_through_storage() {
        let a = ActionKind::Email {
            to_field: "vendor_email".into(),
            subject: "s".into(),
            body: "b".into(),
        };
        assert_eq!(ActionKind::from_stored(a.name(), &a.params()), Some(a));
        assert_eq!(
            ActionKind::from_stored("notify", "{}"),
            Some(ActionKind::Notify {
                text: String::new()
            })
        );
        assert_eq!(ActionKind::from_stored("explode", "{}"), None);
    }

    #[test]
    fn changes_record_before_and_after() {
        let mut fields = Map::from_iter([("a".to_string(), json!(1))]);
        let diff = apply(
            &mut fields,
            &Map::from_iter([("a".to_string(), Value::Null), ("b".to_string(), json!(2))]),
        );
        assert_eq!(Value::Object(fields), json!({"b": 2}));
        assert_eq!(diff["a"], json!({"before": 1, "after": null}));
    }
}
