//! Who may do what on the admin plane.
//!
//! | role | may |
//! |---|---|
//! | `security-admin` | everything, and alone: the restricted scope, citizens |
//! | `client-manager` | read and change clients |
//! | `auditor` | read clients, keys and the audit trail; change nothing |
//! | `registration-officer` | issue Digital ID enrollment codes to citizens verified in person |

use serde::Serialize;

/// An administrator's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything.
    SecurityAdmin,
    /// Clients only.
    ClientManager,
    /// Read-only.
    Auditor,
    /// At a service centre: issues Digital ID enrollment codes after checking the citizen's
    /// fingerprint against the civil registry, and nothing else.
    RegistrationOfficer,
}

/// One kind of admin operation, which roles grant or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// List and read clients.
    ReadClients,
    /// Create, change, disable and delete clients.
    WriteClients,
    /// List signing keys.
    ReadKeys,
    /// Rotate and retire signing keys.
    WriteKeys,
    /// Query, export and verify the audit trail.
    ReadAudit,
    /// Grant or withdraw the restricted scope (the national id) for a client.
    GrantRestricted,
    /// Look citizens up, lock and unlock them, end their sessions.
    Citizens,
    /// Issue a Digital ID enrollment code for a registry number.
    EnrollDigitalId,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 4] = [
        Self::SecurityAdmin,
        Self::ClientManager,
        Self::Auditor,
        Self::RegistrationOfficer,
    ];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecurityAdmin => "security-admin",
            Self::ClientManager => "client-manager",
            Self::Auditor => "auditor",
            Self::RegistrationOfficer => "registration-officer",
        }
    }

    /// Reads a role name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether this role grants `permission`.
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Self::SecurityAdmin => true,
            Self::ClientManager => matches!(permission, ReadClients | WriteClients),
            Self::Auditor => matches!(permission, ReadClients | ReadKeys | ReadAudit),
            Self::RegistrationOfficer => permission == EnrollDigitalId,
        }
    }
}

/// Who is making an admin request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Account name.
    pub name: String,
    /// Its role.
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_the_table_says() {
        use Permission::*;
        let all = [
            ReadClients,
            WriteClients,
            ReadKeys,
            WriteKeys,
            ReadAudit,
            GrantRestricted,
            Citizens,
            EnrollDigitalId,
        ];
        assert!(all.iter().all(|p| Role::SecurityAdmin.may(*p)));
        let manager: Vec<_> = all
            .iter()
            .filter(|p| Role::ClientManager.may(**p))
            .collect();
        assert_eq!(manager, [&ReadClients, &WriteClients]);
        let auditor: Vec<_> = all.iter().filter(|p| Role::Auditor.may(**p)).collect();
        assert_eq!(auditor, [&ReadClients, &ReadKeys, &ReadAudit]);
        let officer: Vec<_> = all
            .iter()
            .filter(|p| Role::RegistrationOfficer.may(**p))
            .collect();
        assert_eq!(officer, [&EnrollDigitalId]);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
