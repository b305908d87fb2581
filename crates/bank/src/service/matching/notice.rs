//! Saying what happened: the note stored on a payment (in the hub's language), and the
//! message to the people who must look (rendered per reader from neutral keys by the
//! `bank.payment_needs_attention` template).

use std::collections::HashMap;

use serde_json::json;
use shtab_core::auth::{Permission, Role};
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{Invoice, Message};
use shtab_core::types::Locale;
use sqlx::AssertSqlSafe;

use super::Matcher;
use crate::domain::Kopecks;
use crate::domain::matching::{Outcome, Reason};
use crate::store::payments::Payment;

pub const TEMPLATE: &str = "bank.payment_needs_attention";

/// The outcome as a stable key, for templates and the API: `full`, `several`, `partial`,
/// or the reason a payment was left unallocated (`no_payer_inn`, `no_candidates`,
/// `numbers_not_found`, `ambiguous_number`, `overpayment`, `underpays_several`,
/// `several_equal`, `no_fit`, `nothing_left`).
pub fn outcome_key(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Full { .. } => "full",
        Outcome::Several { .. } => "several",
        Outcome::Partial { .. } => "partial",
        Outcome::Unallocated { reason } => match reason {
            Reason::NothingLeft => "nothing_left",
            Reason::NoPayerInn => "no_payer_inn",
            Reason::NoCandidates => "no_candidates",
            Reason::NumbersNotFound { .. } => "numbers_not_found",
            Reason::AmbiguousNumber { .. } => "ambiguous_number",
            Reason::Overpayment { .. } => "overpayment",
            Reason::UnderpaysSeveral { .. } => "underpays_several",
            Reason::SeveralEqual { .. } => "several_equal",
            Reason::NoFit => "no_fit",
        },
    }
}

/// Invoice numbers by port id, to name invoices the way people know them.
pub(super) struct Numbers<'a>(pub HashMap<&'a str, &'a str>);

impl<'a> Numbers<'a> {
    pub fn of(invoices: &'a [Invoice]) -> Self {
        Numbers(
            invoices
                .iter()
                .map(|i| (i.id.as_str(), i.number.as_str()))
                .collect(),
        )
    }

    fn one(&self, id: &str) -> String {
        self.0
            .get(id)
            .map_or_else(|| id.to_owned(), |n| (*n).to_owned())
    }

    fn list(&self, ids: &[String]) -> String {
        ids.iter()
            .map(|id| self.one(id))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Money as the note shows it: `1 234,56 ₽`, or `1,234.56 RUB`.
fn money(locale: Locale, k: i64) -> String {
    let ru = Kopecks(k).to_string();
    match locale {
        Locale::Ru => format!("{ru} ₽"),
        Locale::En => format!("{} RUB", ru.replace(',', ".").replace(' ', ",")),
    }
}

/// Why the payment stands as it does, in a sentence.
pub(super) fn note(locale: Locale, outcome: &Outcome, numbers: &Numbers<'_>) -> String {
    let ru = locale == Locale::Ru;
    let m = |k: i64| money(locale, k);
    match outcome {
        Outcome::Full { invoice, .. } => {
            let n = numbers.one(invoice);
            if ru {
                format!("Оплачен счёт № {n}")
            } else {
                format!("Pays invoice {n} in full")
            }
        }
        Outcome::Several { allocations } => {
            let ids: Vec<String> = allocations.iter().map(|(id, _)| id.clone()).collect();
            let list = numbers.list(&ids);
            if ru {
                format!("Оплачены несколько счетов: № {list}")
            } else {
                format!("Pays several invoices: {list}")
            }
        }
        Outcome::Partial { invoice, amount } => {
            let n = numbers.one(invoice);
            if ru {
                format!("Частичная оплата счёта № {n} ({})", m(*amount))
            } else {
                format!("Pays part of invoice {n} ({})", m(*amount))
            }
        }
        Outcome::Unallocated { reason } => reason_note(ru, reason, numbers, &m),
    }
}

fn reason_note(
    ru: bool,
    reason: &Reason,
    numbers: &Numbers<'_>,
    m: &dyn Fn(i64) -> String,
) -> String {
    match reason {
        Reason::NothingLeft => if ru {
            "Платёж уже разнесён полностью"
        } else {
            "The whole payment is already allocated"
        }
        .to_owned(),
        Reason::NoPayerInn => if ru {
            "В платеже нет ИНН плательщика: чей он, решает человек"
        } else {
            "The payment has no payer INN: a person decides whose it is"
        }
        .to_owned(),
        Reason::NoCandidates => if ru {
            "У плательщика нет неоплаченных счетов; платёж разнесётся, когда счёт появится"
        } else {
            "The payer has no unpaid invoice; the payment is matched when one appears"
        }
        .to_owned(),
        Reason::NumbersNotFound { numbers: named } => {
            let named = named.join(", ");
            if ru {
                format!("Счетов № {named} у плательщика нет, и по сумме счёт не подходит")
            } else {
                format!("The payer has no invoice numbered {named}, and no invoice fits the amount")
            }
        }
        Reason::AmbiguousNumber { number, invoices } => {
            let list = numbers.list(invoices);
            if ru {
                format!(
                    "Номер {number} есть у нескольких счетов плательщика (№ {list}), сумма не подсказывает какой"
                )
            } else {
                format!(
                    "Several of the payer's invoices are numbered {number} ({list}); the amount does not tell which"
                )
            }
        }
        Reason::Overpayment {
            invoices,
            remaining,
        } => {
            let list = numbers.list(invoices);
            if ru {
                format!(
                    "Платёж больше остатка по счёту № {list} ({})",
                    m(*remaining)
                )
            } else {
                format!(
                    "The payment is more than what is left to pay of invoice {list} ({})",
                    m(*remaining)
                )
            }
        }
        Reason::UnderpaysSeveral {
            invoices,
            remaining,
        } => {
            let list = numbers.list(invoices);
            if ru {
                format!(
                    "Платёж меньше суммы названных счетов № {list} ({}): какой оплачен не полностью, решает человек",
                    m(*remaining)
                )
            } else {
                format!(
                    "The payment is less than the named invoices {list} add up to ({}): a person decides which stays part-paid",
                    m(*remaining)
                )
            }
        }
        Reason::SeveralEqual { invoices } => {
            let list = numbers.list(invoices);
            if ru {
                format!("Сумма платежа совпадает с остатком нескольких счетов: № {list}")
            } else {
                format!("Several invoices have exactly this amount left to pay: {list}")
            }
        }
        Reason::NoFit => if ru {
            "Ни один открытый счёт плательщика не подходит ни по номеру, ни по сумме"
        } else {
            "None of the payer's open invoices fits by number or by amount"
        }
        .to_owned(),
    }
}

/// A person's allocation, as the payment's note says it.
pub(super) fn manual_note(locale: Locale, who: &str, removed: bool) -> String {
    match (locale, removed) {
        (Locale::Ru, false) => format!("Разнесён вручную ({who})"),
        (Locale::Ru, true) => format!("Разнесение снято вручную ({who})"),
        (Locale::En, false) => format!("Allocated by hand ({who})"),
        (Locale::En, true) => format!("Allocation removed by hand ({who})"),
    }
}

/// The invoices a person must look at for this outcome: those it pays or names; when it
/// names none but the payer has open invoices, all of those.
pub(super) fn concerned<'a>(outcome: &Outcome, candidates: &'a [Invoice]) -> Vec<&'a Invoice> {
    let ids: Vec<String> = match outcome {
        Outcome::Full { .. } | Outcome::Several { .. } | Outcome::Partial { .. } => outcome
            .allocations()
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
        Outcome::Unallocated { reason } => match reason {
            Reason::AmbiguousNumber { invoices, .. }
            | Reason::Overpayment { invoices, .. }
            | Reason::UnderpaysSeveral { invoices, .. }
            | Reason::SeveralEqual { invoices } => invoices.clone(),
            Reason::NumbersNotFound { .. } | Reason::NoFit => {
                candidates.iter().map(|i| i.id.clone()).collect()
            }
            Reason::NothingLeft | Reason::NoPayerInn | Reason::NoCandidates => Vec::new(),
        },
    };
    candidates.iter().filter(|i| ids.contains(&i.id)).collect()
}

/// The message about the payment, in keys every language's template can use.
pub(super) fn message(payment: &Payment, outcome: &Outcome, concerned: &[&Invoice]) -> Message {
    let (remaining, named) = match outcome {
        Outcome::Unallocated {
            reason:
                Reason::Overpayment { remaining, .. } | Reason::UnderpaysSeveral { remaining, .. },
        } => (Some(Kopecks(*remaining).to_string()), String::new()),
        Outcome::Unallocated {
            reason: Reason::NumbersNotFound { numbers },
        } => (None, numbers.join(", ")),
        Outcome::Unallocated {
            reason: Reason::AmbiguousNumber { number, .. },
        } => (None, number.clone()),
        _ => (None, String::new()),
    };
    let numbers: Vec<&str> = concerned.iter().map(|i| i.number.as_str()).collect();
    let payer = if payment.payer.name.trim().is_empty() {
        payment.payer.inn.clone()
    } else {
        payment.payer.name.clone()
    };
    let date = payment
        .op_date
        .parse::<chrono::NaiveDate>()
        .map(|d| d.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| payment.op_date.clone());
    Message {
        template: TEMPLATE.to_owned(),
        context: json!({
            "payer": payer,
            "inn": payment.payer.inn,
            "amount": payment.amount.to_string(),
            "date": date,
            "purpose": payment.purpose,
            "outcome": outcome_key(outcome),
            "invoice": numbers.first().copied().unwrap_or(""),
            "invoices": numbers.join(", "),
            "numbers": named,
            "remaining": remaining,
            "allocated": Kopecks(outcome.allocations().iter().map(|(_, a)| *a).sum()).to_string(),
        }),
        link: Some(format!("/bank/payments/{}", payment.id)),
    }
}

impl Matcher {
    /// Who is told: the managers responsible for the invoices concerned (a manager who
    /// left is replaced by theirs), else the people who may allocate payments by hand.
    pub(super) async fn recipients(&self, concerned: &[&Invoice]) -> CoreResult<Vec<PersonId>> {
        let mut out: Vec<PersonId> = Vec::new();
        for person in concerned.iter().filter_map(|i| i.responsible) {
            let who = if self.has_left(person).await? {
                self.directory
                    .responsible_manager(person)
                    .await
                    .ok()
                    .flatten()
            } else {
                Some(person)
            };
            if let Some(who) = who
                && !out.contains(&who)
            {
                out.push(who);
            }
        }
        if out.is_empty() {
            out = self.bank_managers().await?;
        }
        Ok(out)
    }

    async fn has_left(&self, person: PersonId) -> CoreResult<bool> {
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM people WHERE id = $1")
            .bind(person.0)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(status.is_none_or(|s| s == "left"))
    }

    /// Active people whose enabled user holds a role that may allocate payments.
    async fn bank_managers(&self) -> CoreResult<Vec<PersonId>> {
        let roles: Vec<&str> = Role::ALL
            .into_iter()
            .filter(|r| r.permissions().contains(&Permission::BankManage))
            .map(Role::as_str)
            .collect();
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=roles.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT DISTINCT u.person_id FROM users u \
             JOIN user_roles r ON r.user_id = u.id JOIN people p ON p.id = u.person_id \
             WHERE u.disabled = 0 AND p.status = 'active' AND r.role IN ({}) ORDER BY u.person_id",
            marks.join(", ")
        );
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
        for role in roles {
            q = q.bind(role);
        }
        Ok(q.fetch_all(self.db.pool())
            .await?
            .into_iter()
            .map(PersonId)
            .collect())
    }

    /// Tells each recipient; a failure to queue a message is logged, not returned: the
    /// payment's state is already committed, and a retry of the run would not tell again.
    pub(super) async fn tell(
        &self,
        payment: &Payment,
        outcome: &Outcome,
        candidates: &[Invoice],
    ) -> Vec<i64> {
        let concerned = concerned(outcome, candidates);
        let message = message(payment, outcome, &concerned);
        let people = match self.recipients(&concerned).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(payment_id = payment.id, error = %e, "finding whom to tell about a payment failed");
                return Vec::new();
            }
        };
        if people.is_empty() {
            tracing::warn!(
                payment_id = payment.id,
                "a payment needs attention, and nobody may allocate payments"
            );
        }
        let mut ids = Vec::new();
        for person in people {
            match self.notifier.send(person, &message).await {
                Ok(d) => ids.extend(d),
                Err(e) => {
                    tracing::error!(payment_id = payment.id, person = person.0, error = %e, "telling about a payment failed")
                }
            }
        }
        ids
    }
}
