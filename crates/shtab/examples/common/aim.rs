//! How a bench states a figure next to its aim, so that a run reads as a verdict
//! (`bench/README.md` keeps the table of the latest ones).

// Included by several benches, each of which uses the half it needs.
#![allow(dead_code)]

/// `figure: value unit (aim ≤ target unit: met)`, or `short` when the value is above it.
pub fn at_most(figure: &str, value: f64, target: f64, unit: &str) -> String {
    line(figure, value, "≤", target, unit, value <= target)
}

/// `figure: value unit (aim ≥ target unit: met)`, or `short` when the value is below it.
pub fn at_least(figure: &str, value: f64, target: f64, unit: &str) -> String {
    line(figure, value, "≥", target, unit, value >= target)
}

fn line(figure: &str, value: f64, op: &str, target: f64, unit: &str, met: bool) -> String {
    let verdict = if met { "met" } else { "short" };
    format!("  {figure}: {value:.3} {unit} (aim {op} {target} {unit}: {verdict})")
}
