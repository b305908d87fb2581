//! What the invoice settings page says, in Russian (the primary language) and English.

use shtab_web::i18n::{Locale, pick};

#[derive(Debug)]
pub struct InvoiceTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub not_portal: &'static str,
    pub portal_error: &'static str,
    pub stale: &'static str,
    pub category: &'static str,
    pub category_none: &'static str,
    pub paid_stage: &'static str,
    pub paid_stage_portal: &'static str,
    pub partly_paid_stage: &'static str,
    pub partly_keep: &'static str,
    pub partly_hint: &'static str,
    pub form_has_errors: &'static str,
    pub back: &'static str,
    pub not_on_portal: &'static str,
    pub final_stage: &'static str,
    pub required: &'static str,
}

static RU: InvoiceTexts = InvoiceTexts {
    title: "Счета в Битрикс24",
    intro: "Когда платёж из выписки полностью оплачивает смарт-счёт, Штаб переводит счёт в стадию «оплачен» и пишет комментарий в его ленту; при частичной оплате пишет комментарий (оплачено и осталось) и сообщает ответственному менеджеру.",
    not_portal: "Счета ведутся в Штабе (systems.invoices = \"shtab\"); эти настройки действуют, когда systems.invoices = \"bitrix24\".",
    portal_error: "Портал не ответил:",
    stale: "Сохранённые настройки не подходят порталу (стадию или воронку переименовали или удалили). Пока их не исправят, оплаты счетов этой воронки на портал не пишутся.",
    category: "Воронка смарт-счетов",
    category_none: "— не выбрана: стадия успеха каждой воронки —",
    paid_stage: "Стадия «оплачен»",
    paid_stage_portal: "— стадия успеха воронки, как на портале —",
    partly_paid_stage: "Стадия «оплачен частично»",
    partly_keep: "— не менять стадию —",
    partly_hint: "Только стадия в работе: частично оплаченный счёт должен оставаться открытым.",
    form_has_errors: "Настройки не сохранены:",
    back: "← Битрикс24",
    not_on_portal: "этого нет на портале",
    final_stage: "это завершающая стадия; частично оплаченный счёт должен оставаться открытым",
    required: "выберите воронку, к которой относятся стадии",
};

static EN: InvoiceTexts = InvoiceTexts {
    title: "Invoices on Bitrix24",
    intro: "When a payment from a statement pays a smart invoice in full, Shtab moves it to the paid stage and comments on its timeline; a part payment gets a comment (paid and left) and the responsible manager is told.",
    not_portal: "Invoices are kept in Shtab (systems.invoices = \"shtab\"); these settings apply when systems.invoices = \"bitrix24\".",
    portal_error: "The portal did not answer:",
    stale: "The saved settings do not fit the portal (a stage or pipeline was renamed or deleted there). Until they are fixed, payments of that pipeline's invoices are not written to the portal.",
    category: "Smart-invoice pipeline",
    category_none: "— none: each pipeline's success stage —",
    paid_stage: "Paid stage",
    paid_stage_portal: "— the pipeline's success stage, as on the portal —",
    partly_paid_stage: "Partly paid stage",
    partly_keep: "— leave the stage —",
    partly_hint: "A stage in progress only: a partly paid invoice must stay open.",
    form_has_errors: "The settings were not saved:",
    back: "← Bitrix24",
    not_on_portal: "the portal does not have it",
    final_stage: "a final stage; a partly paid invoice must stay open",
    required: "pick the pipeline the stages belong to",
};

pub fn texts(locale: Locale) -> &'static InvoiceTexts {
    pick(locale, &RU, &EN)
}

impl InvoiceTexts {
    /// A problem's words by its code.
    pub fn problem(&self, code: &str) -> &'static str {
        match code {
            "final_stage" => self.final_stage,
            "required" => self.required,
            _ => self.not_on_portal,
        }
    }
}
