//! Which invoices an incoming payment pays: pure allocation, no IO.
//!
//! The matcher gathers facts (the payment, the numbers its purpose names, the payer's open
//! invoices) and [`decide`] says what to do with the money. Only [`Outcome::Full`] is
//! applied silently; every other outcome is a reason to tell the responsible manager.
//!
//! Rules, in order:
//! 1. Only invoices billed to the payer's INN, open and with something left to pay are
//!    candidates. Invoice numbers repeat across customers (every client has its «№ 12»),
//!    so a matching number on another customer's invoice proves nothing and is never used.
//! 2. When the purpose names invoice numbers that are among the candidates, the numbers
//!    decide: one invoice → full, partial or overpaid by the amount; several → paid
//!    together only when their remaining amounts add up to the payment exactly.
//! 3. Otherwise the amount decides: the one candidate whose remaining amount equals the
//!    payment is paid in full; several such candidates are ambiguous. A payment that names
//!    no number and is smaller than the payer's only open invoice pays part of it. A payment
//!    equal to everything the payer owes pays it all (a settlement of several invoices).
//! 4. Anything else stays unallocated, with a [`Reason`].
//!
//! Amounts are kopecks. Sums are taken in `i128`, so no input overflows; an allocation is
//! never more than what is left of the payment, nor more than what is left of its invoice.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::purpose::normalize_number;

/// What the matcher knows about an incoming payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFacts {
    /// Kopecks; a real payment is positive.
    pub amount: i64,
    /// The payer's INN as the bank reported it; `None` for payers without one.
    pub payer_inn: Option<String>,
    /// Invoice numbers from the purpose ([`super::purpose::invoice_numbers`]).
    pub purpose_numbers: Vec<String>,
    /// Kopecks of this payment already allocated (by hand or by an earlier run); only the
    /// rest is allocated.
    pub already_allocated: i64,
}

impl PaymentFacts {
    /// Kopecks of the payment not yet allocated (never negative).
    pub fn unallocated(&self) -> i64 {
        self.amount.saturating_sub(self.already_allocated).max(0)
    }
}

/// What the matcher knows about an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceFacts {
    pub id: String,
    pub number: String,
    /// The INN the invoice is billed to.
    pub payer_inn: String,
    /// Kopecks.
    pub amount: i64,
    /// Kopecks already paid.
    pub paid: i64,
    /// Neither paid in full nor cancelled.
    pub open: bool,
}

impl InvoiceFacts {
    /// Kopecks still to be paid (never negative, also when overpaid).
    pub fn remaining(&self) -> i64 {
        self.amount.saturating_sub(self.paid).max(0)
    }

    fn billed_to(&self, inn: &str) -> bool {
        let own = self.payer_inn.trim();
        !own.is_empty() && own == inn
    }
}

/// What to do with a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// One invoice paid in full by the whole (unallocated part of the) payment, found by
    /// number or by an exact and unique remaining amount. The only outcome that tells nobody.
    /// `amount` equals the invoice's remaining amount.
    Full { invoice: String, amount: i64 },
    /// The payment pays several invoices whose remaining amounts sum exactly to it, in the
    /// order the purpose names them.
    Several { allocations: Vec<(String, i64)> },
    /// The payment pays part of one invoice (named by number, or the payer's only one).
    Partial { invoice: String, amount: i64 },
    /// Left unallocated for a person to look at.
    Unallocated { reason: Reason },
}

/// Why a payment was left unallocated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Nothing of the payment is left to allocate (or its amount is not positive). Nothing
    /// happened, so nobody is told: re-running the matcher on a settled payment is a no-op.
    NothingLeft,
    /// The bank reported no payer INN, so no invoice can be trusted to be the payer's.
    NoPayerInn,
    /// The payer has no open invoice with anything left to pay (the invoice may come
    /// later: the matcher retries when one appears).
    NoCandidates,
    /// The purpose names numbers none of the payer's open invoices has, and the amount
    /// picks no invoice either.
    NumbersNotFound { numbers: Vec<String> },
    /// A named number fits several of the payer's open invoices (numbering restarted, a
    /// duplicate) and the amount does not tell which.
    AmbiguousNumber {
        number: String,
        invoices: Vec<String>,
    },
    /// The payment is more than what is left of the invoice(s) it pays.
    Overpayment {
        invoices: Vec<String>,
        remaining: i64,
    },
    /// The purpose names several invoices, and the payment is less than they add up to:
    /// which one to leave part-paid is a person's call.
    UnderpaysSeveral {
        invoices: Vec<String>,
        remaining: i64,
    },
    /// Several of the payer's open invoices have exactly the payment's remaining amount.
    SeveralEqual { invoices: Vec<String> },
    /// The payer has several open invoices, none named, none with the payment's amount.
    NoFit,
}

impl Outcome {
    /// Whether the responsible manager must be told: everything but a clean full match
    /// (and [`Reason::NothingLeft`], where nothing happened).
    pub fn needs_attention(&self) -> bool {
        !matches!(
            self,
            Outcome::Full { .. }
                | Outcome::Unallocated {
                    reason: Reason::NothingLeft
                }
        )
    }

    /// The (invoice id, kopecks) pairs to record.
    pub fn allocations(&self) -> Vec<(String, i64)> {
        match self {
            Outcome::Full { invoice, amount } | Outcome::Partial { invoice, amount } => {
                vec![(invoice.clone(), *amount)]
            }
            Outcome::Several { allocations } => allocations.clone(),
            Outcome::Unallocated { .. } => Vec::new(),
        }
    }
}

/// Decides what `payment` pays among `candidates`. Any invoices may be passed: those of
/// other INNs, closed ones and ones with nothing left are ignored. The answer does not
/// depend on the order of `candidates`.
pub fn decide(payment: &PaymentFacts, candidates: &[InvoiceFacts]) -> Outcome {
    let unallocated = |reason| Outcome::Unallocated { reason };
    let money = payment.unallocated();
    if payment.amount <= 0 || money <= 0 {
        return unallocated(Reason::NothingLeft);
    }
    let Some(inn) = payment
        .payer_inn
        .as_deref()
        .map(str::trim)
        .filter(|inn| !inn.is_empty())
    else {
        return unallocated(Reason::NoPayerInn);
    };

    // Sorted and de-duplicated by id, so the caller's order cannot change the answer.
    let mut pool: Vec<&InvoiceFacts> = candidates
        .iter()
        .filter(|i| i.open && i.billed_to(inn) && i.remaining() > 0)
        .collect();
    pool.sort_by(|a, b| {
        (&a.id, &a.number, a.amount, a.paid).cmp(&(&b.id, &b.number, b.amount, b.paid))
    });
    pool.dedup_by(|a, b| a.id == b.id);
    if pool.is_empty() {
        return unallocated(Reason::NoCandidates);
    }

    let numbers = distinct_keys(&payment.purpose_numbers);
    // For each named number (in purpose order) the pool invoices carrying it.
    let named: Vec<(&String, Vec<&InvoiceFacts>)> = numbers
        .iter()
        .map(|(written, key)| {
            let found = pool
                .iter()
                .copied()
                .filter(|i| normalize_number(&i.number) == *key)
                .collect();
            (written, found)
        })
        .filter(|(_, found): &(_, Vec<&InvoiceFacts>)| !found.is_empty())
        .collect();
    if !named.is_empty() {
        return by_numbers(money, &named);
    }
    let by_amount = by_amount(money, &pool, numbers.is_empty());
    match by_amount {
        Outcome::Unallocated { .. } if !numbers.is_empty() => {
            unallocated(Reason::NumbersNotFound {
                numbers: numbers.into_iter().map(|(written, _)| written).collect(),
            })
        }
        outcome => outcome,
    }
}

/// The numbers named, each once, with their comparison keys.
fn distinct_keys(numbers: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for number in numbers {
        let key = normalize_number(number);
        if !key.is_empty() && !out.iter().any(|(_, k)| *k == key) {
            out.push((number.trim().to_owned(), key));
        }
    }
    out
}

/// The purpose names invoices the payer has: the numbers pick them, the amount checks.
fn by_numbers(money: i64, named: &[(&String, Vec<&InvoiceFacts>)]) -> Outcome {
    let unallocated = |reason| Outcome::Unallocated { reason };

    // A number on several invoices: only the amount can tell which, and only when this is
    // the one number that matched (with more, the combinations are a person's job).
    if let Some((number, found)) = named.iter().find(|(_, found)| found.len() > 1) {
        let exact: Vec<&&InvoiceFacts> = found.iter().filter(|i| i.remaining() == money).collect();
        return match exact.as_slice() {
            [only] if named.len() == 1 => Outcome::Full {
                invoice: only.id.clone(),
                amount: money,
            },
            _ => unallocated(Reason::AmbiguousNumber {
                number: (*number).clone(),
                invoices: ids(found),
            }),
        };
    }

    let invoices: Vec<&InvoiceFacts> = named
        .iter()
        .filter_map(|(_, f)| f.first().copied())
        .collect();
    if let [only] = invoices.as_slice() {
        let remaining = only.remaining();
        return match money.cmp(&remaining) {
            std::cmp::Ordering::Equal => Outcome::Full {
                invoice: only.id.clone(),
                amount: money,
            },
            std::cmp::Ordering::Less => Outcome::Partial {
                invoice: only.id.clone(),
                amount: money,
            },
            std::cmp::Ordering::Greater => unallocated(Reason::Overpayment {
                invoices: vec![only.id.clone()],
                remaining,
            }),
        };
    }

    let total: i128 = invoices.iter().map(|i| i128::from(i.remaining())).sum();
    let remaining = i64::try_from(total).unwrap_or(i64::MAX);
    match i128::from(money).cmp(&total) {
        std::cmp::Ordering::Equal => Outcome::Several {
            allocations: invoices
                .iter()
                .map(|i| (i.id.clone(), i.remaining()))
                .collect(),
        },
        std::cmp::Ordering::Greater => unallocated(Reason::Overpayment {
            invoices: ids(&invoices),
            remaining,
        }),
        std::cmp::Ordering::Less => unallocated(Reason::UnderpaysSeveral {
            invoices: ids(&invoices),
            remaining,
        }),
    }
}

/// No named invoice among the payer's: the amount decides. `pool` is sorted by id.
/// When the purpose names numbers we do not have, only an exact amount is taken: it is
/// strong evidence (the same monthly bill under the payer's own numbering), whereas a
/// partial payment or a settlement of everything would be a guess against the purpose.
fn by_amount(money: i64, pool: &[&InvoiceFacts], numbers_absent: bool) -> Outcome {
    let unallocated = |reason| Outcome::Unallocated { reason };
    let exact: Vec<&InvoiceFacts> = pool
        .iter()
        .copied()
        .filter(|i| i.remaining() == money)
        .collect();
    match exact.as_slice() {
        [only] => {
            return Outcome::Full {
                invoice: only.id.clone(),
                amount: money,
            };
        }
        [] => {}
        several => {
            return unallocated(Reason::SeveralEqual {
                invoices: ids(several),
            });
        }
    }

    if !numbers_absent {
        return unallocated(Reason::NoFit);
    }
    if let [only] = pool {
        let remaining = only.remaining();
        return if money > remaining {
            unallocated(Reason::Overpayment {
                invoices: vec![only.id.clone()],
                remaining,
            })
        } else {
            Outcome::Partial {
                invoice: only.id.clone(),
                amount: money,
            }
        };
    }

    // Everything the payer owes, paid at once (a settlement after a reconciliation act).
    let total: i128 = pool.iter().map(|i| i128::from(i.remaining())).sum();
    if i128::from(money) == total {
        return Outcome::Several {
            allocations: pool.iter().map(|i| (i.id.clone(), i.remaining())).collect(),
        };
    }
    unallocated(Reason::NoFit)
}

fn ids(invoices: &[&InvoiceFacts]) -> Vec<String> {
    invoices.iter().map(|i| i.id.clone()).collect()
}

/// Why a manual allocation is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum AllocationError {
    #[error("the amount to allocate must be positive")]
    NotPositive,
    #[error("the invoice is paid or cancelled")]
    InvoiceClosed,
    #[error("the invoice is billed to another INN than the payer's")]
    ForeignInvoice,
    #[error("only {left} kopecks of the payment are left to allocate")]
    ExceedsPayment { left: i64 },
    #[error("only {left} kopecks of the invoice are left to pay")]
    ExceedsInvoice { left: i64 },
}

/// Checks a person's allocation of `amount` kopecks of `payment` to `invoice`.
///
/// A payment without a payer INN may go to any customer's invoice: telling whose it is is
/// exactly what a person is there for. A payment with an INN goes only to that INN's
/// invoices; paying for somebody else is recorded against the invoice's own customer.
pub fn check_manual(
    payment: &PaymentFacts,
    invoice: &InvoiceFacts,
    amount: i64,
) -> Result<(), AllocationError> {
    if amount <= 0 {
        return Err(AllocationError::NotPositive);
    }
    if !invoice.open {
        return Err(AllocationError::InvoiceClosed);
    }
    let payer = payment
        .payer_inn
        .as_deref()
        .map(str::trim)
        .filter(|inn| !inn.is_empty());
    if let Some(inn) = payer
        && !invoice.billed_to(inn)
    {
        return Err(AllocationError::ForeignInvoice);
    }
    let left = payment.unallocated();
    if amount > left {
        return Err(AllocationError::ExceedsPayment { left });
    }
    let left = invoice.remaining();
    if amount > left {
        return Err(AllocationError::ExceedsInvoice { left });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PAYER: &str = "7707083893";
    const OTHER: &str = "5012073362";

    fn payment(amount: i64, numbers: &[&str]) -> PaymentFacts {
        PaymentFacts {
            amount,
            payer_inn: Some(PAYER.to_owned()),
            purpose_numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
            already_allocated: 0,
        }
    }

    fn invoice(id: &str, number: &str, amount: i64, paid: i64) -> InvoiceFacts {
        InvoiceFacts {
            id: id.to_owned(),
            number: number.to_owned(),
            payer_inn: PAYER.to_owned(),
            amount,
            paid,
            open: true,
        }
    }

    fn foreign(mut i: InvoiceFacts) -> InvoiceFacts {
        i.payer_inn = OTHER.to_owned();
        i
    }

    fn closed(mut i: InvoiceFacts) -> InvoiceFacts {
        i.open = false;
        i
    }

    fn full(id: &str, amount: i64) -> Outcome {
        Outcome::Full {
            invoice: id.to_owned(),
            amount,
        }
    }

    fn partial(id: &str, amount: i64) -> Outcome {
        Outcome::Partial {
            invoice: id.to_owned(),
            amount,
        }
    }

    fn several(allocations: &[(&str, i64)]) -> Outcome {
        Outcome::Several {
            allocations: allocations
                .iter()
                .map(|(id, a)| ((*id).to_owned(), *a))
                .collect(),
        }
    }

    fn left(reason: Reason) -> Outcome {
        Outcome::Unallocated { reason }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn decides_each_outcome() {
        let cases: Vec<(&str, PaymentFacts, Vec<InvoiceFacts>, Outcome)> = vec![
            (
                "full by number",
                payment(10_000, &["12"]),
                vec![invoice("a", "12", 10_000, 0), invoice("b", "13", 10_000, 0)],
                full("a", 10_000),
            ),
            (
                "full by number, rest of a part-paid invoice",
                payment(4_000, &["12"]),
                vec![invoice("a", "12", 10_000, 6_000)],
                full("a", 4_000),
            ),
            (
                "number compared normalised",
                payment(10_000, &["а-0012"]),
                vec![invoice("a", "A-12", 10_000, 0)],
                full("a", 10_000),
            ),
            (
                "full by unique exact amount, no number",
                payment(7_500, &[]),
                vec![invoice("a", "1", 10_000, 0), invoice("b", "2", 7_500, 0)],
                full("b", 7_500),
            ),
            (
                "full by unique exact amount when the named number is unknown",
                payment(7_500, &["99"]),
                vec![invoice("a", "1", 10_000, 0), invoice("b", "2", 7_500, 0)],
                full("b", 7_500),
            ),
            (
                "the number wins over another invoice's exact amount",
                payment(7_500, &["1"]),
                vec![invoice("a", "1", 10_000, 0), invoice("b", "2", 7_500, 0)],
                partial("a", 7_500),
            ),
            (
                "several named invoices summing exactly, purpose order",
                payment(30_000, &["13", "12"]),
                vec![
                    invoice("a", "12", 10_000, 0),
                    invoice("b", "13", 25_000, 5_000),
                    invoice("c", "14", 30_000, 0),
                ],
                several(&[("b", 20_000), ("a", 10_000)]),
            ),
            (
                "several named, payment short of their sum",
                payment(25_000, &["12", "13"]),
                vec![invoice("a", "12", 10_000, 0), invoice("b", "13", 20_000, 0)],
                left(Reason::UnderpaysSeveral {
                    invoices: strings(&["a", "b"]),
                    remaining: 30_000,
                }),
            ),
            (
                "several named, payment above their sum",
                payment(35_000, &["12", "13"]),
                vec![invoice("a", "12", 10_000, 0), invoice("b", "13", 20_000, 0)],
                left(Reason::Overpayment {
                    invoices: strings(&["a", "b"]),
                    remaining: 30_000,
                }),
            ),
            (
                "partial of the named invoice",
                payment(3_000, &["12"]),
                vec![invoice("a", "12", 10_000, 0), invoice("b", "13", 3_000, 0)],
                partial("a", 3_000),
            ),
            (
                "partial of the only invoice, no number",
                payment(3_000, &[]),
                vec![invoice("a", "12", 10_000, 0)],
                partial("a", 3_000),
            ),
            (
                "overpayment of the named invoice",
                payment(12_000, &["12"]),
                vec![invoice("a", "12", 10_000, 0)],
                left(Reason::Overpayment {
                    invoices: strings(&["a"]),
                    remaining: 10_000,
                }),
            ),
            (
                "overpayment of the only invoice",
                payment(12_000, &[]),
                vec![invoice("a", "12", 10_000, 4_000)],
                left(Reason::Overpayment {
                    invoices: strings(&["a"]),
                    remaining: 6_000,
                }),
            ),
            (
                "several equal candidates",
                payment(5_000, &[]),
                vec![invoice("b", "2", 5_000, 0), invoice("a", "1", 5_000, 0)],
                left(Reason::SeveralEqual {
                    invoices: strings(&["a", "b"]),
                }),
            ),
            (
                "named number unknown and the amount fits nothing",
                payment(5_000, &["99", "98"]),
                vec![invoice("a", "1", 10_000, 0)],
                left(Reason::NumbersNotFound {
                    numbers: strings(&["99", "98"]),
                }),
            ),
            (
                "several candidates, none named, none fitting",
                payment(5_000, &[]),
                vec![invoice("a", "1", 10_000, 0), invoice("b", "2", 7_000, 0)],
                left(Reason::NoFit),
            ),
            (
                "everything owed, paid at once",
                payment(17_000, &[]),
                vec![invoice("b", "2", 7_000, 0), invoice("a", "1", 10_000, 0)],
                several(&[("a", 10_000), ("b", 7_000)]),
            ),
            (
                "a number on two invoices, the amount tells",
                payment(5_000, &["7"]),
                vec![invoice("a", "7", 10_000, 0), invoice("b", "7", 5_000, 0)],
                full("b", 5_000),
            ),
            (
                "a number on two invoices, the amount does not tell",
                payment(3_000, &["7"]),
                vec![invoice("a", "7", 10_000, 0), invoice("b", "007", 5_000, 0)],
                left(Reason::AmbiguousNumber {
                    number: "7".to_owned(),
                    invoices: strings(&["a", "b"]),
                }),
            ),
            (
                "another customer's invoice with the number and amount is never touched",
                payment(10_000, &["12"]),
                vec![foreign(invoice("x", "12", 10_000, 0))],
                left(Reason::NoCandidates),
            ),
            (
                "another customer's invoice does not make ours ambiguous",
                payment(10_000, &["12"]),
                vec![
                    foreign(invoice("x", "12", 10_000, 0)),
                    invoice("a", "12", 10_000, 0),
                ],
                full("a", 10_000),
            ),
            (
                "closed and fully paid invoices are not candidates",
                payment(10_000, &["12"]),
                vec![
                    closed(invoice("a", "12", 10_000, 0)),
                    invoice("b", "12", 10_000, 10_000),
                ],
                left(Reason::NoCandidates),
            ),
            (
                "no payer INN",
                PaymentFacts {
                    payer_inn: None,
                    ..payment(10_000, &["12"])
                },
                vec![invoice("a", "12", 10_000, 0)],
                left(Reason::NoPayerInn),
            ),
            (
                "blank payer INN",
                PaymentFacts {
                    payer_inn: Some("  ".to_owned()),
                    ..payment(10_000, &["12"])
                },
                vec![invoice("a", "12", 10_000, 0)],
                left(Reason::NoPayerInn),
            ),
            (
                "only the unallocated rest is allocated",
                PaymentFacts {
                    already_allocated: 6_000,
                    ..payment(10_000, &[])
                },
                vec![invoice("a", "1", 4_000, 0), invoice("b", "2", 10_000, 0)],
                full("a", 4_000),
            ),
            (
                "already settled: nothing to do",
                PaymentFacts {
                    already_allocated: 10_000,
                    ..payment(10_000, &["12"])
                },
                vec![invoice("a", "12", 10_000, 0)],
                left(Reason::NothingLeft),
            ),
            (
                "no candidate at all",
                payment(10_000, &[]),
                vec![],
                left(Reason::NoCandidates),
            ),
        ];
        for (name, payment, candidates, expected) in cases {
            assert_eq!(decide(&payment, &candidates), expected, "{name}");
        }
    }

    #[test]
    fn only_a_clean_full_match_tells_nobody() {
        assert!(!full("a", 1).needs_attention());
        assert!(!left(Reason::NothingLeft).needs_attention());
        assert!(partial("a", 1).needs_attention());
        assert!(several(&[("a", 1), ("b", 1)]).needs_attention());
        assert!(left(Reason::NoFit).needs_attention());
        assert!(left(Reason::NoPayerInn).needs_attention());
        assert_eq!(partial("a", 5).allocations(), vec![("a".to_owned(), 5)]);
        assert_eq!(left(Reason::NoFit).allocations(), Vec::new());
    }

    #[test]
    fn checks_manual_allocations() {
        let inv = invoice("a", "12", 10_000, 4_000);
        let mut pay = payment(8_000, &[]);
        pay.already_allocated = 5_000;
        assert_eq!(check_manual(&pay, &inv, 3_000), Ok(()));
        assert_eq!(
            check_manual(&pay, &inv, 0),
            Err(AllocationError::NotPositive)
        );
        assert_eq!(
            check_manual(&pay, &inv, -1),
            Err(AllocationError::NotPositive)
        );
        assert_eq!(
            check_manual(&pay, &inv, 3_001),
            Err(AllocationError::ExceedsPayment { left: 3_000 })
        );
        let big = payment(100_000, &[]);
        assert_eq!(
            check_manual(&big, &inv, 6_001),
            Err(AllocationError::ExceedsInvoice { left: 6_000 })
        );
        assert_eq!(check_manual(&big, &inv, 6_000), Ok(()));
        assert_eq!(
            check_manual(&big, &closed(inv.clone()), 1),
            Err(AllocationError::InvoiceClosed)
        );
        assert_eq!(
            check_manual(&big, &foreign(inv.clone()), 1),
            Err(AllocationError::ForeignInvoice)
        );
        let anonymous = PaymentFacts {
            payer_inn: None,
            ..big
        };
        assert_eq!(check_manual(&anonymous, &foreign(inv), 1), Ok(()));
    }

    /// Small domains so that numbers, INNs and amounts collide often.
    fn arb_invoice(id: usize) -> impl Strategy<Value = InvoiceFacts> {
        (
            prop::sample::select(vec!["1", "2", "3", "01", "A-1", "А-1"]),
            prop::sample::select(vec![PAYER, OTHER, ""]),
            prop_oneof![
                prop::sample::select(vec![1_000i64, 2_000, 3_000, 5_000]),
                -10i64..20_000,
                Just(i64::MAX),
            ],
            prop_oneof![Just(0i64), 0i64..6_000, Just(i64::MIN)],
            prop::bool::weighted(0.8),
        )
            .prop_map(move |(number, inn, amount, paid, open)| InvoiceFacts {
                id: format!("i{id}"),
                number: number.to_owned(),
                payer_inn: inn.to_owned(),
                amount,
                paid,
                open,
            })
    }

    fn arb_candidates() -> impl Strategy<Value = Vec<InvoiceFacts>> {
        (0usize..7).prop_flat_map(|n| (0..n).map(arb_invoice).collect::<Vec<_>>())
    }

    fn arb_payment() -> impl Strategy<Value = PaymentFacts> {
        (
            prop_oneof![
                prop::sample::select(vec![1_000i64, 2_000, 3_000, 5_000, 8_000]),
                -5i64..30_000,
                Just(i64::MAX),
            ],
            prop::option::weighted(0.9, prop::sample::select(vec![PAYER, OTHER, " "])),
            prop::collection::vec(prop::sample::select(vec!["1", "2", "3", "4", "a-1"]), 0..4),
            prop_oneof![Just(0i64), 0i64..4_000],
        )
            .prop_map(|(amount, inn, numbers, already)| PaymentFacts {
                amount,
                payer_inn: inn.map(str::to_owned),
                purpose_numbers: numbers.into_iter().map(str::to_owned).collect(),
                already_allocated: already,
            })
    }

    proptest! {
        #[test]
        fn allocations_stay_within_payment_and_invoices(
            payment in arb_payment(),
            candidates in arb_candidates(),
        ) {
            let outcome = decide(&payment, &candidates);
            let allocations = outcome.allocations();
            let total: i128 = allocations.iter().map(|(_, a)| i128::from(*a)).sum();
            prop_assert!(total <= i128::from(payment.unallocated()));
            let inn = payment.payer_inn.as_deref().map(str::trim).unwrap_or_default();
            let mut seen: Vec<&str> = Vec::new();
            for (id, amount) in &allocations {
                prop_assert!(*amount > 0);
                prop_assert!(!seen.contains(&id.as_str()), "{id} allocated twice");
                seen.push(id);
                let invoice = candidates.iter().find(|i| &i.id == id);
                prop_assert!(invoice.is_some(), "{id} is not a candidate");
                let invoice = invoice.unwrap();
                prop_assert!(invoice.open);
                prop_assert!(!inn.is_empty() && invoice.payer_inn == inn);
                prop_assert!(*amount <= invoice.remaining());
                prop_assert!(check_manual(&payment, invoice, *amount).is_ok());
            }
            if let Outcome::Full { invoice, amount } = &outcome {
                let invoice = candidates.iter().find(|i| &i.id == invoice).unwrap();
                prop_assert_eq!(*amount, invoice.remaining());
                prop_assert_eq!(*amount, payment.unallocated());
            }
            if let Outcome::Several { allocations } = &outcome {
                prop_assert!(allocations.len() > 1);
                prop_assert_eq!(total, i128::from(payment.unallocated()));
            }
            prop_assert_eq!(outcome.needs_attention(), !matches!(
                outcome,
                Outcome::Full { .. } | Outcome::Unallocated { reason: Reason::NothingLeft }
            ));
        }

        #[test]
        fn decision_ignores_candidate_order(
            (payment, candidates, shuffled) in (arb_payment(), arb_candidates())
                .prop_flat_map(|(p, c)| (Just(p), Just(c.clone()), Just(c).prop_shuffle()))
        ) {
            let first = decide(&payment, &candidates);
            prop_assert_eq!(&first, &decide(&payment, &candidates));
            prop_assert_eq!(&first, &decide(&payment, &shuffled));
        }

        #[test]
        fn applying_a_decision_then_deciding_again_does_nothing_more(
            payment in arb_payment(),
            candidates in arb_candidates(),
        ) {
            // Idempotence as the robot sees it: once a payment's money is fully allocated,
            // a re-run allocates nothing and tells nobody.
            let outcome = decide(&payment, &candidates);
            let allocated: i64 = outcome.allocations().iter().map(|(_, a)| *a).sum();
            if allocated > 0 && allocated == payment.unallocated() {
                let settled = PaymentFacts {
                    already_allocated: payment.already_allocated + allocated,
                    ..payment.clone()
                };
                let again = decide(&settled, &candidates);
                prop_assert_eq!(&again, &Outcome::Unallocated { reason: Reason::NothingLeft });
                prop_assert!(!again.needs_attention());
            }
        }
    }
}
