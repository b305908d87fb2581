//! An in-process fake Bitrix24 portal on 127.0.0.1, for tests here and in the hub. It answers
//! the shapes of `shared/reference/bitrix24-rest.md` and `bitrix24-practice.md`, traps
//! included: ids as strings, `[]` for empty maps, batch maps turned into lists by numeric
//! labels, `result: []` for a task that cannot be seen, positional legacy parameters,
//! `next`/`total`, the leaky bucket's 503, 401 for a wrong webhook code or an expired token,
//! 302 from a renamed portal, 403 for a missing scope. It records every request, so tests pin
//! what Shtab sends. It also posts the portal's outgoing events (`events`) as its queue
//! server does.

mod app;
mod batch;
mod crm;
mod crm_data;
mod deals;
mod events;
mod methods;
mod oauth;
mod server;
mod state;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub use app::{FakeEventSend, FakePlacement, FakeRobot};
pub use crm_data::{
    FakeInvoice, FakeInvoiceCategory, FakeInvoiceStage, FakePaymentDocument, FakeRequisite,
    FakeRequisiteLink, FakeTimelineComment,
};
pub use state::{
    FakeComment, FakeDepartment, FakeElapsed, FakeNotification, FakeTask, FakeUser, Fault,
    Recorded, RecordedRefresh, WEBHOOK_CODE, WEBHOOK_USER,
};

pub use deals::{FakeDeal, FakeDealCategory, FakeDealStage, FakeStageMove, FakeUserField};

use server::Shared;
use state::{Bucket, OAuthApp, State};

/// A running fake portal; it stops when the test's runtime ends.
#[derive(Clone)]
pub struct FakePortal {
    addr: SocketAddr,
    state: Shared,
}

impl FakePortal {
    /// Starts a fake portal on a free port of 127.0.0.1.
    pub async fn start() -> FakePortal {
        let state: Shared = Arc::new(Mutex::new(State::new()));
        let app = axum::Router::new()
            .fallback(server::handle)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1");
        let addr = listener.local_addr().expect("the fake's address");
        {
            let mut s = state.lock().expect("fake state");
            s.origin = format!("http://{addr}");
            // 32 hex digits like the portal's, different for every fake of the process.
            s.member_id = format!("{:032x}", u128::from(addr.port()) * 0x9e37_79b9_7f4a_7c15);
        }
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakePortal { addr, state }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake state")
    }

    /// `http://127.0.0.1:{port}`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The incoming webhook's address, as the portal shows it.
    pub fn webhook_url(&self) -> String {
        format!("{}/rest/{WEBHOOK_USER}/{WEBHOOK_CODE}/", self.origin())
    }

    /// The OAuth server's token address (the fake serves it too).
    pub fn oauth_url(&self) -> String {
        format!("{}/oauth/token/", self.origin())
    }

    // Data.

    pub fn add_user(&self, user: FakeUser) {
        self.state().users.push(user);
    }

    /// Changes a user as the portal's admin would (made inactive, renamed…).
    pub fn update_user(&self, id: u64, change: impl FnOnce(&mut FakeUser)) {
        let mut s = self.state();
        let user = s
            .users
            .iter_mut()
            .find(|u| u.id == id)
            .expect("a user of the fake portal");
        change(user);
    }

    pub fn add_department(&self, department: FakeDepartment) {
        self.state().departments.push(department);
    }

    /// Renames a department as the portal's admin would.
    pub fn rename_department(&self, id: u64, name: &str) {
        let mut s = self.state();
        let d = s
            .departments
            .iter_mut()
            .find(|d| d.id == id)
            .expect("a department of the fake portal");
        d.name = name.into();
    }

    pub fn add_task(&self, task: FakeTask) {
        self.state().tasks.push(task);
    }

    /// Changes a task as people on the portal would (renamed, moved on, shown to the webhook's
    /// user…). The portal would post `ONTASKUPDATE`; tests send it, or lose it, themselves.
    pub fn update_task(&self, id: u64, change: impl FnOnce(&mut FakeTask)) {
        let mut s = self.state();
        let task = s
            .tasks
            .iter_mut()
            .find(|t| t.id == id)
            .expect("a task of the fake portal");
        change(task);
    }

    pub fn task(&self, id: u64) -> Option<FakeTask> {
        self.state().tasks.iter().find(|t| t.id == id).cloned()
    }

    /// Comments on `task_id`, old-style and chat messages, in the order written.
    pub fn comments(&self, task_id: u64) -> Vec<FakeComment> {
        self.state()
            .comments
            .iter()
            .filter(|c| c.task_id == task_id)
            .cloned()
            .collect()
    }

    pub fn elapsed(&self, task_id: u64) -> Vec<FakeElapsed> {
        self.state()
            .elapsed
            .iter()
            .filter(|e| e.task_id == task_id)
            .cloned()
            .collect()
    }

    /// The messenger's notices, in the order sent (`im.notify.*` to a user the portal has).
    pub fn notifications(&self) -> Vec<FakeNotification> {
        self.state().notifications.clone()
    }

    // CRM deals.

    /// Adds a deal category with the portal's eight default stages; its id.
    pub fn add_category(&self, name: &str) -> u64 {
        self.state().deals.add_category(name)
    }

    pub fn categories(&self) -> Vec<FakeDealCategory> {
        self.state().deals.categories.clone()
    }

    /// A category deleted by the portal's admin (its stages go with it).
    pub fn delete_category(&self, id: u64) {
        let mut s = self.state();
        s.deals.categories.retain(|c| c.id != id);
        s.deals.stages.retain(|st| st.category_id != id);
    }

    /// The stages of a category, in their order.
    pub fn stages(&self, category: u64) -> Vec<FakeDealStage> {
        let mut stages: Vec<FakeDealStage> = self
            .state()
            .deals
            .stages
            .iter()
            .filter(|st| st.category_id == category)
            .cloned()
            .collect();
        stages.sort_by_key(|st| (st.sort, st.row_id));
        stages
    }

    /// A stage deleted by the portal's admin.
    pub fn delete_stage(&self, status_id: &str) {
        self.state()
            .deals
            .stages
            .retain(|st| st.status_id != status_id);
    }

    /// A deal user field made by hand (`UF_CRM_…`, `string`, …) with its Russian label.
    pub fn add_user_field(&self, code: &str, user_type: &str, multiple: bool, label: &str) {
        self.state()
            .deals
            .add_user_field(code, user_type, multiple, label);
    }

    pub fn user_fields(&self) -> Vec<FakeUserField> {
        self.state().deals.user_fields.clone()
    }

    /// A user field deleted by the portal's admin.
    pub fn delete_user_field(&self, code: &str) {
        self.state().deals.user_fields.retain(|f| f.code != code);
    }

    /// Adds a deal as someone would by hand (id 0: the portal picks one); its id.
    pub fn add_deal(&self, deal: FakeDeal) -> u64 {
        self.state().deals.add_deal(deal)
    }

    pub fn deal(&self, id: u64) -> Option<FakeDeal> {
        self.state()
            .deals
            .deals
            .iter()
            .find(|d| d.id == id)
            .cloned()
    }

    pub fn deals(&self) -> Vec<FakeDeal> {
        self.state().deals.deals.clone()
    }

    /// A move made in the portal's interface (or by another application): the stage
    /// changes and the history gets a row; no rule of Shtab's is checked.
    pub fn move_deal(&self, id: u64, stage: &str) {
        self.state().deals.move_deal(id, stage);
    }

    /// A field changed in the portal's interface.
    pub fn set_deal_field(&self, id: u64, code: &str, value: serde_json::Value) {
        let mut s = self.state();
        let deal = s
            .deals
            .deals
            .iter_mut()
            .find(|d| d.id == id)
            .expect("a deal of the fake portal");
        deal.fields.insert(code.to_owned(), value);
    }

    /// The stage history, oldest first.
    pub fn stage_history(&self) -> Vec<FakeStageMove> {
        self.state().deals.history.clone()
    }

    /// Comments on a deal's timeline, in the order written.
    pub fn deal_timeline(&self, deal_id: u64) -> Vec<FakeTimelineComment> {
        self.state()
            .crm
            .timeline
            .iter()
            .filter(|c| c.entity_type == "deal" && c.entity_id == deal_id)
            .cloned()
            .collect()
    }

    // Behaviour.

    /// The scopes the webhook was given (default: task, tasks, user, im, crm, department).
    pub fn grant_scopes(&self, scopes: &[&str]) {
        self.state().scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    }

    /// The portal's plan as `app.info` reports it (`ru_project`, `ent250`…).
    pub fn set_license(&self, license: &str) {
        self.state().license = license.to_owned();
    }

    /// Answers the next call of `method` (any method when `None`) with `fault` instead.
    /// Faults queue: call it twice for two.
    pub fn fail_next(&self, method: Option<&str>, fault: Fault) {
        self.state()
            .faults
            .push_back((method.map(str::to_owned), fault));
    }

    /// The portal stops answering (`true`: every request gets a 503 page) or comes back.
    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    /// `time.operating` of `method`'s answers, and its reset this many seconds ahead.
    pub fn set_operating(&self, method: &str, operating: f64, reset_in_secs: f64) {
        let mut s = self.state();
        s.operating.retain(|(m, _, _)| m != method);
        s.operating
            .push((method.to_owned(), operating, reset_in_secs));
    }

    /// The portal was renamed: every request is answered 302 to the same path on `to`.
    pub fn rename_to(&self, to: &FakePortal) {
        self.rename_to_address(&to.origin());
    }

    /// As [`FakePortal::rename_to`], to any address (`http://portal.example`).
    pub fn rename_to_address(&self, origin: &str) {
        self.state().renamed_to = Some(origin.trim_end_matches('/').to_owned());
    }

    /// The new task card: `task.commentitem.add` refuses an `AUTHOR_ID` other than the
    /// webhook's user.
    pub fn refuse_author_id(&self) {
        self.state().refuse_author_id = true;
    }

    /// Enforces the portal's leaky bucket: over `burst`, 503 `QUERY_LIMIT_EXCEEDED`.
    pub fn limit_rate(&self, rate: f64, burst: f64) {
        self.state().bucket = Some(Bucket {
            rate,
            burst,
            level: 0.0,
            at: Instant::now(),
        });
    }

    /// 503s the bucket answered.
    pub fn limited(&self) -> u64 {
        self.state().limited
    }

    // OAuth.

    /// Installs a local application; returns its first (access, refresh) tokens.
    pub fn install_app(&self, client_id: &str, client_secret: &str) -> (String, String) {
        let mut s = self.state();
        s.app = Some(OAuthApp {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            access_token: "access-0".into(),
            refresh_token: "refresh-0".into(),
            expired: HashSet::new(),
            serial: 0,
            handler_url: None,
            user_id: WEBHOOK_USER,
        });
        ("access-0".into(), "refresh-0".into())
    }

    /// The installed application's handler: where the authorisation page sends the
    /// administrator back with a code.
    pub fn set_app_handler(&self, url: &str) {
        let mut s = self.state();
        let app = s.app.as_mut().expect("install_app first");
        app.handler_url = Some(url.to_owned());
    }

    /// The portal's `member_id`.
    pub fn member_id(&self) -> String {
        self.state().member_id.clone()
    }

    /// The pair the OAuth server issued last (the one that works now): (access, refresh).
    pub fn current_tokens(&self) -> Option<(String, String)> {
        self.state()
            .app
            .as_ref()
            .map(|a| (a.access_token.clone(), a.refresh_token.clone()))
    }

    /// The OAuth server answers every token request this much later (a refresh in flight
    /// that others can run into).
    pub fn delay_token_answers(&self, delay: std::time::Duration) {
        self.state().token_delay = delay;
    }

    /// The access token's hour is over: it answers `expired_token` from now on.
    pub fn expire_access_token(&self) {
        let mut s = self.state();
        if let Some(app) = s.app.as_mut() {
            let unissued = format!("unissued-{}", app.access_token);
            let old = std::mem::replace(&mut app.access_token, unissued);
            app.expired.insert(old);
        }
    }

    /// The refresh requests the OAuth server received (at this fake's token address).
    pub fn refreshes(&self) -> Vec<RecordedRefresh> {
        self.token_requests()
            .into_iter()
            .filter(|r| r.form.contains("grant_type=refresh_token"))
            .collect()
    }

    /// Every request to this fake's token address: refreshes and code exchanges.
    pub fn token_requests(&self) -> Vec<RecordedRefresh> {
        self.state().token_requests.clone()
    }

    /// The query strings the authorisation page was opened with.
    pub fn authorizations(&self) -> Vec<String> {
        self.state().authorizations.clone()
    }

    // What was asked.

    /// Every method call, HTTP requests and batch commands alike, in order.
    pub fn calls(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// HTTP requests only (a batch is one).
    pub fn http_requests(&self) -> Vec<Recorded> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.in_batch.is_none())
            .cloned()
            .collect()
    }

    /// Calls of `method`, inside batches or not.
    pub fn calls_of(&self, method: &str) -> Vec<Recorded> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.method == method)
            .cloned()
            .collect()
    }

    pub fn forget_requests(&self) {
        self.state().requests.clear();
    }
}
