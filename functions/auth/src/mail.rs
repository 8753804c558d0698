//! The account mails. Nothing a client typed goes into them (not the name:
//! the address may not be the registrant's own yet), only our text and the
//! code, so the store's sender cannot be made to relay someone's message.

use shared::ports::Notification;

/// Minutes a mailed code stays good.
pub const CODE_MINUTES: i64 = 30;

pub fn verification(to: &str, code: &str) -> Notification {
    Notification {
        to: to.to_string(),
        subject: "Confirm your email address".into(),
        body: format!(
            "Your confirmation code is {code}\n\nEnter it in the store within {CODE_MINUTES} \
             minutes to confirm this address. If you did not create an account, ignore this \
             mail: nothing else will be sent here.\n"
        ),
    }
}

pub fn password_reset(to: &str, code: &str) -> Notification {
    Notification {
        to: to.to_string(),
        subject: "Your password reset code".into(),
        body: format!(
            "Your password reset code is {code}\n\nIt is good for {CODE_MINUTES} minutes. If you \
             did not ask to reset your password, ignore this mail: your password stays as it is.\n"
        ),
    }
}

pub fn locked(to: &str, minutes: i64) -> Notification {
    Notification {
        to: to.to_string(),
        subject: "Sign-ins to your account are paused".into(),
        body: format!(
            "There were several failed attempts to sign in to your account, so sign-ins are \
             paused for {minutes} minutes. If this was not you, consider changing your password \
             once you are signed in again; a password reset works at any time.\n"
        ),
    }
}

pub fn password_changed(to: &str) -> Notification {
    Notification {
        to: to.to_string(),
        subject: "Your password was changed".into(),
        body: "The password of your account was just changed and every other session was \
               signed out. If this was not you, reset your password now.\n"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_fixed_and_bodies_carry_only_the_code() {
        let mails = [
            verification("a@store.test", "123456"),
            password_reset("a@store.test", "654321"),
            locked("a@store.test", 15),
            password_changed("a@store.test"),
        ];
        for mail in &mails {
            assert!(!mail.subject.contains('\n') && !mail.subject.contains("store.test"));
            assert!(!mail.body.contains("a@store.test"));
        }
        assert!(mails[0].body.contains("123456"));
        assert!(mails[1].body.contains("654321"));
    }
}
