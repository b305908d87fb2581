//! The in/out chart's geometry: two bars per day, week or month, scaled to the largest,
//! with a few date labels. Computed here so the template only draws rectangles, and the
//! page needs no script (the CSP allows none inline anyway).

use chrono::NaiveDate;
use shtab_web::i18n::Locale;

use super::texts::DashboardTexts;
use crate::store::dashboard::{Bucket, Period};
use crate::web::payments::view::money;

pub const WIDTH: f64 = 760.0;
pub const HEIGHT: f64 = 240.0;
const LEFT: f64 = 96.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// `bank-bar-in` or `bank-bar-out`.
    pub class: &'static str,
    /// The tooltip: the bucket and the amount.
    pub title: String,
}

pub struct Label {
    pub x: String,
    pub y: String,
    pub text: String,
}

pub struct GridLine {
    pub y: String,
    pub label_y: String,
    pub label: String,
}

pub struct Chart {
    pub width: String,
    pub height: String,
    pub left: String,
    pub right: String,
    pub bars: Vec<Bar>,
    pub labels: Vec<Label>,
    pub grid: Vec<GridLine>,
    /// For screen readers: what the chart shows, in words.
    pub summary: String,
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// The bucket as its label says it: `05.02`, `05.02` (the week's Monday), `02.2026`.
fn bucket_label(period: Period, locale: Locale, start: NaiveDate) -> String {
    match (period, locale) {
        (Period::Month, Locale::Ru) => start.format("%m.%Y").to_string(),
        (Period::Month, Locale::En) => start.format("%b %Y").to_string(),
        (_, Locale::Ru) => start.format("%d.%m").to_string(),
        (_, Locale::En) => start.format("%b %d").to_string(),
    }
}

/// Every how many buckets a label fits under the bars.
fn label_every(period: Period) -> usize {
    match period {
        Period::Day => 5,
        Period::Week => 2,
        Period::Month => 1,
    }
}

pub fn chart(t: &DashboardTexts, locale: Locale, period: Period, buckets: &[Bucket]) -> Chart {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base = TOP + plot_h;
    let max = buckets
        .iter()
        .flat_map(|b| [b.incoming, b.outgoing])
        .max()
        .unwrap_or(0)
        .max(0);
    let slot = plot_w / buckets.len().max(1) as f64;
    let bar_w = slot * 0.38;
    let scale = |v: i64| {
        if max == 0 {
            0.0
        } else {
            // Display geometry only; the amounts themselves stay integer kopecks.
            (v.max(0) as f64 / max as f64) * plot_h
        }
    };
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    let every = label_every(period);
    for (i, b) in buckets.iter().enumerate() {
        let x0 = LEFT + slot * i as f64 + slot * 0.1;
        let name = bucket_label(period, locale, b.start);
        for (j, (value, class, what)) in [
            (b.incoming, "bank-bar-in", t.incoming),
            (b.outgoing, "bank-bar-out", t.outgoing),
        ]
        .into_iter()
        .enumerate()
        {
            let h = scale(value);
            bars.push(Bar {
                x: px(x0 + bar_w * j as f64),
                y: px(base - h),
                width: px(bar_w),
                height: px(h),
                class,
                title: format!("{name}: {what} {} ₽", money(locale, value)),
            });
        }
        if i % every == 0 || i + 1 == buckets.len() {
            labels.push(Label {
                x: px(x0 + bar_w),
                y: px(HEIGHT - 8.0),
                text: name,
            });
        }
    }
    // Labels closer than a label's width would overlap; the last one (today) wins.
    if labels.len() >= 2 {
        let last = labels.len() - 1;
        let too_close = |a: &Label, b: &Label| {
            let (Ok(a), Ok(b)) = (a.x.parse::<f64>(), b.x.parse::<f64>()) else {
                return false;
            };
            (b - a).abs() < 48.0
        };
        if too_close(&labels[last - 1], &labels[last]) {
            labels.remove(last - 1);
        }
    }
    let grid = [max, max / 2, 0]
        .into_iter()
        .map(|v| {
            let y = base - scale(v);
            GridLine {
                y: px(y),
                label_y: px(y + 4.0),
                label: format!("{} ₽", money(locale, v)),
            }
        })
        .collect();
    let total_in: i64 = buckets.iter().map(|b| b.incoming).sum();
    let total_out: i64 = buckets.iter().map(|b| b.outgoing).sum();
    Chart {
        width: px(WIDTH),
        height: px(HEIGHT),
        left: px(LEFT),
        right: px(WIDTH - RIGHT),
        bars,
        labels,
        grid,
        summary: format!(
            "{} {} ₽, {} {} ₽",
            t.incoming,
            money(locale, total_in),
            t.outgoing,
            money(locale, total_out)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::dashboard::texts::texts;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_largest_bar_fills_the_plot_and_the_rest_scale_to_it() {
        let buckets = [
            Bucket {
                start: d("2026-02-01"),
                incoming: 10_000,
                outgoing: 5000,
            },
            Bucket {
                start: d("2026-02-02"),
                incoming: 0,
                outgoing: 0,
            },
        ];
        let c = chart(texts(Locale::Ru), Locale::Ru, Period::Day, &buckets);
        assert_eq!(c.bars.len(), 4);
        let h = |i: usize| c.bars[i].height.parse::<f64>().unwrap();
        assert_eq!(h(0), HEIGHT - TOP - BOTTOM);
        assert_eq!(h(1), h(0) / 2.0);
        assert_eq!((h(2), h(3)), (0.0, 0.0));
        assert_eq!(c.bars[0].title, "01.02: поступления 100,00 ₽");
        assert_eq!(c.grid[0].label, "100,00 ₽");
    }

    #[test]
    fn nothing_to_show_draws_flat_bars_without_dividing_by_zero() {
        let buckets: Vec<Bucket> = Period::Month
            .buckets(d("2026-02-10"))
            .into_iter()
            .map(|start| Bucket {
                start,
                incoming: 0,
                outgoing: 0,
            })
            .collect();
        let c = chart(texts(Locale::En), Locale::En, Period::Month, &buckets);
        assert!(c.bars.iter().all(|b| b.height == "0.0"));
        assert_eq!(c.labels.len(), 12);
        assert_eq!(c.labels[11].text, "Feb 2026");
    }
}
