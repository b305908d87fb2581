use crate::FieldError;

/// A required single-line text: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &str, input: &str, max: usize) -> Result<String, FieldError> {
    match optional_text(field, input, max)? {
        Some(s) => Ok(s),
        None => Err(FieldError::required(field)),
    }
}

/// An optional single-line text: trimmed; empty becomes `None`.
pub fn optional_text(field: &str, input: &str, max: usize) -> Result<Option<String>, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(
            field,
            "control_characters",
            "must not contain control characters",
        ));
    }
    Ok(Some(s.to_string()))
}
