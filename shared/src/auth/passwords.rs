//! Passwords: argon2id PHC strings, verified with the parameters they were
//! made with, in one working area per process.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Argon2, Block, Params, Version};
use std::sync::{Mutex, OnceLock, PoisonError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(String);

impl From<argon2::password_hash::Error> for PasswordError {
    fn from(error: argon2::password_hash::Error) -> Self {
        PasswordError(error.to_string())
    }
}

/// argon2id with the crate's defaults (OWASP's m=19 MiB, t=2, p=1).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    let argon2 = Argon2::default();
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2_output(
            &argon2,
            password,
            salt.as_salt(),
            Params::DEFAULT_OUTPUT_LEN,
        )?),
    };
    Ok(hash.to_string())
}

/// Checks a PHC string as the argon2 crate's `PasswordVerifier` does: the
/// algorithm, version and parameters come from the stored hash.
pub fn verify_password(password: &str, phc_hash: &str) -> bool {
    let check = || -> Result<bool, argon2::password_hash::Error> {
        let parsed = PasswordHash::new(phc_hash)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let version = parsed.version.map(Version::try_from).transpose()?;
        let argon2 = Argon2::new(
            parsed.algorithm.try_into()?,
            version.unwrap_or_default(),
            Params::try_from(&parsed)?,
        );
        // Output's == is constant-time.
        Ok(argon2_output(&argon2, password, salt, expected.len())? == expected)
    };
    check().unwrap_or(false)
}

/// Runs argon2 in one working area per process instead of allocating
/// m KiB afresh per call (what `PasswordHasher` does). Those 19 MiB
/// allocations, one per register and login, fragmented glibc's heap: a warm
/// auth function grew in 19 MB steps until the 512 MB limit killed it.
fn argon2_output(
    argon2: &Argon2,
    password: &str,
    salt: Salt,
    output_len: usize,
) -> Result<Output, argon2::password_hash::Error> {
    static WORK_AREA: Mutex<Vec<Block>> = Mutex::new(Vec::new());
    let mut salt_buf = [0u8; Salt::MAX_LENGTH];
    let salt = salt.decode_b64(&mut salt_buf)?;
    // A panic mid-hash leaves only scratch data behind: the area stays usable.
    let mut area = WORK_AREA.lock().unwrap_or_else(PoisonError::into_inner);
    let blocks = argon2.params().block_count();
    if area.len() < blocks {
        area.resize(blocks, Block::default());
    }
    Output::init_with(output_len, |out| {
        Ok(argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, &mut area[..])?)
    })
}

/// Burns the same argon2 work as a real check, for logins with an unknown
/// email, so response time does not tell which emails have accounts.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("dummy-password-for-timing").unwrap_or_default());
    let _ = verify_password(password, hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not-a-hash"));
    }

    /// Accounts made before the shared working area (by the crate's own
    /// `PasswordHasher`) still log in, and the crate accepts ours.
    #[test]
    fn hashes_are_interchangeable_with_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse", &theirs));
        assert!(!verify_password("correct horsf", &theirs));

        let ours = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"correct horsf", &parsed)
            .is_err());
    }

    /// Parameters come from the stored hash, not from today's defaults.
    #[test]
    fn a_hash_with_other_parameters_verifies_with_its_own() {
        use argon2::password_hash::PasswordHasher;
        let params = Params::new(8 * 1024, 3, 1, Some(24)).unwrap();
        let argon2 = Argon2::new(argon2::Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut OsRng);
        let stored = argon2
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(stored.contains("m=8192,t=3,p=1"));
        assert!(verify_password("correct horse", &stored));
        assert!(!verify_password("wrong horse", &stored));
    }
}
