//! The hub's integration tests: one binary, one module per area. Each test starts its own
//! hub on a free port with its own database (SQLite, or PostgreSQL when
//! `SHTAB_TEST_DATABASE_URL` is set).

mod access;
mod access_agent;
mod access_ansible;
mod access_pages;
mod api_contract;
mod audit;
mod auth;
mod bank_import;
mod bank_matching;
mod bank_payments;
mod bank_tbank;
mod bitrix24_app;
mod bitrix24_binary;
mod bitrix24_deals;
mod bitrix24_events;
mod bitrix24_invoices;
mod bitrix24_notify;
mod bitrix24_oauth;
mod bitrix24_people;
mod bitrix24_status;
mod bitrix24_tasks;
mod browser;
mod cli;
mod crm;
mod demo;
mod home;
mod invoices;
mod notify;
mod ops;
mod people;
mod repositories;
mod robots;
mod schema;
mod search;
mod smoke;
mod smtp_sink;
mod tasks;
mod tenders_cli;
mod tenders_ingest;
mod tenders_portal;
mod tenders_web;
mod testkit;
mod ui;
mod vcs;
mod vcs_changes;
mod webhook_intake;

/// reqwest is built without a TLS provider of its own (the tree keeps *ring* only), so every
/// client needs the process's provider installed first: before any test runs.
#[ctor::ctor(unsafe)]
fn install_tls_provider() {
    shtab_core::tls::install_crypto_provider();
}
