//! What the invoice pages say, in Russian (the primary language) and English.

use chrono::NaiveDate;
use shtab_core::ports::InvoiceState;
use shtab_web::i18n::{Locale, pick};

#[derive(Debug)]
pub struct InvoicesTexts {
    pub locale: Locale,
    // The list.
    pub title: &'static str,
    pub add: &'static str,
    pub import: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub state: &'static str,
    pub filter_unpaid: &'static str,
    pub filter_all: &'static str,
    pub overdue_only: &'static str,
    pub col_number: &'static str,
    pub col_date: &'static str,
    pub col_payer: &'static str,
    pub col_amount: &'static str,
    pub col_paid: &'static str,
    pub col_remaining: &'static str,
    pub col_due: &'static str,
    pub col_responsible: &'static str,
    pub overdue: &'static str,
    pub found: &'static str,
    pub of: &'static str,
    pub empty: &'static str,
    pub pages: &'static str,
    /// Thousands separator in "1–50 of 10 000".
    pub thousands: &'static str,

    // States.
    pub open: &'static str,
    pub partially_paid: &'static str,
    pub paid: &'static str,
    pub cancelled: &'static str,

    // The form.
    pub new_title: &'static str,
    pub edit_title: &'static str,
    pub form_has_errors: &'static str,
    pub number: &'static str,
    pub issued_on: &'static str,
    pub payer_name: &'static str,
    pub payer_inn: &'static str,
    pub amount: &'static str,
    pub amount_hint: &'static str,
    pub due_on: &'static str,
    pub date_hint: &'static str,
    pub responsible: &'static str,
    pub nobody: &'static str,
    pub create: &'static str,

    // An invoice's page.
    pub invoice: &'static str,
    pub edit: &'static str,
    pub cancel_invoice: &'static str,
    pub cancel_hint: &'static str,
    pub cancel_refused: &'static str,
    pub cancelled_note: &'static str,
    pub allocations: &'static str,
    pub no_allocations: &'static str,
    pub col_payment_date: &'static str,
    pub col_origin: &'static str,
    pub origin_auto: &'static str,
    pub origin_manual: &'static str,
    pub created: &'static str,

    // The import.
    pub import_title: &'static str,
    pub import_intro: &'static str,
    pub import_columns: &'static str,
    pub import_all_or_nothing: &'static str,
    pub file: &'static str,
    pub upload: &'static str,
    pub no_file: &'static str,
    pub imported: &'static str,
    pub import_failed: &'static str,
    pub col_line: &'static str,
    pub col_field: &'static str,
    pub col_problem: &'static str,
}

static RU: InvoicesTexts = InvoicesTexts {
    locale: Locale::Ru,
    title: "Счета",
    add: "Новый счёт",
    import: "Загрузить из CSV",
    search_label: "Поиск",
    search_placeholder: "Номер, плательщик или ИНН",
    state: "Состояние",
    filter_unpaid: "Не оплаченные",
    filter_all: "Все",
    overdue_only: "Только просроченные",
    col_number: "Номер",
    col_date: "Дата",
    col_payer: "Плательщик",
    col_amount: "Сумма",
    col_paid: "Оплачено",
    col_remaining: "Осталось",
    col_due: "Срок оплаты",
    col_responsible: "Ответственный",
    overdue: "просрочен",
    found: "Найдено счетов",
    of: "из",
    empty: "Счетов не нашлось.",
    pages: "Страницы",
    thousands: "\u{a0}",

    open: "открыт",
    partially_paid: "оплачен частично",
    paid: "оплачен",
    cancelled: "отменён",

    new_title: "Новый счёт",
    edit_title: "Изменить счёт",
    form_has_errors: "Проверьте отмеченные поля — ничего не сохранено.",
    number: "Номер счёта",
    issued_on: "Дата счёта",
    payer_name: "Плательщик",
    payer_inn: "ИНН плательщика",
    amount: "Сумма, ₽",
    amount_hint: "Например, 12 500,00",
    due_on: "Оплатить до",
    date_hint: "ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
    responsible: "Ответственный менеджер",
    nobody: "— не назначен —",
    create: "Создать",

    invoice: "Счёт",
    edit: "Изменить",
    cancel_invoice: "Отменить счёт",
    cancel_hint: "Отменить можно только счёт, к которому не привязан ни один платёж.",
    cancel_refused: "Счёт нельзя отменить: к нему привязаны платежи. Сначала отвяжите их на страницах платежей.",
    cancelled_note: "Счёт отменён; платежи к нему не привязываются.",
    allocations: "Платежи по счёту",
    no_allocations: "Платежей по счёту пока нет.",
    col_payment_date: "Дата платежа",
    col_origin: "Как привязан",
    origin_auto: "автоматически",
    origin_manual: "вручную",
    created: "Создан",

    import_title: "Загрузка счетов из CSV",
    import_intro: "Файл CSV с заголовком в первой строке: UTF-8 или Windows-1251, разделитель «,» или «;».",
    import_columns: "Столбцы: номер, дата, плательщик, ИНН, сумма, срок оплаты (необязательно), ответственный — e-mail менеджера (необязательно). Можно и по-английски: number, date, payer, inn, amount, due, responsible.",
    import_all_or_nothing: "Всё или ничего: если хоть одна строка с ошибкой, не загружается ни одна, а ошибки перечислены по строкам.",
    file: "Файл",
    upload: "Загрузить",
    no_file: "выберите файл",
    imported: "Загружено счетов",
    import_failed: "Файл не загружен: исправьте строки ниже и загрузите его снова.",
    col_line: "Строка",
    col_field: "Поле",
    col_problem: "Что не так",
};

static EN: InvoicesTexts = InvoicesTexts {
    locale: Locale::En,
    title: "Invoices",
    add: "New invoice",
    import: "Import CSV",
    search_label: "Search",
    search_placeholder: "Number, payer or INN",
    state: "State",
    filter_unpaid: "Unpaid",
    filter_all: "All",
    overdue_only: "Overdue only",
    col_number: "Number",
    col_date: "Date",
    col_payer: "Payer",
    col_amount: "Amount",
    col_paid: "Paid",
    col_remaining: "Remaining",
    col_due: "Due",
    col_responsible: "Responsible",
    overdue: "overdue",
    found: "Invoices found",
    of: "of",
    empty: "No invoices found.",
    pages: "Pages",
    thousands: ",",

    open: "open",
    partially_paid: "partially paid",
    paid: "paid",
    cancelled: "cancelled",

    new_title: "New invoice",
    edit_title: "Edit invoice",
    form_has_errors: "Check the marked fields — nothing was saved.",
    number: "Invoice number",
    issued_on: "Invoice date",
    payer_name: "Payer",
    payer_inn: "Payer's INN",
    amount: "Amount, RUB",
    amount_hint: "For example 12 500,00",
    due_on: "Due date",
    date_hint: "YYYY-MM-DD or DD.MM.YYYY",
    responsible: "Responsible manager",
    nobody: "— nobody —",
    create: "Create",

    invoice: "Invoice",
    edit: "Edit",
    cancel_invoice: "Cancel invoice",
    cancel_hint: "Only an invoice no payment is allocated to can be cancelled.",
    cancel_refused: "The invoice cannot be cancelled: payments are allocated to it. Take them off on the payments' pages first.",
    cancelled_note: "The invoice is cancelled; no payments are allocated to it.",
    allocations: "Payments of this invoice",
    no_allocations: "No payments yet.",
    col_payment_date: "Payment date",
    col_origin: "Allocated",
    origin_auto: "automatically",
    origin_manual: "by hand",
    created: "Created",

    import_title: "Import invoices from CSV",
    import_intro: "A CSV file with a header row: UTF-8 or Windows-1251, separated by «,» or «;».",
    import_columns: "Columns: number, date, payer, inn, amount, due (optional), responsible — the manager's e-mail (optional). Russian headers work too: номер, дата, плательщик, ИНН, сумма, срок оплаты, ответственный.",
    import_all_or_nothing: "All or nothing: with any bad row nothing is imported, and every bad row is listed.",
    file: "File",
    upload: "Import",
    no_file: "choose a file",
    imported: "Invoices imported",
    import_failed: "Nothing was imported: fix the rows below and upload the file again.",
    col_line: "Line",
    col_field: "Field",
    col_problem: "Problem",
};

pub fn texts(locale: Locale) -> &'static InvoicesTexts {
    pick(locale, &RU, &EN)
}

impl InvoicesTexts {
    pub fn state(&self, state: InvoiceState) -> &'static str {
        match state {
            InvoiceState::Open => self.open,
            InvoiceState::PartiallyPaid => self.partially_paid,
            InvoiceState::Paid => self.paid,
            InvoiceState::Cancelled => self.cancelled,
        }
    }

    /// A date as the reader writes it: `01.02.2026` in Russian, ISO in English.
    pub fn date(&self, date: NaiveDate) -> String {
        match self.locale {
            Locale::Ru => date.format("%d.%m.%Y").to_string(),
            Locale::En => date.to_string(),
        }
    }

    /// [`InvoicesTexts::date`] for a stored ISO date; shown as stored when it is not one.
    pub fn iso_date(&self, iso: &str) -> String {
        NaiveDate::parse_from_str(iso, "%Y-%m-%d")
            .map_or_else(|_| iso.to_string(), |d| self.date(d))
    }

    /// A count: `12345` → `12 345` (Russian) or `12,345` (English).
    pub fn number(&self, n: i64) -> String {
        let digits = n.max(0).to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(self.thousands);
            }
            out.push(c);
        }
        out
    }

    /// The name of an input field, for the import's list of bad rows.
    pub fn field_label(&self, field: &str) -> &'static str {
        match field {
            "number" => self.number,
            "issued_on" => self.issued_on,
            "payer_name" => self.payer_name,
            "payer_inn" => self.payer_inn,
            "amount" => self.amount,
            "due_on" => self.due_on,
            "responsible_email" | "responsible_id" => self.responsible,
            _ => self.file,
        }
    }
}

/// The badge colour of a state, shared by the list and the invoice's page.
pub fn state_class(state: InvoiceState) -> &'static str {
    match state {
        InvoiceState::Open => "badge-warn",
        InvoiceState::PartiallyPaid => "badge-warn",
        InvoiceState::Paid => "badge-ok",
        InvoiceState::Cancelled => "badge-muted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_counts_read_as_the_reader_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        assert_eq!(RU.date(d), "01.02.2026");
        assert_eq!(EN.date(d), "2026-02-01");
        assert_eq!(RU.iso_date("2026-02-01"), "01.02.2026");
        assert_eq!(RU.number(12_345), "12\u{a0}345");
        assert_eq!(EN.number(1_234_567), "1,234,567");
    }
}
