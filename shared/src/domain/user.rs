use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "customer" => Some(Role::Customer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    /// Normalised (`normalize_email`): the unique login name.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// argon2id PHC string; never leaves the store.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    /// The owner proved the address is theirs; until then nothing but the
    /// verification mail is sent to it. Accounts stored before verification
    /// existed read as unverified.
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<TotpFactor>,
    /// Sessions started before this are revoked (sign out everywhere, a
    /// password change or reset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_revoked_at: Option<DateTime<Utc>>,
}

/// The TOTP second factor: enrolled (`enabled: false`) until confirmed
/// with a first code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpFactor {
    /// The shared secret, hex.
    pub secret: String,
    pub enabled: bool,
    /// The last step whose code was accepted: a code is good once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_step: Option<u64>,
    /// Digests of the unused recovery codes.
    #[serde(default)]
    pub recovery_codes: Vec<String>,
}

impl User {
    /// A new customer, unverified, without a second factor.
    pub fn new(
        id: &str,
        email: &str,
        name: &str,
        password_hash: String,
        created_at: DateTime<Utc>,
    ) -> User {
        User {
            id: id.to_string(),
            email: email.to_string(),
            name: name.to_string(),
            role: Role::Customer,
            password_hash,
            created_at,
            email_verified: false,
            totp: None,
            sessions_revoked_at: None,
        }
    }

    pub fn with_role(self, role: Role) -> User {
        User { role, ..self }
    }

    pub fn has_totp(&self) -> bool {
        self.totp.as_ref().is_some_and(|t| t.enabled)
    }

    /// Only a verified address with a second factor may hold the admin role.
    pub fn may_be_admin(&self) -> bool {
        self.email_verified && self.has_totp()
    }

    /// Whether a session or token started at `started` was revoked since.
    /// Compared in whole seconds, as tokens carry their time: what starts
    /// in the second of the revocation (the new session of a password
    /// change) is not revoked by it.
    pub fn revoked_since(&self, started: DateTime<Utc>) -> bool {
        self.sessions_revoked_at
            .is_some_and(|at| started.timestamp() < at.timestamp())
    }
}

/// One change to a stored user, made by a store as one conditional write
/// (`User::apply` is the rule; the DynamoDB adapter writes it as conditions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    Name(String),
    EmailVerified,
    /// `Admin` only for a verified address with a confirmed second factor
    /// (`ConditionFailed` otherwise).
    Role(Role),
    /// A new password hash; every session started before `at` is revoked.
    Password {
        hash: String,
        at: DateTime<Utc>,
    },
    SessionsRevoked(DateTime<Utc>),
    /// A new, unconfirmed second factor; `ConditionFailed` if one is
    /// confirmed already.
    TotpEnrolled(TotpFactor),
    /// Confirms the enrolled factor with its first code's step and sets the
    /// recovery codes' digests; `ConditionFailed` without an enrolled one.
    TotpConfirmed {
        step: u64,
        recovery_codes: Vec<String>,
    },
    /// A code of `step` was accepted; `ConditionFailed` unless `step` is
    /// later than the last accepted one (no code is good twice).
    TotpUsed {
        step: u64,
    },
    /// The recovery code at `index` (whose digest is `digest`) was used up;
    /// `ConditionFailed` if it is not there any more.
    RecoveryCodeUsed {
        index: usize,
        digest: String,
    },
    /// Removes the second factor; `ConditionFailed` for an admin.
    TotpRemoved,
}

/// Why a store refused a change (`StoreError::ConditionFailed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeRefused;

impl User {
    /// `change` applied to this user, if the rules allow it.
    pub fn apply(&mut self, change: &UserChange) -> Result<(), ChangeRefused> {
        match change {
            UserChange::Name(name) => self.name = name.clone(),
            UserChange::EmailVerified => self.email_verified = true,
            UserChange::Role(Role::Admin) if !self.may_be_admin() => return Err(ChangeRefused),
            UserChange::Role(role) => self.role = *role,
            UserChange::Password { hash, at } => {
                self.password_hash = hash.clone();
                self.sessions_revoked_at = Some(*at);
            }
            UserChange::SessionsRevoked(at) => self.sessions_revoked_at = Some(*at),
            UserChange::TotpEnrolled(_) if self.has_totp() => return Err(ChangeRefused),
            UserChange::TotpEnrolled(factor) => self.totp = Some(factor.clone()),
            UserChange::TotpConfirmed {
                step,
                recovery_codes,
            } => match &mut self.totp {
                Some(factor) if !factor.enabled => {
                    factor.enabled = true;
                    factor.last_step = Some(*step);
                    factor.recovery_codes = recovery_codes.clone();
                }
                _ => return Err(ChangeRefused),
            },
            UserChange::TotpUsed { step } => match &mut self.totp {
                Some(factor) if factor.enabled && factor.last_step.is_none_or(|l| l < *step) => {
                    factor.last_step = Some(*step);
                }
                _ => return Err(ChangeRefused),
            },
            UserChange::RecoveryCodeUsed { index, digest } => match &mut self.totp {
                Some(factor) if factor.recovery_codes.get(*index) == Some(digest) => {
                    factor.recovery_codes.remove(*index);
                }
                _ => return Err(ChangeRefused),
            },
            UserChange::TotpRemoved if self.role == Role::Admin => return Err(ChangeRefused),
            UserChange::TotpRemoved => self.totp = None,
        }
        Ok(())
    }
}

/// An address in one form for uniqueness and mail: trimmed, Unicode NFKC,
/// lower-cased (the domain by the standard, the local part because every
/// mail provider a shop meets treats it so), then checked for RFC 5322 syntax
/// (a kept crate) and a plain host name. `None` when it cannot be an
/// address to mail: lists (`a@x.test,b@y.test`), quoted or commented local
/// parts, domain literals, control characters.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email: String = raw.trim().nfkc().collect::<String>().to_lowercase();
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    if !email_address::EmailAddress::is_valid(&email) {
        return None;
    }
    let (local, domain) = email.rsplit_once('@')?;
    let plain_local = !local.is_empty()
        && local.len() <= 64
        && !local.contains(['"', '(', ')', ',', '[', ']', '\\', '@']);
    let host_name = domain.contains('.')
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    (plain_local && host_name).then_some(email)
}

pub const MAX_NAME_CHARS: usize = 100;

/// A person's name as the store keeps it: trimmed, NFC, 1 to 100
/// characters, none of them a control or invisible formatting character
/// (no line breaks to forge a mail with, no bidirectional overrides).
pub fn valid_name(raw: &str) -> Option<String> {
    let name: String = raw.trim().nfc().collect();
    let count = name.chars().count();
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
    };
    ((1..=MAX_NAME_CHARS).contains(&count) && !name.chars().any(invisible)).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_whitespace_and_compatibility_forms() {
        assert_eq!(
            normalize_email("  Alice@Example.COM ").as_deref(),
            Some("alice@example.com")
        );
        // Fullwidth letters are the same address after NFKC.
        assert_eq!(
            normalize_email("ａｌｉｃｅ@example.com").as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(
            normalize_email("first.last+shop@mail.store-test.co").as_deref(),
            Some("first.last+shop@mail.store-test.co")
        );
    }

    #[test]
    fn rejects_what_is_not_one_plain_address() {
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a b@example.com",
            "a@.com",
            "a@store.test,victim@example.com",
            "a@@store.test",
            "\"a,b\"@store.test",
            "a@[127.0.0.1]",
            "a(comment)@store.test",
            "a@store.test\r\nBcc: victim@example.com",
            ".a@store.test",
            "a..b@store.test",
            "a@-store.test",
            "a@store_test.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
        let long = format!("{}@store.test", "a".repeat(65));
        assert_eq!(normalize_email(&long), None);
    }

    #[test]
    fn names_without_line_breaks_or_invisible_characters() {
        assert_eq!(valid_name("  Zoë O'Brien ").as_deref(), Some("Zoë O'Brien"));
        assert_eq!(valid_name("李小龍").as_deref(), Some("李小龍"));
        for bad in [
            "",
            "   ",
            "Bob,\r\n\r\nYour card was declined. Re-enter it at http://evil.test",
            "Bob\u{0007}",
            "Bob\u{202E}kcilc",
            "Bob\u{200B}",
        ] {
            assert_eq!(valid_name(bad), None, "{bad:?}");
        }
        assert!(valid_name(&"x".repeat(MAX_NAME_CHARS)).is_some());
        assert_eq!(valid_name(&"x".repeat(MAX_NAME_CHARS + 1)), None);
    }

    #[test]
    fn admin_needs_a_verified_address_and_a_second_factor() {
        let mut user = User::new("u1", "a@store.test", "A", String::new(), Utc::now());
        assert!(!user.may_be_admin());
        user.email_verified = true;
        assert!(!user.may_be_admin());
        user.totp = Some(TotpFactor {
            secret: "00".into(),
            enabled: false,
            last_step: None,
            recovery_codes: vec![],
        });
        assert!(!user.may_be_admin(), "enrolled but not confirmed");
        user.totp.as_mut().unwrap().enabled = true;
        assert!(user.may_be_admin());
    }

    #[test]
    fn stored_users_without_the_new_fields_read_as_unverified() {
        let stored = serde_json::json!({
            "id": "u1", "email": "a@store.test", "name": "A", "role": "admin",
            "passwordHash": "x", "createdAt": "2026-11-01T00:00:00Z",
        });
        let user: User = serde_json::from_value(stored).unwrap();
        assert!(!user.email_verified);
        assert!(!user.has_totp());
        assert_eq!(user.sessions_revoked_at, None);
    }
}
