//! A cron expression in words, for the common shapes robots use: every N minutes, every
//! hour at :MM, every N hours, daily at HH:MM, on weekdays, monthly. Russian reads
//! «каждые 5 минут», «ежедневно в 03:30»; English "every 5 minutes", "daily at 03:30".
//! Other shapes are left to the expression itself (shown next to it).

use super::plural_ru;
use crate::i18n::Locale;

/// The expression in the reader's language; empty when it is not one of the known shapes.
pub fn describe(cron: &str, locale: Locale) -> String {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    // Six fields: seconds first; only a zero second reads as the five-field form.
    let fields = match fields.as_slice() {
        ["0", rest @ ..] if rest.len() == 5 => rest.to_vec(),
        f if f.len() == 5 => f.to_vec(),
        _ => return String::new(),
    };
    let (minute, hour, day, month, weekday) =
        (fields[0], fields[1], fields[2], fields[3], fields[4]);
    if month != "*" {
        return String::new();
    }
    let ru = locale == Locale::Ru;
    let number = |s: &str| s.parse::<i64>().ok();
    let step = |s: &str| s.strip_prefix("*/").and_then(|n| n.parse::<i64>().ok());
    let at = |h: i64, m: i64| format!("{h:02}:{m:02}");
    match (minute, hour, day, weekday) {
        ("*", "*", "*", "*") => {
            if ru {
                "каждую минуту".into()
            } else {
                "every minute".into()
            }
        }
        (m, "*", "*", "*") if step(m).is_some() => {
            let n = step(m).unwrap_or(1);
            if ru {
                format!("каждые {n} {}", plural_ru(n, "минуту", "минуты", "минут"))
            } else {
                format!("every {n} minutes")
            }
        }
        (m, "*", "*", "*") if number(m).is_some() => {
            let m = number(m).unwrap_or(0);
            if ru {
                format!(
                    "каждый час в {m:02} {}",
                    plural_ru(m, "минуту", "минуты", "минут")
                )
            } else {
                format!("every hour at :{m:02}")
            }
        }
        (m, h, "*", "*") if number(m).is_some() && step(h).is_some() => {
            let (m, n) = (number(m).unwrap_or(0), step(h).unwrap_or(1));
            if ru {
                format!(
                    "каждые {n} {}, в {m:02} мин.",
                    plural_ru(n, "час", "часа", "часов")
                )
            } else {
                format!("every {n} hours at :{m:02}")
            }
        }
        (m, h, "*", w) if number(m).is_some() && number(h).is_some() => {
            let time = at(number(h).unwrap_or(0), number(m).unwrap_or(0));
            if w == "*" {
                return if ru {
                    format!("ежедневно в {time}")
                } else {
                    format!("daily at {time}")
                };
            }
            match weekdays(w, ru) {
                Some(days) if ru => format!("{days} в {time}"),
                Some(days) => format!("{days} at {time}"),
                None => String::new(),
            }
        }
        (m, h, d, "*") if number(m).is_some() && number(h).is_some() && number(d).is_some() => {
            let time = at(number(h).unwrap_or(0), number(m).unwrap_or(0));
            let d = number(d).unwrap_or(1);
            if ru {
                format!("ежемесячно, {d}-го числа в {time}")
            } else {
                format!("monthly on day {d} at {time}")
            }
        }
        _ => String::new(),
    }
}

/// `1-5` → «по будним дням», `1,3` → «по понедельникам и средам»; `None` for other forms.
fn weekdays(field: &str, ru: bool) -> Option<String> {
    if field == "1-5" || field.eq_ignore_ascii_case("mon-fri") {
        return Some(if ru {
            "по будним дням".into()
        } else {
            "on weekdays".into()
        });
    }
    const RU: [&str; 7] = [
        "воскресеньям",
        "понедельникам",
        "вторникам",
        "средам",
        "четвергам",
        "пятницам",
        "субботам",
    ];
    const EN: [&str; 7] = [
        "Sundays",
        "Mondays",
        "Tuesdays",
        "Wednesdays",
        "Thursdays",
        "Fridays",
        "Saturdays",
    ];
    let days: Option<Vec<usize>> = field
        .split(',')
        .map(|d| d.parse::<usize>().ok().map(|d| d % 7))
        .collect();
    let names: Vec<&str> = days?
        .into_iter()
        .map(|d| if ru { RU[d] } else { EN[d] })
        .collect();
    let joined = match names.as_slice() {
        [] => return None,
        [one] => one.to_string(),
        [init @ .., last] => format!(
            "{} {} {last}",
            init.join(", "),
            if ru { "и" } else { "and" }
        ),
    };
    Some(if ru {
        format!("по {joined}")
    } else {
        format!("on {joined}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_robots_schedules_read_in_russian_and_english() {
        let ru = |c| describe(c, Locale::Ru);
        let en = |c| describe(c, Locale::En);
        assert_eq!(ru("*/5 * * * *"), "каждые 5 минут");
        assert_eq!(ru("*/1 * * * *"), "каждые 1 минуту");
        assert_eq!(ru("*/2 * * * *"), "каждые 2 минуты");
        assert_eq!(ru("30 3 * * *"), "ежедневно в 03:30");
        assert_eq!(ru("0 */2 * * *"), "каждые 2 часа, в 00 мин.");
        assert_eq!(ru("0 * * * *"), "каждый час в 00 минут");
        assert_eq!(ru("0 9 * * 1-5"), "по будним дням в 09:00");
        assert_eq!(ru("0 9 * * 1,3"), "по понедельникам и средам в 09:00");
        assert_eq!(ru("0 9 1 * *"), "ежемесячно, 1-го числа в 09:00");
        assert_eq!(ru("0 30 3 * * *"), "ежедневно в 03:30");
        assert_eq!(ru("0 9 * 1 *"), "");
        assert_eq!(en("*/5 * * * *"), "every 5 minutes");
        assert_eq!(en("30 3 * * *"), "daily at 03:30");
        assert_eq!(en("0 9 * * 1"), "on Mondays at 09:00");
    }
}
