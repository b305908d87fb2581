use serde::{Deserialize, Serialize};

/// What a request may do. Every page and API handler asks for one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    PeopleRead,
    PeopleWrite,
    /// Create users, give roles, reset passwords, see and revoke anyone's tokens.
    UsersManage,
    AuditRead,
    SettingsManage,
    /// See the robots, their schedules and runs.
    RobotsRead,
    /// Change robots' schedules and run them now.
    RobotsManage,
    /// See every delivery, edit message templates and anyone's channels.
    NotificationsManage,
    /// See tasks and their commits.
    TasksRead,
    /// Create and change tasks, log time.
    TasksWrite,
    /// See repositories, webhook deliveries, sweeps and unmatched commit authors.
    RepositoriesRead,
    /// Add and change repositories (their secrets included) and map commit authors.
    RepositoriesManage,
    /// See bank accounts, payments, the dashboard; save payment filters.
    BankRead,
    /// Add accounts and statement sources, import statements, allocate payments by hand.
    BankManage,
    /// See invoices.
    InvoicesRead,
    /// Create, change, cancel and import invoices.
    InvoicesWrite,
    /// See tenders, saved searches, the pipeline board and deals.
    TendersRead,
    /// Take or drop tenders, move deals, fill their fields, edit saved searches.
    TendersWrite,
    /// Change pipelines: stages, their rules and entry actions.
    PipelinesManage,
    /// See people's access: grants, servers, agents, VPN devices.
    AccessRead,
    /// Grant and revoke access, offboard people, add servers and resources.
    AccessManage,
}

impl Permission {
    /// The name the API shows (the same as the serialised form).
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::PeopleRead => "people_read",
            Permission::PeopleWrite => "people_write",
            Permission::UsersManage => "users_manage",
            Permission::AuditRead => "audit_read",
            Permission::SettingsManage => "settings_manage",
            Permission::RobotsRead => "robots_read",
            Permission::RobotsManage => "robots_manage",
            Permission::NotificationsManage => "notifications_manage",
            Permission::TasksRead => "tasks_read",
            Permission::TasksWrite => "tasks_write",
            Permission::RepositoriesRead => "repositories_read",
            Permission::RepositoriesManage => "repositories_manage",
            Permission::BankRead => "bank_read",
            Permission::BankManage => "bank_manage",
            Permission::InvoicesRead => "invoices_read",
            Permission::InvoicesWrite => "invoices_write",
            Permission::TendersRead => "tenders_read",
            Permission::TendersWrite => "tenders_write",
            Permission::PipelinesManage => "pipelines_manage",
            Permission::AccessRead => "access_read",
            Permission::AccessManage => "access_manage",
        }
    }
}

/// Roles are fixed sets of permissions; a user holds one or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Accountant,
    Developer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Manager,
        Role::Accountant,
        Role::Developer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Accountant => "accountant",
            Role::Developer => "developer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[
                PeopleRead,
                PeopleWrite,
                UsersManage,
                AuditRead,
                SettingsManage,
                RobotsRead,
                RobotsManage,
                NotificationsManage,
                TasksRead,
                TasksWrite,
                RepositoriesRead,
                RepositoriesManage,
                BankRead,
                BankManage,
                InvoicesRead,
                InvoicesWrite,
                TendersRead,
                TendersWrite,
                PipelinesManage,
                AccessRead,
                AccessManage,
            ],
            Role::Manager => &[
                PeopleRead,
                PeopleWrite,
                AuditRead,
                RobotsRead,
                TasksRead,
                TasksWrite,
                RepositoriesRead,
                BankRead,
                InvoicesRead,
                InvoicesWrite,
                TendersRead,
                TendersWrite,
                AccessRead,
            ],
            Role::Accountant => &[
                PeopleRead,
                BankRead,
                BankManage,
                InvoicesRead,
                InvoicesWrite,
            ],
            Role::Developer => &[
                PeopleRead,
                TasksRead,
                TasksWrite,
                RepositoriesRead,
                RepositoriesManage,
            ],
        }
    }

    pub fn grants(roles: &[Role], permission: Permission) -> bool {
        roles.iter().any(|r| r.permissions().contains(&permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_users_and_settings() {
        for role in Role::ALL {
            let admin = role == Role::Admin;
            assert_eq!(
                Role::grants(&[role], Permission::UsersManage),
                admin,
                "{role:?}"
            );
            assert_eq!(
                Role::grants(&[role], Permission::SettingsManage),
                admin,
                "{role:?}"
            );
            assert!(
                Role::grants(&[role], Permission::PeopleRead),
                "{role:?} reads the directory"
            );
        }
        assert!(!Role::grants(&[], Permission::PeopleRead));
    }

    #[test]
    fn permission_names_are_their_serialised_form() {
        for role in Role::ALL {
            for p in role.permissions() {
                assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
            }
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
