//! The timeline comments Shtab leaves on a smart invoice, in BB-code, in the hub's language:
//! a payment (in full or in part), and a payment taken back. What the bank statement says
//! (payer, purpose) is the payer's text: its square brackets are replaced, so it cannot
//! smuggle a link or markup into the CRM.

use shtab_core::types::{Kopecks, Locale};

/// What the comment says about the payment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentDetail {
    /// The operation's date, `YYYY-MM-DD`.
    pub date: String,
    /// The whole payment.
    pub amount: Kopecks,
    pub payer_name: String,
    pub payer_inn: String,
    pub purpose: String,
}

/// One comment's facts.
pub struct Facts<'a> {
    pub locale: Locale,
    /// What this payment pays on this invoice.
    pub allocated: Kopecks,
    /// The invoice's amount, and what is paid on it after this comment's change.
    pub invoice_amount: Kopecks,
    pub paid_after: Kopecks,
    /// `None` when the payment is no longer in Shtab.
    pub payment: Option<&'a PaymentDetail>,
    /// The payment's page in Shtab.
    pub link: String,
    pub payment_id: &'a str,
}

/// Square brackets are BB-code's: the payer's text gets look-alikes.
fn plain(text: &str) -> String {
    text.replace('[', "［").replace(']', "］")
}

fn money(locale: Locale, k: Kopecks) -> String {
    let ru = k.to_string();
    match locale {
        Locale::Ru => format!("{ru} ₽"),
        Locale::En => format!("{} RUB", ru.replace(',', ".").replace(' ', ",")),
    }
}

fn date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|d| d.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| iso.to_owned())
}

/// `15 000,50 ₽ (платёж на 30 000,00 ₽) от ООО «Ромашка» (ИНН 7707083893), выписка от
/// 02.02.2026`.
fn what(f: &Facts<'_>) -> String {
    let ru = f.locale == Locale::Ru;
    let mut s = money(f.locale, f.allocated);
    if let Some(p) = f.payment {
        if p.amount != f.allocated {
            let whole = money(f.locale, p.amount);
            s += &if ru {
                format!(" (платёж на {whole})")
            } else {
                format!(" (of a payment of {whole})")
            };
        }
        let payer = plain(p.payer_name.trim());
        let inn = plain(p.payer_inn.trim());
        match (payer.is_empty(), inn.is_empty(), ru) {
            (false, false, true) => s += &format!(" от {payer} (ИНН {inn})"),
            (false, false, false) => s += &format!(" from {payer} (INN {inn})"),
            (true, false, true) => s += &format!(" от ИНН {inn}"),
            (true, false, false) => s += &format!(" from INN {inn}"),
            (false, true, true) => s += &format!(" от {payer}"),
            (false, true, false) => s += &format!(" from {payer}"),
            (true, true, _) => {}
        }
        if !p.date.is_empty() {
            let d = date(&p.date);
            s += &if ru {
                format!(", выписка от {d}")
            } else {
                format!(", statement of {d}")
            };
        }
    }
    s
}

fn tail(f: &Facts<'_>) -> String {
    let ru = f.locale == Locale::Ru;
    let mut lines = Vec::new();
    if let Some(p) = f.payment
        && !p.purpose.trim().is_empty()
    {
        let purpose = plain(p.purpose.trim());
        lines.push(if ru {
            format!("Назначение: {purpose}")
        } else {
            format!("Purpose: {purpose}")
        });
    }
    let link = format!("[URL={}]№ {}[/URL]", f.link, f.payment_id);
    lines.push(if ru {
        format!("Платёж в Штабе: {link}")
    } else {
        format!("The payment in Shtab: {link}")
    });
    lines.join("\n")
}

fn balance(f: &Facts<'_>) -> String {
    let left = Kopecks((f.invoice_amount.0 - f.paid_after.0).max(0));
    let (paid, of, left) = (
        money(f.locale, f.paid_after),
        money(f.locale, f.invoice_amount),
        money(f.locale, left),
    );
    match f.locale {
        Locale::Ru => format!("Оплачено {paid} из {of}, осталось {left}."),
        Locale::En => format!("Paid {paid} of {of}, {left} left."),
    }
}

/// A payment recorded on the invoice: paid in full, or part of it (with paid and remaining).
pub fn paid(f: &Facts<'_>) -> String {
    let full = f.paid_after >= f.invoice_amount;
    let head = match (f.locale, full) {
        (Locale::Ru, true) => format!("[B]Счёт оплачен[/B]: {}.", what(f)),
        (Locale::Ru, false) => format!("[B]Частичная оплата[/B]: {}. {}", what(f), balance(f)),
        (Locale::En, true) => format!("[B]Invoice paid[/B]: {}.", what(f)),
        (Locale::En, false) => format!("[B]Part payment[/B]: {}. {}", what(f), balance(f)),
    };
    format!("{head}\n{}", tail(f))
}

/// A payment taken back off the invoice.
pub fn reversed(f: &Facts<'_>, stage_restored: Option<&str>) -> String {
    let mut head = match f.locale {
        Locale::Ru => format!(
            "[B]Оплата снята[/B]: {} больше не засчитана в этот счёт. {}",
            what(f),
            balance(f)
        ),
        Locale::En => format!(
            "[B]Payment taken back[/B]: {} no longer pays this invoice. {}",
            what(f),
            balance(f)
        ),
    };
    if let Some(stage) = stage_restored {
        head += &match f.locale {
            Locale::Ru => format!(" Стадия возвращена: {stage}."),
            Locale::En => format!(" Stage restored: {stage}."),
        };
    }
    format!("{head}\n{}", tail(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment() -> PaymentDetail {
        PaymentDetail {
            date: "2026-02-02".into(),
            amount: Kopecks(1_500_050),
            payer_name: "ООО «Ромашка»".into(),
            payer_inn: "7707083893".into(),
            purpose: "Оплата по счету 120 [URL=http://evil.example]тут[/URL]".into(),
        }
    }

    fn facts<'a>(p: &'a PaymentDetail, allocated: i64, paid_after: i64) -> Facts<'a> {
        Facts {
            locale: Locale::Ru,
            allocated: Kopecks(allocated),
            invoice_amount: Kopecks(1_500_050),
            paid_after: Kopecks(paid_after),
            payment: Some(p),
            link: "http://hub.example/bank/payments/7".into(),
            payment_id: "7",
        }
    }

    #[test]
    fn a_full_payment_names_date_amount_payer_purpose_and_links_the_payment() {
        let p = payment();
        assert_eq!(
            paid(&facts(&p, 1_500_050, 1_500_050)),
            "[B]Счёт оплачен[/B]: 15 000,50 ₽ от ООО «Ромашка» (ИНН 7707083893), выписка от 02.02.2026.\n\
             Назначение: Оплата по счету 120 ［URL=http://evil.example］тут［/URL］\n\
             Платёж в Штабе: [URL=http://hub.example/bank/payments/7]№ 7[/URL]"
        );
    }

    #[test]
    fn a_part_payment_says_what_is_paid_and_left() {
        let p = PaymentDetail {
            amount: Kopecks(500_000),
            ..payment()
        };
        let text = paid(&facts(&p, 500_000, 500_000));
        assert!(
            text.starts_with(
                "[B]Частичная оплата[/B]: 5 000,00 ₽ от ООО «Ромашка» (ИНН 7707083893), выписка от \
                 02.02.2026. Оплачено 5 000,00 ₽ из 15 000,50 ₽, осталось 10 000,50 ₽.\n"
            ),
            "{text}"
        );
        let split = paid(&facts(&payment(), 700_000, 700_000));
        assert!(
            split.contains("7 000,00 ₽ (платёж на 15 000,50 ₽) от"),
            "{split}"
        );
        let en = paid(&Facts {
            locale: Locale::En,
            ..facts(&p, 500_000, 500_000)
        });
        assert!(
            en.starts_with("[B]Part payment[/B]: 5,000.00 RUB from ООО «Ромашка» (INN 7707083893)"),
            "{en}"
        );
        assert!(
            en.contains("Paid 5,000.00 RUB of 15,000.50 RUB, 10,000.50 RUB left."),
            "{en}"
        );
    }

    #[test]
    fn taking_back_says_so_and_names_the_stage_restored() {
        let p = payment();
        let text = reversed(&facts(&p, 1_500_050, 0), Some("Отправлен клиенту"));
        assert!(
            text.starts_with(
                "[B]Оплата снята[/B]: 15 000,50 ₽ от ООО «Ромашка» (ИНН 7707083893), выписка от \
                 02.02.2026 больше не засчитана в этот счёт. Оплачено 0,00 ₽ из 15 000,50 ₽, \
                 осталось 15 000,50 ₽. Стадия возвращена: Отправлен клиенту.\n"
            ),
            "{text}"
        );
    }
}
