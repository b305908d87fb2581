//! The bank and the portal's smart invoices, joined here because neither crate knows the
//! other: what the Bitrix24 adapter needs of the bank (a payment's details for the timeline
//! comments; the matcher, to match payments waiting for an invoice the portal just got).

use async_trait::async_trait;
use shtab_bank::service::matching::Matcher;
use shtab_bitrix24::adapters::invoices::{PaymentDetail, PaymentDetails};
use shtab_bitrix24::robots::invoices::WaitingPayments;
use shtab_core::CoreError;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;

/// A payment as the bank stored it.
pub struct BankPayments(pub Db);

#[async_trait]
impl PaymentDetails for BankPayments {
    async fn payment(&self, id: &str) -> CoreResult<Option<PaymentDetail>> {
        let Ok(id) = id.trim().parse::<i64>() else {
            return Ok(None);
        };
        match shtab_bank::store::payments::get(&self.0, id).await {
            Ok(p) => Ok(Some(PaymentDetail {
                date: p.op_date,
                amount: p.amount,
                payer_name: p.payer.name,
                payer_inn: p.payer.inn,
                purpose: p.purpose,
            })),
            Err(CoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The bank's matcher, for the portal's new invoices.
pub struct MatcherWaiting(pub Matcher);

#[async_trait]
impl WaitingPayments for MatcherWaiting {
    async fn invoice_appeared(&self, invoice_id: &str) -> CoreResult<u64> {
        Ok(self.0.invoice_appeared(invoice_id).await?.matched)
    }

    async fn match_waiting(&self) -> CoreResult<u64> {
        Ok(self.0.match_waiting().await?.matched)
    }
}
