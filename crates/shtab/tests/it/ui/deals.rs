//! The deal board in headless Chromium: a card dragged into a gated stage is refused with
//! the missing field named and stays in its column; once the field is filled on the deal
//! page, the same drag moves it.
//!
//! The drag is made of the HTML5 drag-and-drop events the page's script listens to
//! (`dragstart`, `dragover`, `drop` with one `DataTransfer`), dispatched in the page:
//! chromedriver's pointer actions do not start native HTML5 drags.

use serde_json::{Map, json};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_core::ports::{Crm, NewDeal};
use shtab_tenders::crm::BuiltinCrm;

use super::{log_in, shot};
use crate::browser;
use crate::testkit::TestApp;

fn drag(id: i64, stage: &str) -> String {
    format!(
        "const card = document.querySelector('.deal-card[data-deal-id=\"{id}\"]');\n\
         const column = document.querySelector('.deal-column[data-stage=\"{stage}\"]');\n\
         const dt = new DataTransfer();\n\
         card.dispatchEvent(new DragEvent('dragstart', {{bubbles: true, cancelable: true, dataTransfer: dt}}));\n\
         const target = column.querySelector('.deal-cards');\n\
         target.dispatchEvent(new DragEvent('dragenter', {{bubbles: true, cancelable: true, dataTransfer: dt}}));\n\
         target.dispatchEvent(new DragEvent('dragover', {{bubbles: true, cancelable: true, dataTransfer: dt}}));\n\
         target.dispatchEvent(new DragEvent('drop', {{bubbles: true, cancelable: true, dataTransfer: dt}}));\n\
         card.dispatchEvent(new DragEvent('dragend', {{bubbles: true, dataTransfer: dt}}));\n\
         return true;"
    )
}

fn column_of(id: i64) -> String {
    format!(
        "return document.querySelector('.deal-card[data-deal-id=\"{id}\"]').closest('.deal-column').dataset.stage;"
    )
}

#[tokio::test]
async fn dragging_a_deal_into_a_gated_stage_is_refused_until_the_field_is_filled() {
    let b = match browser::browser().await {
        Some(b) => b,
        None => {
            eprintln!("skipped: no chromedriver");
            return;
        }
    };
    let app = TestApp::spawn().await;
    app.create_user("sales@agency.test", "Ольга Продажина", &[Role::Manager])
        .await;
    let crm = BuiltinCrm::new(app.db.clone(), app.config.clone());
    let fields: Map<String, serde_json::Value> = json!({
        "reg_number": "0373100038724000012",
        "customer": "ГБУ «Жилищник района Арбат»",
        "max_price": 123_456_789
    })
    .as_object()
    .unwrap()
    .clone();
    let deal = crm
        .create_deal(
            &NewDeal {
                pipeline: "tenders".into(),
                stage: "reviewing".into(),
                title: "Поставка серверов".into(),
                responsible: None,
                fields,
                external_key: "0373100038724000012".into(),
            },
            &Actor::robot("tenders.searches"),
        )
        .await
        .unwrap();
    let id: i64 = deal.id.parse().unwrap();

    log_in(&b, &app, "sales@agency.test", None).await;
    b.goto(&app.url("/deals")).await;
    b.wait_for(&format!(".deal-card[data-deal-id=\"{id}\"]"))
        .await;
    b.wait_for_text(".deal-column[data-stage='reviewing']", "1 234 567,89")
        .await;

    b.eval(&drag(id, "approval")).await;
    let message = b
        .wait_for_text("#board-message", "Рекомендованная цена")
        .await;
    assert!(
        message.contains("Сделку нельзя перевести на этап «Согласование с вендором»"),
        "{message}"
    );
    assert!(
        b.exists("#board-message.flash-error").await,
        "shown as a refusal"
    );
    b.screenshot(shot("deals-board-refused")).await;
    assert_eq!(
        b.eval(&column_of(id)).await,
        json!("reviewing"),
        "the card stays"
    );
    assert_eq!(
        crm.deal(id).await.unwrap().stage,
        "reviewing",
        "nothing changed"
    );

    b.click_and_load(&format!(".deal-card[data-deal-id=\"{id}\"] a"))
        .await;
    b.fill("#f-recommended_price", "1 100 000,50").await;
    b.click_and_load("#deal-fields button[type=submit]").await;
    b.wait_for_text(".flash-ok", "").await;
    assert_eq!(
        crm.deal(id).await.unwrap().fields["recommended_price"],
        json!(110_000_050)
    );

    b.goto(&app.url("/deals")).await;
    b.wait_for(&format!(".deal-card[data-deal-id=\"{id}\"]"))
        .await;
    b.eval(&drag(id, "approval")).await;
    b.wait_for_text("#board-message.flash-ok", "Согласование с вендором")
        .await;
    assert_eq!(b.eval(&column_of(id)).await, json!("approval"));
    b.wait_for_text(".deal-column[data-stage='approval'] .deal-count", "1")
        .await;
    b.screenshot(shot("deals-board-moved")).await;
    assert_eq!(crm.deal(id).await.unwrap().stage, "approval");

    // The deal page tells the story.
    b.goto(&app.url(&format!("/deals/{id}"))).await;
    b.wait_for_text("#deal-stage", "Согласование с вендором")
        .await;
    b.wait_for_text("#deal-history", "Ольга Продажина").await;
    b.screenshot(shot("deals-page")).await;
    b.close().await;
}
