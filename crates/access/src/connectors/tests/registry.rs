//! The registry: every listed kind has a connector whose example settings pass its check.

use serde_json::Value;

use super::client;
use crate::connectors::{KINDS, check_settings, describe, for_kind};

#[test]
fn every_kind_has_a_connector_and_its_example_settings_pass_except_unfilled_ids() {
    for info in KINDS {
        let connector = for_kind(info.kind, client()).expect(info.kind);
        let example: Value = serde_json::from_str(info.settings_example).unwrap();
        let checked = connector.check_settings(&example);
        assert_eq!(
            checked,
            check_settings(info.kind, &example),
            "the same check without a client"
        );
        match info.kind {
            // The examples leave what only the admin knows empty, and say so.
            "mattermost" => assert_eq!(
                checked.unwrap_err(),
                "team_id: required",
                "the example shows the fields"
            ),
            // The example program does not exist on this machine.
            "command" => assert!(checked.unwrap_err().starts_with("program: cannot use")),
            _ => assert_eq!(checked, Ok(()), "{}", info.kind),
        }
        assert_eq!(describe(info.kind), Some(info));
    }
    assert!(for_kind("ldap", client()).is_none());
    assert!(describe("ldap").is_none());
    assert_eq!(
        check_settings("ldap", &serde_json::json!({})),
        Err(
            "connector: «ldap» is not one of telegram, mattermost, mailcow, yandex360, command"
                .into()
        )
    );
}
