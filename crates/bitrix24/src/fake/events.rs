//! The portal's outgoing events, as its queue server posts them to a handler:
//! `application/x-www-form-urlencoded` with PHP-style keys, task events carrying only ids
//! (`data[FIELDS_AFTER][ID]`, `data[FIELDS_BEFORE][ID]`) and an `auth` block naming the portal
//! and the outgoing webhook's application token (`bitrix24-rest.md` §9).

use super::FakePortal;

impl FakePortal {
    /// `auth[domain]` of this portal's events: host and port.
    pub fn domain(&self) -> String {
        self.addr.to_string()
    }

    /// The body of event `name` with `data` (`("data[FIELDS][ID]", "759")`), signed with
    /// `application_token`.
    pub fn event_body(&self, name: &str, data: &[(&str, &str)], application_token: &str) -> String {
        let mut form: Vec<(String, String)> = vec![
            ("event".into(), name.into()),
            ("event_handler_id".into(), "17".into()),
        ];
        for (key, value) in data {
            form.push(((*key).into(), (*value).into()));
        }
        form.extend([
            ("ts".into(), "1736405807".into()),
            ("auth[domain]".into(), self.domain()),
            (
                "auth[client_endpoint]".into(),
                format!("{}/rest/", self.origin()),
            ),
            (
                "auth[server_endpoint]".into(),
                "https://oauth.bitrix.info/rest/".into(),
            ),
            (
                "auth[member_id]".into(),
                "a223c6b3710f85df22e9377d6c4f7553".into(),
            ),
            ("auth[application_token]".into(), application_token.into()),
        ]);
        serde_urlencoded::to_string(&form).expect("pairs of text encode")
    }

    /// The body of a task event (`ONTASKADD`, `ONTASKUPDATE`, `ONTASKDELETE`) about `task`: the
    /// id after the change, and before it for an update or a deletion.
    pub fn task_event_body(&self, name: &str, task: u64, application_token: &str) -> String {
        let id = task.to_string();
        let mut data = Vec::new();
        if !name.eq_ignore_ascii_case("ONTASKADD") {
            data.push(("data[FIELDS_BEFORE][ID]", id.as_str()));
        }
        if !name.eq_ignore_ascii_case("ONTASKDELETE") {
            data.push(("data[FIELDS_AFTER][ID]", id.as_str()));
        }
        self.event_body(name, &data, application_token)
    }

    /// Posts a task event to `handler` as the portal does; the handler's status. The portal
    /// logs a failure and never sends the event again.
    pub async fn send_task_event(
        &self,
        handler: &str,
        name: &str,
        task: u64,
        application_token: &str,
    ) -> u16 {
        let body = self.task_event_body(name, task, application_token);
        post(handler, body).await.0
    }

    /// Posts event `name` with `data` to `handler` as the portal does; the handler's status
    /// and answer (`Null` when it is not JSON).
    pub async fn send_event(
        &self,
        handler: &str,
        name: &str,
        data: &[(&str, &str)],
        application_token: &str,
    ) -> (u16, serde_json::Value) {
        post(handler, self.event_body(name, data, application_token)).await
    }
}

async fn post(handler: &str, body: String) -> (u16, serde_json::Value) {
    let Ok(answer) = reqwest::Client::new()
        .post(handler)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
    else {
        return (0, serde_json::Value::Null);
    };
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or_default())
}
