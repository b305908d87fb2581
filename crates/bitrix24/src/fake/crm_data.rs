//! The fake portal's CRM records for smart invoices (entity type 31): requisites and the
//! links that pick them on invoices, invoices with their stages and categories, payment
//! documents and timeline comments. What a test puts here the CRM methods
//! ([`super::crm`]) answer in the portal's shapes; what Shtab writes lands here too.

use shtab_core::types::Kopecks;

use super::FakePortal;

/// Smart invoices' entity type.
pub const SMART_INVOICE: u64 = 31;
/// Companies' and contacts' entity types, as requisites name their owners.
pub const COMPANY: u64 = 4;
pub const CONTACT: u64 = 3;

/// A requisite (`crm.requisite.list`): a legal entity's INN on a company or a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeRequisite {
    pub id: u64,
    /// 4 company, 3 contact.
    pub entity_type_id: u64,
    pub entity_id: u64,
    pub inn: String,
    pub kpp: String,
    pub company_name: String,
}

impl FakeRequisite {
    /// A company's requisite with this INN.
    pub fn company(id: u64, company_id: u64, inn: &str, name: &str) -> FakeRequisite {
        FakeRequisite {
            id,
            entity_type_id: COMPANY,
            entity_id: company_id,
            inn: inn.into(),
            kpp: String::new(),
            company_name: name.into(),
        }
    }

    /// A contact's requisite (a sole trader is often a contact).
    pub fn contact(id: u64, contact_id: u64, inn: &str, name: &str) -> FakeRequisite {
        FakeRequisite {
            entity_type_id: CONTACT,
            ..FakeRequisite::company(id, contact_id, inn, name)
        }
    }
}

/// A smart invoice (`crm.item.*`, entity type 31).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeInvoice {
    pub id: u64,
    pub title: String,
    pub account_number: String,
    pub opportunity: Kopecks,
    pub category_id: u64,
    pub stage_id: String,
    pub previous_stage_id: String,
    pub company_id: u64,
    pub contact_ids: Vec<u64>,
    pub assigned_by_id: u64,
    pub mycompany_id: u64,
}

impl FakeInvoice {
    /// A new invoice of the company in category `category_id`'s first stage.
    pub fn new(
        id: u64,
        account_number: &str,
        amount: Kopecks,
        category_id: u64,
        company_id: u64,
    ) -> FakeInvoice {
        FakeInvoice {
            id,
            title: format!("Счёт № {account_number}"),
            account_number: account_number.into(),
            opportunity: amount,
            category_id,
            stage_id: format!("DT31_{category_id}:N"),
            previous_stage_id: String::new(),
            company_id,
            contact_ids: Vec::new(),
            assigned_by_id: 1,
            mycompany_id: 1,
        }
    }
}

/// The requisite picked on an invoice (`crm.requisite.link.list`).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeRequisiteLink {
    pub entity_type_id: u64,
    pub entity_id: u64,
    /// 0: no requisite picked.
    pub requisite_id: u64,
    pub mc_requisite_id: u64,
}

/// A payment document of an invoice (`crm.item.payment.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct FakePaymentDocument {
    pub id: u64,
    pub invoice_id: u64,
    pub account_number: String,
    pub sum: Kopecks,
    pub paid: bool,
}

/// A comment on an item's timeline (`crm.timeline.comment.add`).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeTimelineComment {
    pub id: u64,
    /// `dynamic_31` for a smart invoice.
    pub entity_type: String,
    pub entity_id: u64,
    pub comment: String,
}

/// A pipeline (`crm.category.list`).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeInvoiceCategory {
    pub entity_type_id: u64,
    pub id: u64,
    pub name: String,
    pub is_default: bool,
}

/// A stage (`crm.status.list`).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeInvoiceStage {
    pub id: u64,
    /// `SMART_INVOICE_STAGE_{category}`.
    pub entity_id: String,
    /// `DT31_{category}:P`.
    pub status_id: String,
    pub name: String,
    pub sort: u64,
    /// `None` for a stage in progress, `S` success, `F` failure.
    pub semantics: Option<char>,
    pub category_id: u64,
}

/// Everything CRM the fake holds.
#[derive(Debug, Default)]
pub struct CrmData {
    pub requisites: Vec<FakeRequisite>,
    pub links: Vec<FakeRequisiteLink>,
    pub invoices: Vec<FakeInvoice>,
    pub documents: Vec<FakePaymentDocument>,
    pub timeline: Vec<FakeTimelineComment>,
    pub categories: Vec<FakeInvoiceCategory>,
    pub stages: Vec<FakeInvoiceStage>,
    /// Methods the portal refuses inside a batch (`ERROR_BATCH_METHOD_NOT_ALLOWED`): whether
    /// `crm.item.update` and `crm.item.payment.*` may be batched is unverified.
    pub unbatchable: Vec<String>,
}

impl CrmData {
    pub fn invoice_mut(&mut self, id: u64) -> Option<&mut FakeInvoice> {
        self.invoices.iter_mut().find(|i| i.id == id)
    }

    pub fn stages_of(&self, category_id: u64) -> impl Iterator<Item = &FakeInvoiceStage> {
        self.stages
            .iter()
            .filter(move |s| s.category_id == category_id)
    }
}

impl FakePortal {
    /// A smart-invoice pipeline with the portal's built-in stages: `DT31_{id}:N` new, `:S`
    /// sent, `:P` paid (success), `:D` declined (failure).
    pub fn add_invoice_category(&self, id: u64, name: &str) {
        let mut s = self.state();
        let is_default = !s
            .crm
            .categories
            .iter()
            .any(|c| c.entity_type_id == SMART_INVOICE);
        s.crm.categories.push(FakeInvoiceCategory {
            entity_type_id: SMART_INVOICE,
            id,
            name: name.into(),
            is_default,
        });
        for (code, stage, sort, semantics) in [
            ("N", "Новый", 10, None),
            ("S", "Отправлен клиенту", 20, None),
            ("P", "Оплачен", 30, Some('S')),
            ("D", "Не оплачен", 40, Some('F')),
        ] {
            let sid = s.id();
            s.crm.stages.push(FakeInvoiceStage {
                id: sid,
                entity_id: format!("SMART_INVOICE_STAGE_{id}"),
                status_id: format!("DT31_{id}:{code}"),
                name: stage.into(),
                sort,
                semantics,
                category_id: id,
            });
        }
    }

    /// A stage an admin added to an invoice pipeline (`DT31_2:UC_PART`).
    pub fn add_invoice_stage(&self, category_id: u64, status_id: &str, name: &str, sort: u64) {
        let mut s = self.state();
        let id = s.id();
        s.crm.stages.push(FakeInvoiceStage {
            id,
            entity_id: format!("SMART_INVOICE_STAGE_{category_id}"),
            status_id: status_id.into(),
            name: name.into(),
            sort,
            semantics: None,
            category_id,
        });
    }

    /// An admin deleted the stage on the portal.
    pub fn delete_invoice_stage(&self, status_id: &str) {
        self.state()
            .crm
            .stages
            .retain(|st| st.status_id != status_id);
    }

    pub fn add_requisite(&self, requisite: FakeRequisite) {
        self.state().crm.requisites.push(requisite);
    }

    /// An invoice, with no requisite picked (its link says `REQUISITE_ID` 0).
    pub fn add_invoice(&self, invoice: FakeInvoice) {
        let mut s = self.state();
        s.crm.links.push(FakeRequisiteLink {
            entity_type_id: SMART_INVOICE,
            entity_id: invoice.id,
            requisite_id: 0,
            mc_requisite_id: 1,
        });
        s.crm.invoices.push(invoice);
    }

    /// Picks the client's requisite on an invoice, as the invoice's card does.
    pub fn link_requisite(&self, invoice_id: u64, requisite_id: u64) {
        let mut s = self.state();
        match s
            .crm
            .links
            .iter_mut()
            .find(|l| l.entity_type_id == SMART_INVOICE && l.entity_id == invoice_id)
        {
            Some(link) => link.requisite_id = requisite_id,
            None => s.crm.links.push(FakeRequisiteLink {
                entity_type_id: SMART_INVOICE,
                entity_id: invoice_id,
                requisite_id,
                mc_requisite_id: 1,
            }),
        }
    }

    pub fn invoice(&self, id: u64) -> Option<FakeInvoice> {
        self.state()
            .crm
            .invoices
            .iter()
            .find(|i| i.id == id)
            .cloned()
    }

    /// Moves an invoice as a manager would on the portal.
    pub fn move_invoice(&self, id: u64, stage_id: &str) {
        let mut s = self.state();
        let invoice = s
            .crm
            .invoice_mut(id)
            .expect("an invoice of the fake portal");
        invoice.previous_stage_id = std::mem::replace(&mut invoice.stage_id, stage_id.into());
    }

    /// A payment document on an invoice; returns its id.
    pub fn add_payment_document(&self, invoice_id: u64, sum: Kopecks) -> u64 {
        let mut s = self.state();
        let id = s.id();
        let number = s
            .crm
            .documents
            .iter()
            .filter(|d| d.invoice_id == invoice_id)
            .count()
            + 1;
        s.crm.documents.push(FakePaymentDocument {
            id,
            invoice_id,
            account_number: format!("{invoice_id}/{number}"),
            sum,
            paid: false,
        });
        id
    }

    pub fn payment_documents(&self, invoice_id: u64) -> Vec<FakePaymentDocument> {
        self.state()
            .crm
            .documents
            .iter()
            .filter(|d| d.invoice_id == invoice_id)
            .cloned()
            .collect()
    }

    /// The comments on a smart invoice's timeline, in the order written.
    pub fn timeline(&self, invoice_id: u64) -> Vec<FakeTimelineComment> {
        self.state()
            .crm
            .timeline
            .iter()
            .filter(|c| c.entity_type == "dynamic_31" && c.entity_id == invoice_id)
            .cloned()
            .collect()
    }

    /// The portal refuses `method` inside a batch (`ERROR_BATCH_METHOD_NOT_ALLOWED`).
    pub fn refuse_in_batch(&self, method: &str) {
        self.state().crm.unbatchable.push(method.to_owned());
    }
}
