//! The access pages: the overview (resources, people), a person's access (grants, grant
//! form, VPN devices), offboarding, and servers with their agents.

mod grant_list;
mod offboard;
mod overview;
mod person;
mod servers;

pub use grant_list::grant_list;
pub use offboard::{offboard, offboard_confirm};
pub use overview::{create_resource, overview};
pub use person::{add_device, first_secret, grant, person, retry, revoke, revoke_device};
pub use servers::{create_server, server, server_token, servers, update_server};

use shtab_core::FieldError;
use shtab_core::time::format_ms;
use shtab_web::AppState;
use shtab_web::i18n::{FormErrors, Locale};

/// A stored instant in the agency's zone; `fallback` when there is none.
pub(crate) fn when(state: &AppState, ms: Option<i64>, fallback: &str) -> String {
    ms.map_or_else(
        || fallback.to_string(),
        |ms| format_ms(ms, state.config.time_zone()),
    )
}

/// Form errors in the page's language: the platform translates its own codes, these are
/// the capability's.
pub(crate) fn form_errors(locale: Locale, fields: &[FieldError]) -> FormErrors {
    if locale == Locale::En {
        return FormErrors::new(locale, fields);
    }
    let localized: Vec<FieldError> = fields
        .iter()
        .map(|e| {
            let ru = match e.code {
                "subnet_full" => Some("в подсети не осталось свободных адресов"),
                "invalid_subnet" => Some("подсеть IPv4, например 10.8.0.0/24"),
                "invalid_login" => Some("недопустимое имя пользователя Unix: строчные латинские буквы, цифры, _ и -, с буквы"),
                "refused_login" => Some("это системная учётная запись или учётная запись облачного образа, она уже есть на серверах; выберите личный логин"),
                "invalid_shell" => Some("абсолютный путь к оболочке, например /bin/bash"),
                "invalid_group" => Some("недопустимое имя группы"),
                "invalid_server_name" => Some("строчные латинские буквы, цифры, -, _ и точка, с буквы"),
                "invalid_settings" => None,
                "invalid_wg_key" => Some("открытый ключ WireGuard: 32 байта в base64"),
                "invalid_endpoint" => Some("хост:порт, например vpn.agency.ru:51820"),
                "not_vpn_grant" => Some("это не действующий доступ к VPN"),
                "in_the_past" => Some("дата окончания уже прошла"),
                "invalid_connector" => Some("telegram, mattermost, mailcow, yandex360 или command"),
                "invalid_kind" => Some("connector, vpn или ssh"),
                "command_admin_only" => {
                    Some("программу для запуска на сервере Штаба может указать только администратор")
                }
                _ => None,
            };
            match ru {
                Some(m) => FieldError { code: "", message: m.to_string(), ..e.clone() },
                None => e.clone(),
            }
        })
        .collect();
    FormErrors::new(locale, &localized)
}
