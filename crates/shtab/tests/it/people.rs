//! The people directory as its users meet it: the list with search, the form, a person's
//! page, leaving the company, CSV import, and the same through `/api/v1/people`.

use serde_json::{Value, json as body};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_core::people;

use crate::testkit::{ApiClient, PASSWORD, TestApp, WebClient, json};

/// A real OpenSSH key and what `ssh-keygen -l` says about it.
const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIISeVomsewtjVl+3r0c10yg7Wsd62zgP3S97ShnyguhF ivan@laptop";
const FINGERPRINT: &str = "SHA256:BEm14ygCXN/0ipcF5khelAgXi46ugnazuOpG9U60oiw";

/// The person's id from where a saved form leads: `/people/{id}?saved=1`.
fn saved_id(response: &reqwest::Response) -> i64 {
    assert_eq!(response.status(), 303, "the form was not accepted");
    let location = response.headers()["location"].to_str().unwrap();
    location
        .strip_prefix("/people/")
        .and_then(|rest| rest.strip_suffix("?saved=1"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("saved form leads to {location}"))
}

async fn add_by_form(client: &WebClient, fields: &[(&str, &str)]) -> i64 {
    saved_id(&client.post_form("/people", fields).await)
}

async fn people_count(app: &TestApp) -> i64 {
    people::count(&app.db).await.unwrap()
}

/// `(actor_label, changes)` of the audit entries for `action` on person `id`.
async fn audit(app: &TestApp, action: &str, id: i64) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT actor_label, changes FROM audit_log WHERE action = $1 AND object_kind = 'person' AND object_id = $2 ORDER BY id",
    )
    .bind(action)
    .bind(id.to_string())
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

/// Posts `file` the way the import page's form does: multipart, the CSRF token first.
async fn upload(client: &WebClient, file: &[u8]) -> reqwest::Response {
    let csrf = client.csrf().await;
    let boundary = "shtab-test-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    client
        .http
        .post(client.url("/people/import"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Russian text as a spreadsheet on Russian Windows saves it.
fn windows_1251(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
            'Ё' => 0xA8,
            'ё' => 0xB8,
            c if c.is_ascii() => c as u8,
            c => panic!("{c} is not in this test's Windows-1251 table"),
        })
        .collect()
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_person_added_by_the_form_is_found_by_search_in_any_case() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let manager = app.add_person("Ольга Смирнова", "olga@agency.test").await.0;

    let form = admin.get_text("/people/new").await;
    assert!(form.contains("name=\"github_login\""), "{form}");
    assert!(
        form.contains("Ольга Смирнова"),
        "managers to choose from: {form}"
    );

    let manager_id = manager.to_string();
    let id = add_by_form(
        &admin,
        &[
            ("full_name", "Иван Петров"),
            ("emails", "Ivan.Petrov@Agency.test\r\nivan@gmail.test"),
            ("phone", "+7 912 345-67-89"),
            ("telegram", "@ivan_petrov"),
            ("position", "Ведущий разработчик"),
            ("manager_id", &manager_id),
            ("github_login", "IvanP-gh"),
            ("gitlab_login", ""),
            ("gitea_login", ""),
            ("ssh_keys", ""),
            ("started_on", "2024-03-01"),
        ],
    )
    .await;

    let page = admin.get_text(&format!("/people/{id}?saved=1")).await;
    for shown in [
        "<h1>Иван Петров</h1>",
        "Сохранено.",
        "ivan.petrov@agency.test",
        "ivan@gmail.test",
        "@ivan_petrov",
        "Ведущий разработчик",
        &format!("href=\"/people/{manager}\">Ольга Смирнова</a>"),
        "ivanp-gh",
        "01.03.2024",
    ] {
        assert!(page.contains(shown), "the page shows {shown}: {page}");
    }

    // Whatever one remembers of a person finds them, in any case, Cyrillic included.
    for q in [
        "иван",
        "ИВАН",
        "петров",
        "ivan.petrov",
        "ivan_petrov",
        "345-67",
        "ведущий",
        "ivanp-gh",
    ] {
        let list = admin.get_text(&format!("/people?q={q}")).await;
        assert!(list.contains("Иван Петров"), "«{q}» finds him: {list}");
        assert!(!list.contains(">Ольга Смирнова<"), "«{q}» finds only him");
    }
    let none = admin.get_text("/people?q=сидоров").await;
    assert!(none.contains("Никого не нашлось."), "{none}");

    // Live search asks with htmx's header and gets only the results to swap in.
    let fragment = admin
        .http
        .get(admin.url("/people?q=иван"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(fragment.headers()["vary"], "HX-Request");
    let fragment = fragment.text().await.unwrap();
    assert!(
        fragment.starts_with("<div id=\"people-results\">"),
        "{fragment}"
    );
    assert!(!fragment.contains("<html"), "{fragment}");
    assert!(fragment.contains("Иван Петров"), "{fragment}");

    let created = audit(&app, "person.create", id).await;
    assert_eq!(created.len(), 1, "the creation is in the audit log");
    assert!(
        created[0].0.contains("admin"),
        "by the admin: {:?}",
        created[0]
    );
}

#[tokio::test]
async fn the_list_shows_which_part_of_how_many_and_filters_by_status() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for i in 0..60 {
        app.add_person(&format!("Сотрудник {i:02}"), &format!("p{i}@agency.test"))
            .await;
    }
    // 60 people and the admin.
    let first = admin.get_text("/people").await;
    assert!(first.contains("1–50 из 61"), "{first}");
    assert!(first.contains("Сотрудник 00"), "{first}");
    assert!(!first.contains("Сотрудник 59"), "{first}");
    assert!(
        first.contains("href=\"/people?q=&#38;status=active&#38;offset=50\" rel=\"next\""),
        "a link to the next page: {first}"
    );
    let second = admin.get_text("/people?status=active&offset=50").await;
    assert!(second.contains("51–61 из 61"), "{second}");
    assert!(second.contains("Сотрудник 59"), "{second}");

    let leaver = app
        .add_person("Ушедший Сотрудник", "gone@agency.test")
        .await
        .0;
    let r = admin
        .post_form(
            &format!("/people/{leaver}/deactivate"),
            &[("left_on", "2026-11-24")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let left = admin.get_text("/people?status=left").await;
    assert!(left.contains("Ушедший Сотрудник"), "{left}");
    assert!(left.contains("1–1 из 1"), "{left}");
    let active = admin.get_text("/people?q=ушедший").await;
    assert!(
        active.contains("Никого не нашлось."),
        "the list opens on people who work here: {active}"
    );
    let all = admin.get_text("/people?q=ушедший&status=all").await;
    assert!(all.contains("Ушедший Сотрудник"), "{all}");

    // In English the counts are grouped the English way.
    let english = app.login_as("en@agency.test", &[Role::Manager]).await;
    english.post_form("/settings", &[("locale", "en")]).await;
    let list = english.get_text("/people").await;
    assert!(list.contains("1–50 of 62"), "{list}");
}

#[tokio::test]
async fn a_taken_e_mail_is_refused_next_to_the_field_naming_its_owner() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    add_by_form(
        &admin,
        &[("full_name", "Анна Первая"), ("emails", "anna@agency.test")],
    )
    .await;
    let before = people_count(&app).await;

    let r = admin
        .post_form(
            "/people",
            &[
                ("full_name", "Анна Вторая"),
                ("emails", "ANNA@agency.test"),
                ("position", "Бухгалтер"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    let error_at = page
        .find("id=\"emails-error\"")
        .unwrap_or_else(|| panic!("an error under the e-mails field: {page}"));
    let error = &page[error_at..error_at + 300];
    assert!(error.contains("Анна Первая"), "it names the owner: {error}");
    assert!(
        page.contains("aria-invalid=\"true\" aria-describedby=\"emails-error\""),
        "the field is marked"
    );
    assert!(
        page.contains("value=\"Анна Вторая\""),
        "what was typed stays"
    );
    assert!(page.contains("value=\"Бухгалтер\""), "what was typed stays");
    assert!(page.contains("ничего не сохранено"), "{page}");
    assert_eq!(people_count(&app).await, before, "nothing was written");
}

#[tokio::test]
async fn a_broken_ssh_key_is_refused_and_a_good_one_shows_its_fingerprint() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    let before = people_count(&app).await;
    let r = admin
        .post_form(
            "/people",
            &[
                ("full_name", "Ключник"),
                ("ssh_keys", "ssh-rsa AAAAB3NzaC1yc2E broken@key"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"ssh_keys-error\""), "{page}");
    assert!(
        page.contains("недействительный открытый ключ SSH"),
        "{page}"
    );
    assert!(
        page.contains("broken@key</textarea>"),
        "the key stays as typed"
    );
    assert_eq!(people_count(&app).await, before);

    let id = add_by_form(&admin, &[("full_name", "Ключник"), ("ssh_keys", KEY)]).await;
    let page = admin.get_text(&format!("/people/{id}")).await;
    assert!(page.contains(FINGERPRINT), "{page}");
    assert!(page.contains("ssh-ed25519"), "{page}");
    assert!(page.contains("ivan@laptop"), "the comment: {page}");

    // The edit form offers the key back as it was given.
    let edit = admin.get_text(&format!("/people/{id}/edit")).await;
    assert!(edit.contains(&format!("{KEY}</textarea>")), "{edit}");
}

#[tokio::test]
async fn editing_keeps_what_was_not_touched_and_is_recorded() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = add_by_form(
        &admin,
        &[
            ("full_name", "Мария Иванова"),
            ("emails", "maria@agency.test"),
            ("position", "Дизайнер"),
            ("ssh_keys", KEY),
        ],
    )
    .await;

    let edit = admin.get_text(&format!("/people/{id}/edit")).await;
    assert!(edit.contains("value=\"Мария Иванова\""), "{edit}");
    assert!(edit.contains("maria@agency.test</textarea>"), "{edit}");
    let r = admin
        .post_form(
            &format!("/people/{id}"),
            &[
                ("full_name", "Мария Иванова"),
                ("emails", "maria@agency.test"),
                ("position", "Арт-директор"),
                ("ssh_keys", KEY),
            ],
        )
        .await;
    assert_eq!(saved_id(&r), id);
    let page = admin.get_text(&format!("/people/{id}")).await;
    assert!(page.contains("Арт-директор"), "{page}");
    assert!(page.contains(FINGERPRINT), "{page}");

    let updates = audit(&app, "person.update", id).await;
    assert_eq!(updates.len(), 1);
    let changes: Value = serde_json::from_str(&updates[0].1).unwrap();
    assert_eq!(
        changes,
        body!({"position": {"before": "Дизайнер", "after": "Арт-директор"}}),
        "only what changed"
    );

    // A rejected edit leaves the person as they were.
    let r = admin
        .post_form(
            &format!("/people/{id}"),
            &[("full_name", ""), ("emails", "maria@agency.test")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"full_name-error\""), "{page}");
    let page = admin.get_text(&format!("/people/{id}")).await;
    assert!(page.contains("<h1>Мария Иванова</h1>"), "{page}");
}

#[tokio::test]
async fn those_who_only_read_see_the_directory_but_cannot_change_it() {
    let app = TestApp::spawn().await;
    let dev = app.login_as("dev@agency.test", &[Role::Developer]).await;
    let id = app.add_person("Кто-то Другой", "other@agency.test").await.0;

    let list = dev.get_text("/people").await;
    assert!(list.contains("Кто-то Другой"), "{list}");
    assert!(
        !list.contains("href=\"/people/new\""),
        "no Add button: {list}"
    );
    let page = dev.get_text(&format!("/people/{id}")).await;
    assert!(!page.contains("/deactivate"), "no Deactivate form: {page}");
    assert!(!page.contains("/edit"), "no Edit button: {page}");

    for path in [
        "/people/new",
        "/people/import",
        &format!("/people/{id}/edit"),
    ] {
        assert_eq!(dev.get(path).await.status(), 403, "{path}");
    }
    let before = people_count(&app).await;
    let r = dev.post_form("/people", &[("full_name", "Нельзя")]).await;
    assert_eq!(r.status(), 403);
    let r = dev
        .post_form(&format!("/people/{id}/deactivate"), &[("left_on", "")])
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(people_count(&app).await, before);
    let page = dev.get_text(&format!("/people/{id}")).await;
    assert!(page.contains("в штате"), "still here: {page}");
}

#[tokio::test]
async fn pages_of_people_who_do_not_exist_are_not_found() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for path in ["/people/999999", "/people/abc", "/people/999999/edit"] {
        assert_eq!(admin.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn leaving_the_company_ends_the_persons_login() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let leaver = app
        .create_user("leaver@agency.test", "Пётр Уходящий", &[Role::Developer])
        .await;
    let session = app.login("leaver@agency.test", PASSWORD).await;
    let (_, secret) =
        shtab_core::auth::tokens::create(&app.db, &Actor::system("test"), leaver.id, "laptop")
            .await
            .unwrap();
    let token = ApiClient::new(&app.base, &secret);
    assert_eq!(session.get("/people").await.status(), 200);
    json(token.get("/api/v1/people"), 200).await;

    let id = leaver.person_id.0;
    let page = admin.get_text(&format!("/people/{id}")).await;
    let form = format!("action=\"/people/{id}/deactivate\"");
    assert!(page.contains(&form), "a Deactivate form: {page}");
    let r = admin
        .post_form(
            &format!("/people/{id}/deactivate"),
            &[("left_on", "2026-11-24")],
        )
        .await;
    assert_eq!(saved_id(&r), id);

    let page = admin.get_text(&format!("/people/{id}")).await;
    assert!(page.contains("ушёл из компании"), "{page}");
    assert!(page.contains("24.11.2026"), "{page}");
    assert!(
        !page.contains("/deactivate\""),
        "no second Deactivate: {page}"
    );

    let r = session.get("/people").await;
    assert_eq!(r.status(), 303, "the session was ended");
    let r = WebClient::new(&app.base)
        .try_login("leaver@agency.test", PASSWORD)
        .await;
    assert_eq!(r.status(), 401, "the password no longer lets them in");
    let err = json(token.get("/api/v1/people"), 401).await;
    assert_eq!(error_code(&err), "unauthorized", "the token was revoked");

    let entries = audit(&app, "person.deactivate", id).await;
    assert_eq!(entries.len(), 1);
    assert!(entries[0].1.contains("2026-11-24"), "{:?}", entries[0]);

    // Marking them again is refused, through the API too.
    let api = app.token_as("api@agency.test", &[Role::Manager]).await;
    let err = json(api.post(&format!("/api/v1/people/{id}/deactivate")), 409).await;
    assert_eq!(error_code(&err), "conflict");
}

#[tokio::test]
async fn the_last_admin_cannot_be_marked_as_left() {
    let app = TestApp::spawn().await;
    let admin = app
        .create_user("only@agency.test", "Единственный Админ", &[Role::Admin])
        .await;
    let api = app.token_as("manager@agency.test", &[Role::Manager]).await;
    let id = admin.person_id.0;
    let err = json(api.post(&format!("/api/v1/people/{id}/deactivate")), 409).await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("last admin"),
        "{err}"
    );
    let person = json(api.get(&format!("/api/v1/people/{id}")), 200).await;
    assert_eq!(person["status"], "active");

    // With a second admin, the first may go.
    app.create_user("second@agency.test", "Второй Админ", &[Role::Admin])
        .await;
    let person = json(
        api.post(&format!("/api/v1/people/{id}/deactivate"))
            .json(&body!({"left_on": "2026-11-24"})),
        200,
    )
    .await;
    assert_eq!(person["status"], "left");
    assert_eq!(person["left_on"], "2026-11-24");
}

#[tokio::test]
async fn the_api_creates_reads_patches_and_lists_people() {
    let app = TestApp::spawn().await;
    // An admin's token: giving SSH keys needs access_manage.
    let api = app.token_as("robot@agency.test", &[Role::Admin]).await;
    let manager = app.add_person("Ольга Смирнова", "olga@agency.test").await.0;

    let created = json(
        api.post("/api/v1/people").json(&body!({
            "full_name": "Иван Петров",
            "emails": ["Ivan.Petrov@agency.test", "ivan@gmail.test"],
            "phone": "+7 912 345-67-89",
            "telegram": "https://t.me/ivan_petrov",
            "position": "Разработчик",
            "manager_id": manager,
            "forge_logins": [{"forge": "github", "login": "IvanP"}, {"forge": "gitlab", "login": "ipetrov"}],
            "ssh_keys": [KEY],
            "started_on": "01.03.2024",
        })),
        201,
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        created["emails"],
        body!(["ivan.petrov@agency.test", "ivan@gmail.test"])
    );
    assert_eq!(created["telegram"], "ivan_petrov");
    assert_eq!(created["started_on"], "2024-03-01");
    assert_eq!(created["status"], "active");
    assert_eq!(
        created["manager"],
        body!({"id": manager, "full_name": "Ольга Смирнова"})
    );
    assert_eq!(created["ssh_keys"][0]["fingerprint"], FINGERPRINT);
    assert_eq!(created["ssh_keys"][0]["comment"], "ivan@laptop");
    assert_eq!(
        created["forge_logins"],
        body!([{"forge": "github", "login": "ivanp"}, {"forge": "gitlab", "login": "ipetrov"}])
    );
    assert_eq!(created["user_id"], Value::Null);

    let got = json(api.get(&format!("/api/v1/people/{id}")), 200).await;
    assert_eq!(got, created);

    // Only what is sent changes; null clears.
    let patched = json(
        api.patch(&format!("/api/v1/people/{id}"))
            .json(&body!({"position": "Ведущий разработчик", "phone": null})),
        200,
    )
    .await;
    assert_eq!(patched["position"], "Ведущий разработчик");
    assert_eq!(patched["phone"], Value::Null);
    assert_eq!(patched["emails"], created["emails"]);
    assert_eq!(patched["telegram"], "ivan_petrov");
    assert_eq!(patched["manager_id"], manager);
    assert_eq!(patched["ssh_keys"], created["ssh_keys"]);

    let list = json(api.get("/api/v1/people?q=ПЕТРОВ"), 200).await;
    // A NUL character is searched for, not an error.
    let none = json(api.get("/api/v1/people?q=%D0%BF%D0%B5%00%D1%82%D1%80"), 200).await;
    assert_eq!(none["total"], 0, "{none}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
    assert_eq!(list["items"][0]["email"], "ivan.petrov@agency.test");
    let all = json(api.get("/api/v1/people?limit=1"), 200).await;
    assert_eq!(all["total"], 3, "Ольга, Иван and the token's own person");
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    assert_eq!(all["limit"], 1);
    let left = json(api.get("/api/v1/people?status=left"), 200).await;
    assert_eq!(left["total"], 0);

    let created_by = audit(&app, "person.create", id).await;
    assert!(
        created_by[0].0.contains("token «test»"),
        "the audit log names the token: {created_by:?}"
    );
    assert_eq!(audit(&app, "person.update", id).await.len(), 1);
}

#[tokio::test]
async fn a_search_finds_people_by_what_they_are_called_now_in_name_order_from_two_letters() {
    let app = TestApp::spawn().await;
    let api = app.token_as("robot@agency.test", &[Role::Admin]).await;
    // Thirty namesakes, added in reverse, and one who is not.
    for i in (0..30).rev() {
        app.add_person(
            &format!("Кузнецова Анна {i:02}"),
            &format!("anna{i}@agency.test"),
        )
        .await;
    }
    let petr = app.add_person("Пётр Сидоров", "petr@agency.test").await;
    let names = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["full_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let search = |q: &str| {
        let api = &api;
        let q = q.to_owned();
        async move { json(api.get("/api/v1/people").query(&[("q", q.as_str())]), 200).await }
    };

    // All of them on one page, and the same people one a page: the same order.
    let expected: Vec<String> = (0..30).map(|i| format!("Кузнецова Анна {i:02}")).collect();
    let page = search("КУЗНЕЦОВА").await;
    assert_eq!(page["total"], 30);
    assert_eq!(names(&page), expected);
    let mut one_by_one = Vec::new();
    for offset in 0..30 {
        let one = json(
            api.get("/api/v1/people").query(&[
                ("q", "кузнецова"),
                ("limit", "1"),
                ("offset", &offset.to_string()),
            ]),
            200,
        )
        .await;
        assert_eq!(one["total"], 30);
        one_by_one.extend(names(&one));
    }
    assert_eq!(one_by_one, expected);
    // Past the end, as far as an offset goes: nothing, the same total, no error.
    let far = json(
        api.get("/api/v1/people")
            .query(&[("q", "кузнецова"), ("offset", &i64::MAX.to_string())]),
        200,
    )
    .await;
    assert_eq!((far["total"].as_i64(), names(&far).len()), (Some(30), 0));

    // Any part of the text, spaces included; two letters are enough; a quote is a letter.
    assert_eq!(search("анна 0").await["total"], 10);
    assert_eq!(names(&search("ид").await), ["Пётр Сидоров"]);
    assert_eq!(names(&search("PE").await), ["Пётр Сидоров"]);
    assert_eq!(search("зн").await["total"], 30);
    assert_eq!(search("\"анна").await["total"], 0);
    assert_eq!(search("а 1%").await["total"], 0);

    // Renamed: found by the new name, no longer by the old one.
    json(
        api.patch(&format!("/api/v1/people/{petr}"))
            .json(&body!({"full_name": "Пётр Смирнов"})),
        200,
    )
    .await;
    assert_eq!(search("сидоров").await["total"], 0);
    assert_eq!(search("ид").await["total"], 0);
    assert_eq!(names(&search("смирнов").await), ["Пётр Смирнов"]);
}

#[tokio::test]
async fn the_api_refuses_bad_input_with_json_errors() {
    let app = TestApp::spawn().await;
    let api = app.token_as("robot@agency.test", &[Role::Admin]).await;
    app.add_person("Анна Первая", "anna@agency.test").await;
    let before = people_count(&app).await;

    let err = json(
        api.post("/api/v1/people")
            .header("content-type", "application/json")
            .body("{\"full_name\": "),
        400,
    )
    .await;
    assert_eq!(error_code(&err), "bad_request");
    assert!(!err["error"]["message"].as_str().unwrap().is_empty());

    let err = json(
        api.post("/api/v1/people")
            .json(&body!({"full_name": "Опечатка", "emial": ["x@agency.test"]})),
        400,
    )
    .await;
    assert!(
        err["error"]["message"].as_str().unwrap().contains("emial"),
        "an unknown field is named: {err}"
    );

    let err = json(
        api.post("/api/v1/people").json(&body!({
            "full_name": " ",
            "emails": ["ANNA@agency.test"],
            "ssh_keys": ["ssh-ed25519 AAAA"],
        })),
        422,
    )
    .await;
    assert_eq!(error_code(&err), "invalid");
    let fields: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["full_name", "ssh_keys"], "{err}");
    let err = json(
        api.post("/api/v1/people")
            .json(&body!({"full_name": "Анна Вторая", "emails": ["ANNA@agency.test"]})),
        422,
    )
    .await;
    assert_eq!(err["error"]["fields"][0]["field"], "emails");
    assert!(
        err["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Анна Первая"),
        "{err}"
    );
    assert_eq!(people_count(&app).await, before, "nothing was written");

    let err = json(api.get("/api/v1/people/abc"), 400).await;
    assert_eq!(error_code(&err), "bad_request");
    let err = json(api.get("/api/v1/people/999999"), 404).await;
    assert_eq!(error_code(&err), "not_found");
    let err = json(api.get("/api/v1/people?status=gone"), 400).await;
    assert_eq!(error_code(&err), "bad_request");
    let err = json(
        api.patch("/api/v1/people/999999")
            .json(&body!({"position": "x"})),
        404,
    )
    .await;
    assert_eq!(error_code(&err), "not_found");
}

#[tokio::test]
async fn the_api_needs_a_token_and_the_right_to_change_people() {
    let app = TestApp::spawn().await;
    let id = app.add_person("Анна Первая", "anna@agency.test").await.0;

    let anonymous = WebClient::new(&app.base).get("/api/v1/people").await;
    assert_eq!(anonymous.status(), 401, "not a redirect to the login page");
    let err: Value = anonymous.json().await.unwrap();
    assert_eq!(error_code(&err), "unauthorized");

    let dev = app.token_as("dev@agency.test", &[Role::Developer]).await;
    json(dev.get("/api/v1/people"), 200).await;
    json(dev.get(&format!("/api/v1/people/{id}")), 200).await;
    let before = people_count(&app).await;
    let err = json(
        dev.post("/api/v1/people")
            .json(&body!({"full_name": "Нельзя"})),
        403,
    )
    .await;
    assert_eq!(error_code(&err), "forbidden");
    json(
        dev.patch(&format!("/api/v1/people/{id}"))
            .json(&body!({"full_name": "Нельзя"})),
        403,
    )
    .await;
    json(dev.post(&format!("/api/v1/people/{id}/deactivate")), 403).await;
    json(
        dev.post("/api/v1/people/import")
            .header("content-type", "text/csv")
            .body("full_name\nНельзя\n"),
        403,
    )
    .await;
    assert_eq!(people_count(&app).await, before);
    let person = json(dev.get(&format!("/api/v1/people/{id}")), 200).await;
    assert_eq!(person["full_name"], "Анна Первая");
    assert_eq!(person["status"], "active");
}

#[tokio::test]
async fn deactivating_through_the_api_defaults_to_today_where_the_agency_is() {
    let app = TestApp::spawn().await;
    let api = app.token_as("robot@agency.test", &[Role::Manager]).await;
    let id = app.add_person("Анна Первая", "anna@agency.test").await.0;
    let person = json(api.post(&format!("/api/v1/people/{id}/deactivate")), 200).await;
    assert_eq!(person["status"], "left");
    let left_on = people::parse_date("left_on", person["left_on"].as_str().unwrap()).unwrap();
    let day_start = shtab_core::time::day_start_ms(left_on, app.config.time_zone());
    let now = shtab_core::time::now_ms();
    assert!(
        (day_start..day_start + 86_400_000).contains(&now),
        "left today in {}: {person}",
        app.config.server.time_zone
    );

    let other = app.add_person("Борис Второй", "boris@agency.test").await.0;
    let err = json(
        api.post(&format!("/api/v1/people/{other}/deactivate"))
            .json(&body!({"left_on": "вчера"})),
        422,
    )
    .await;
    assert_eq!(err["error"]["fields"][0]["field"], "left_on");
}

#[tokio::test]
async fn csv_files_from_excel_and_elsewhere_are_imported_with_managers() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let page = admin.get_text("/people/import").await;
    let form = &page[page.find("action=\"/people/import\"").unwrap()..];
    let csrf_at = form.find("name=\"csrf_token\"").unwrap();
    let file_at = form.find("name=\"file\"").unwrap();
    assert!(
        csrf_at < file_at,
        "the token comes before the file in the upload form"
    );

    // UTF-8 with commas; the manager comes after her report in the file.
    let utf8 = "full_name,emails,phone,telegram,position,manager_email,github,started_on\n\
                Пётр Козлов,petr@agency.test petr@gmail.test,+7 900 000-00-01,@petr_kozlov,Разработчик,olga@agency.test,PetrK,2023-09-01\n\
                Ольга Смирнова,olga@agency.test,,,Руководитель отдела,,,\n";
    let r = upload(&admin, utf8.as_bytes()).await;
    assert_eq!(r.status(), 303);
    let done = r.headers()["location"].to_str().unwrap().to_string();
    let page = admin.get_text(&done).await;
    assert!(
        page.contains("Добавлено: 2, уже были в справочнике: 0"),
        "{page}"
    );

    // Windows-1251 with semicolons and Russian headers, as Excel saves it here.
    let cp1251 = windows_1251(
        "ФИО;Почта;Должность;Руководитель\r\n\
         Ёлкина Дарья;darya@agency.test;Тестировщик;olga@agency.test\r\n\
         Пётр Козлов;petr@agency.test;Разработчик;\r\n",
    );
    let r = upload(&admin, &cp1251).await;
    let page = admin
        .get_text(r.headers()["location"].to_str().unwrap())
        .await;
    assert!(
        page.contains("Добавлено: 1, уже были в справочнике: 1"),
        "{page}"
    );

    let api = app.token_as("robot@agency.test", &[Role::Manager]).await;
    let found = json(api.get("/api/v1/people?q=ёлкина"), 200).await;
    let darya = found["items"][0]["id"].as_i64().unwrap();
    let darya = json(api.get(&format!("/api/v1/people/{darya}")), 200).await;
    assert_eq!(darya["full_name"], "Ёлкина Дарья");
    assert_eq!(darya["position"], "Тестировщик");
    assert_eq!(darya["manager"]["full_name"], "Ольга Смирнова");
    let found = json(api.get("/api/v1/people?q=petrk"), 200).await;
    let petr = found["items"][0]["id"].as_i64().unwrap();
    let petr = json(api.get(&format!("/api/v1/people/{petr}")), 200).await;
    assert_eq!(petr["manager"]["full_name"], "Ольга Смирнова");
    assert_eq!(petr["telegram"], "petr_kozlov");
    assert_eq!(petr["started_on"], "2023-09-01");
    assert_eq!(
        audit(&app, "person.create", darya["id"].as_i64().unwrap())
            .await
            .len(),
        1
    );

    // The API takes the file as the body.
    let report = json(
        api.post("/api/v1/people/import")
            .header("content-type", "text/csv")
            .body(
                "full_name;emails\nИван Сидоров;ivan.s@agency.test\nПётр Козлов;petr@agency.test\n",
            ),
        200,
    )
    .await;
    assert_eq!(report, body!({"created": 1, "already_present": 1}));
}

#[tokio::test]
async fn a_csv_with_a_bad_row_writes_nothing_and_names_the_line() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let before = people_count(&app).await;
    let file = "ФИО,почта,руководитель\n\
                Хороший Человек,good@agency.test,\n\
                Плохая Почта,not-an-address,\n\
                Без Начальника,boss-less@agency.test,nobody@agency.test\n";

    let r = upload(&admin, file.as_bytes()).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("ничего не загружено"), "{page}");
    assert!(
        page.contains("<td class=\"num\">3</td><td>Адреса e-mail</td>"),
        "line 3, the e-mails: {page}"
    );
    assert!(page.contains("not-an-address"), "{page}");
    assert!(
        page.contains("<td class=\"num\">4</td><td>E-mail руководителя</td>"),
        "line 4, the manager: {page}"
    );
    assert_eq!(people_count(&app).await, before, "nothing was written");

    let api = app.token_as("robot@agency.test", &[Role::Manager]).await;
    let before = people_count(&app).await;
    let err = json(
        api.post("/api/v1/people/import")
            .header("content-type", "text/csv")
            .body(file),
        422,
    )
    .await;
    assert_eq!(error_code(&err), "invalid");
    let rows: Vec<(i64, &str)> = err["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [(3, "emails"), (4, "manager_email")], "{err}");
    assert_eq!(people_count(&app).await, before);

    let err = json(
        api.post("/api/v1/people/import")
            .header("content-type", "text/csv")
            .body("name;shoe size\nИван;42\n"),
        422,
    )
    .await;
    assert_eq!(err["error"]["fields"][0]["field"], "file", "{err}");

    let r = upload(&admin, b"").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"file-error\""));
}

#[tokio::test]
async fn a_csv_where_two_people_manage_each_other_writes_nothing() {
    let app = TestApp::spawn().await;
    let api = app.token_as("robot@agency.test", &[Role::Manager]).await;
    let before = people_count(&app).await;
    let file = "full_name,emails,manager_email\n\
                Анна,anna@agency.test,boris@agency.test\n\
                Борис,boris@agency.test,anna@agency.test\n";
    let err = json(
        api.post("/api/v1/people/import")
            .header("content-type", "text/csv")
            .body(file),
        422,
    )
    .await;
    let rows: Vec<(i64, &str)> = err["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [(3, "manager_email")],
        "the second assignment closes the loop: {err}"
    );
    assert_eq!(people_count(&app).await, before, "nothing was written");

    // Without the loop, the managers are set and each assignment is in the audit log.
    let file = "full_name,emails,manager_email\n\
                Анна,anna@agency.test,\n\
                Борис,boris@agency.test,anna@agency.test\n";
    json(
        api.post("/api/v1/people/import")
            .header("content-type", "text/csv")
            .body(file),
        200,
    )
    .await;
    let assigned: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'person.update' AND object_label = 'Борис'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(assigned, 1);
}

#[tokio::test]
async fn the_api_document_describes_every_people_route() {
    let app = TestApp::spawn().await;
    let doc: Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    for (path, method, statuses) in [
        (
            "/api/v1/people",
            "get",
            &["200", "400", "401", "403", "503"][..],
        ),
        (
            "/api/v1/people",
            "post",
            &["201", "400", "401", "403", "422", "503"],
        ),
        ("/api/v1/people/{id}", "get", &["200", "401", "403", "404"]),
        (
            "/api/v1/people/{id}",
            "patch",
            &["200", "400", "401", "403", "404", "422"],
        ),
        (
            "/api/v1/people/{id}/deactivate",
            "post",
            &["200", "401", "403", "404", "409", "422"],
        ),
        (
            "/api/v1/people/import",
            "post",
            &["200", "401", "403", "422"],
        ),
    ] {
        let op = &paths[path][method];
        assert_eq!(op["tags"], body!(["people"]), "{method} {path}");
        assert_eq!(op["security"], body!([{"bearer": []}]), "{method} {path}");
        for status in statuses {
            assert!(
                op["responses"][status].is_object(),
                "{method} {path} documents {status}: {op}"
            );
        }
    }
}

// SSH keys are access

const OTHER_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPKmLfPPsGlMiFyrP+BlfOM59sM7staY1XH71gFF8glT ivan@laptop";

async fn keys_of(app: &TestApp, id: i64) -> Vec<String> {
    people::get(&app.db, shtab_core::ids::PersonId(id))
        .await
        .unwrap()
        .ssh_keys
        .into_iter()
        .map(|k| k.fingerprint)
        .collect()
}

/// The session's API client: cookie plus the CSRF header, as the pages' scripts send.
async fn session_patch(web: &WebClient, path: &str, body: Value) -> reqwest::RequestBuilder {
    let csrf = web.csrf().await;
    web.http
        .patch(web.url(path))
        .header("x-csrf-token", csrf)
        .json(&body)
}

#[tokio::test]
async fn a_manager_cannot_change_anyones_ssh_keys_on_the_api_or_the_form() {
    let app = TestApp::spawn().await;
    let admin = app.token_as("root@agency.test", &[Role::Admin]).await;
    let ivan = json(
        admin.post("/api/v1/people").json(&body!({
            "full_name": "Иван Петров", "emails": ["ivan@agency.test"], "ssh_keys": [KEY]
        })),
        201,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let manager_api = app.token_as("olga@agency.test", &[Role::Manager]).await;
    let manager_web = app.login("olga@agency.test", PASSWORD).await;

    // The API: add a key, replace the keys, clear them; and a new person with a key.
    for keys in [body!([KEY, OTHER_KEY]), body!([OTHER_KEY]), body!([])] {
        let r = json(
            manager_api
                .patch(&format!("/api/v1/people/{ivan}"))
                .json(&body!({ "ssh_keys": keys })),
            403,
        )
        .await;
        assert_eq!(r["error"]["code"], "forbidden");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("access_manage"),
            "{r}"
        );
    }
    let count = people_count(&app).await;
    json(
        manager_api.post("/api/v1/people").json(&body!({
            "full_name": "Подставной", "ssh_keys": [OTHER_KEY]
        })),
        403,
    )
    .await;
    assert_eq!(people_count(&app).await, count);

    // The form: the keys are read-only; a forged post that changes them is refused by field.
    let edit = manager_web.get_text(&format!("/people/{ivan}/edit")).await;
    assert!(edit.contains("readonly"), "{edit}");
    let r = manager_web
        .post_form(
            &format!("/people/{ivan}"),
            &[
                ("full_name", "Иван Петров"),
                ("emails", "ivan@agency.test"),
                ("ssh_keys", OTHER_KEY),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"ssh_keys-error\""), "{page}");
    assert!(page.contains("управляет доступами"), "{page}");
    assert_eq!(keys_of(&app, ivan).await, [FINGERPRINT]);

    // Everything else a manager still changes, the keys sent back as they were.
    let r = manager_web
        .post_form(
            &format!("/people/{ivan}"),
            &[
                ("full_name", "Иван Петров"),
                ("emails", "ivan@agency.test"),
                ("position", "Тимлид"),
                ("ssh_keys", KEY),
            ],
        )
        .await;
    assert_eq!(saved_id(&r), ivan);
    let patched = json(
        manager_api
            .patch(&format!("/api/v1/people/{ivan}"))
            .json(&body!({"position": "Архитектор", "ssh_keys": [KEY]})),
        200,
    )
    .await;
    assert_eq!(patched["position"], "Архитектор");
    assert_eq!(keys_of(&app, ivan).await, [FINGERPRINT]);
}

#[tokio::test]
async fn people_change_their_own_keys_from_their_session_only_and_it_is_audited() {
    let app = TestApp::spawn().await;
    let olga_web = app.login_as("olga@agency.test", &[Role::Manager]).await;
    let olga = people::find_by_email(
        &app.db,
        &shtab_core::types::Email::parse("email", "olga@agency.test").unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .0;
    let path = format!("/api/v1/people/{olga}");

    let saved = json(
        session_patch(&olga_web, &path, body!({"ssh_keys": [KEY]})).await,
        200,
    )
    .await;
    assert_eq!(saved["ssh_keys"][0]["fingerprint"], FINGERPRINT);

    // Her token is not her session: it may have leaked.
    let (_, secret) = shtab_core::auth::tokens::create(
        &app.db,
        &Actor::system("test"),
        shtab_core::auth::users::get_by_person(&app.db, shtab_core::ids::PersonId(olga))
            .await
            .unwrap()
            .unwrap()
            .id,
        "script",
    )
    .await
    .unwrap();
    let token = ApiClient::new(&app.base, &secret);
    json(
        token.patch(&path).json(&body!({"ssh_keys": [OTHER_KEY]})),
        403,
    )
    .await;
    assert_eq!(keys_of(&app, olga).await, [FINGERPRINT]);

    // Someone who manages access may change anyone's.
    let admin = app.token_as("root@agency.test", &[Role::Admin]).await;
    json(
        admin.patch(&path).json(&body!({"ssh_keys": [OTHER_KEY]})),
        200,
    )
    .await;
    let other_fp = keys_of(&app, olga).await;
    assert_ne!(other_fp, [FINGERPRINT]);

    // Each change is in the audit log with the fingerprints before and after.
    let updates = audit(&app, "person.update", olga).await;
    let key_changes: Vec<Value> = updates
        .iter()
        .map(|(_, changes)| serde_json::from_str::<Value>(changes).unwrap())
        .filter_map(|c| c.get("ssh_keys").cloned())
        .collect();
    assert_eq!(key_changes.len(), 2, "{updates:?}");
    assert_eq!(key_changes[0]["before"], body!([]));
    assert_eq!(key_changes[0]["after"], body!([FINGERPRINT]));
    assert_eq!(key_changes[1]["before"], body!([FINGERPRINT]));
    assert_eq!(key_changes[1]["after"], body!(other_fp));
}

#[tokio::test]
async fn a_key_added_to_someone_with_ssh_grants_is_announced_to_the_access_managers() {
    use crate::access::{admin_api, grant, person, resource};
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    // The admin (who manages access) reads e-mail.
    let admin_person = people::find_by_email(
        &app.db,
        &shtab_core::types::Email::parse("email", "root@agency.test").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let channel = shtab_core::notify::RawChannel {
        channel: "email".into(),
        target: "root@agency.test".into(),
        enabled: true,
    };
    shtab_core::notify::set_channels(
        &app.db,
        &Actor::system("test"),
        admin_person,
        &[channel],
        true,
    )
    .await
    .unwrap();

    let with_grant = person(&api, "Иван Петров", "ivan@agency.test", &[]).await;
    let without = person(&api, "Пётр Сидоров", "petr@agency.test", &[]).await;
    let servers = resource(
        &api,
        body!({"name": "web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    grant(
        &api,
        body!({"person_id": with_grant, "resource_id": servers, "login": "ivan", "sudo": true}),
    )
    .await;

    let notices = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT person_id, body FROM notify_deliveries WHERE template_key = 'people.ssh_key_added' ORDER BY id",
            )
            .fetch_all(db.pool())
            .await
            .unwrap()
        }
    };
    json(
        api.patch(&format!("/api/v1/people/{without}"))
            .json(&body!({"ssh_keys": [KEY]})),
        200,
    )
    .await;
    assert!(notices(&app).await.is_empty(), "no grant, no notice");

    json(
        api.patch(&format!("/api/v1/people/{with_grant}"))
            .json(&body!({"ssh_keys": [KEY]})),
        200,
    )
    .await;
    let sent = notices(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, admin_person.0);
    assert!(sent[0].1.contains(FINGERPRINT), "{}", sent[0].1);
    assert!(sent[0].1.contains("ivan → web (sudo)"), "{}", sent[0].1);

    // Removing a key announces nothing.
    json(
        api.patch(&format!("/api/v1/people/{with_grant}"))
            .json(&body!({"ssh_keys": []})),
        200,
    )
    .await;
    assert_eq!(notices(&app).await.len(), 1);
}

#[tokio::test]
async fn a_csv_gives_ssh_keys_only_when_the_importer_manages_access() {
    let app = TestApp::spawn().await;
    let file = format!(
        "ФИО;почта;ssh_keys\n\
         Иван Петров;ivan@agency.test;\"{KEY}\n{OTHER_KEY}\"\n\
         Пётр Сидоров;petr@agency.test;\n"
    );
    let manager = app.token_as("olga@agency.test", &[Role::Manager]).await;
    let before = people_count(&app).await;
    let err = json(
        manager
            .post("/api/v1/people/import")
            .header("content-type", "text/csv")
            .body(file.clone()),
        422,
    )
    .await;
    assert_eq!(err["rows"][0]["line"], 2, "{err}");
    assert_eq!(err["rows"][0]["field"], "ssh_keys", "{err}");
    assert_eq!(err["rows"].as_array().unwrap().len(), 1, "{err}");
    assert_eq!(people_count(&app).await, before, "nothing was written");

    let admin = app.token_as("root@agency.test", &[Role::Admin]).await;
    let done = json(
        admin
            .post("/api/v1/people/import")
            .header("content-type", "text/csv")
            .body(file),
        200,
    )
    .await;
    assert_eq!(done["created"], 2, "{done}");
    let ivan = people::find_by_email(
        &app.db,
        &shtab_core::types::Email::parse("email", "ivan@agency.test").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(keys_of(&app, ivan.0).await.len(), 2);
    let created = audit(&app, "person.create", ivan.0).await;
    assert!(created[0].1.contains(FINGERPRINT), "{created:?}");
}
