use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const OTHER: &[u8] = b"another-key-another-key-another-k";

fn user(role: Role) -> User {
    User::new("u1", "a@example.com", "A", String::new(), Utc::now()).with_role(role)
}

fn tokens() -> Tokens {
    Tokens::new(
        KeyRing::single("k1", SECRET),
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    )
    .unwrap()
}

/// Signs `claims` as an attacker holding the key would, with any header.
fn forge(claims: &serde_json::Value, kid: Option<&str>, alg: Algorithm) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    encode(&header, claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

fn claims(iat: i64, nbf: i64, exp: i64) -> serde_json::Value {
    serde_json::json!({
        "sub": "u1", "role": "admin", "iss": DEFAULT_ISSUER, "aud": DEFAULT_AUDIENCE,
        "iat": iat, "nbf": nbf, "exp": exp,
    })
}

#[test]
fn issued_tokens_verify_with_role_session_and_kid() {
    let t = tokens();
    let token = t.issue(&user(Role::Admin), Some("s1"), Utc::now()).unwrap();
    assert_eq!(decode_header(&token).unwrap().kid.as_deref(), Some("k1"));
    let principal = t.verify(&token).unwrap();
    assert_eq!(principal.user_id, "u1");
    assert_eq!(principal.role, Role::Admin);
    assert_eq!(principal.session_id.as_deref(), Some("s1"));
}

#[test]
fn an_access_token_lives_fifteen_minutes() {
    let t = tokens();
    let fresh = t
        .issue(
            &user(Role::Customer),
            None,
            Utc::now() - Duration::minutes(14),
        )
        .unwrap();
    assert!(t.verify(&fresh).is_ok());
    let expired = t
        .issue(
            &user(Role::Customer),
            None,
            Utc::now() - Duration::minutes(16),
        )
        .unwrap();
    assert_eq!(t.verify(&expired), Err(TokenError::Invalid));
}

#[test]
fn a_signed_token_with_exp_in_9999_is_refused() {
    let now = Utc::now().timestamp();
    let forever = forge(
        &claims(now, now, 253_402_300_799),
        Some("k1"),
        Algorithm::HS256,
    );
    assert_eq!(tokens().verify(&forever), Err(TokenError::Invalid));
    // The same claims with an honest lifetime pass: only the lifetime is wrong.
    let honest = forge(&claims(now, now, now + 600), Some("k1"), Algorithm::HS256);
    assert!(tokens().verify(&honest).is_ok());
}

#[test]
fn nbf_in_the_future_iat_in_the_future_and_a_missing_nbf_are_refused() {
    let now = Utc::now().timestamp();
    let t = tokens();
    let later = forge(
        &claims(now, now + 600, now + 900),
        Some("k1"),
        Algorithm::HS256,
    );
    assert_eq!(t.verify(&later), Err(TokenError::Invalid));
    let ahead = forge(
        &claims(now + 600, now, now + 900),
        Some("k1"),
        Algorithm::HS256,
    );
    assert_eq!(t.verify(&ahead), Err(TokenError::Invalid));
    let mut no_nbf = claims(now, now, now + 600);
    no_nbf.as_object_mut().unwrap().remove("nbf");
    let no_nbf = forge(&no_nbf, Some("k1"), Algorithm::HS256);
    assert_eq!(t.verify(&no_nbf), Err(TokenError::Invalid));
}

#[test]
fn a_token_without_a_live_kid_is_refused() {
    let now = Utc::now().timestamp();
    let t = tokens();
    for kid in [None, Some("k0"), Some("")] {
        let token = forge(&claims(now, now, now + 600), kid, Algorithm::HS256);
        assert_eq!(t.verify(&token), Err(TokenError::Invalid), "{kid:?}");
    }
}

#[test]
fn the_previous_kid_is_accepted_until_it_retires() {
    let old = Tokens::new(
        KeyRing::single("k1", SECRET),
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    )
    .unwrap();
    let token = old.issue(&user(Role::Customer), None, Utc::now()).unwrap();
    let retires_at = Utc::now() + Duration::minutes(15);
    let rotated = Tokens::new(
        KeyRing {
            current: SigningKey {
                kid: "k2".into(),
                secret: OTHER.to_vec(),
            },
            previous: Some((
                SigningKey {
                    kid: "k1".into(),
                    secret: SECRET.to_vec(),
                },
                retires_at,
            )),
        },
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    )
    .unwrap();
    assert!(
        rotated.verify_at(&token, Utc::now()).is_ok(),
        "still accepted"
    );
    assert_eq!(
        rotated.verify_at(&token, retires_at),
        Err(TokenError::Invalid),
        "retired"
    );
    // New tokens are signed with the current key, and only it verifies them.
    let new = rotated
        .issue(&user(Role::Customer), None, Utc::now())
        .unwrap();
    assert_eq!(decode_header(&new).unwrap().kid.as_deref(), Some("k2"));
    assert!(rotated.verify(&new).is_ok());
    assert_eq!(old.verify(&new), Err(TokenError::Invalid));
    // Once the previous key is dropped from the secret, its tokens fail.
    let after = Tokens::new(
        KeyRing::single("k2", OTHER),
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    )
    .unwrap();
    assert_eq!(after.verify(&token), Err(TokenError::Invalid));
}

#[test]
fn keys_are_read_from_json_or_a_plain_string() {
    let ring = KeyRing::parse(
        r#"{"kid":"k2","key":"new","previousKid":"k1","previousKey":"old","previousRetiresAt":"2026-12-02T15:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(ring.current.kid, "k2");
    let (previous, retires_at) = ring.previous.unwrap();
    assert_eq!(
        (previous.kid.as_str(), previous.secret.as_slice()),
        ("k1", &b"old"[..])
    );
    assert_eq!(retires_at.to_rfc3339(), "2026-12-02T15:00:00+00:00");
    assert_eq!(
        KeyRing::parse(r#"{"kid":"k1","key":"x"}"#)
            .unwrap()
            .previous,
        None
    );
    assert_eq!(
        KeyRing::parse("plain-secret").unwrap().current.kid,
        "default"
    );
    assert!(matches!(
        KeyRing::parse(r#"{"kid":"k2","key":"new","previousKid":"k1"}"#),
        Err(TokenError::BadKeys(_))
    ));
}

#[test]
fn rejects_wrong_issuer_audience_key_and_garbage() {
    let t = tokens();
    let other_iss = Tokens::new(
        KeyRing::single("k1", SECRET),
        "someone-else",
        DEFAULT_AUDIENCE,
    )
    .unwrap();
    let token = other_iss
        .issue(&user(Role::Customer), None, Utc::now())
        .unwrap();
    assert_eq!(t.verify(&token), Err(TokenError::Invalid));

    let other_aud =
        Tokens::new(KeyRing::single("k1", SECRET), DEFAULT_ISSUER, "other-api").unwrap();
    let token = other_aud
        .issue(&user(Role::Customer), None, Utc::now())
        .unwrap();
    assert_eq!(t.verify(&token), Err(TokenError::Invalid));

    let other_key = Tokens::new(
        KeyRing::single("k1", OTHER),
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    )
    .unwrap();
    let token = other_key
        .issue(&user(Role::Customer), None, Utc::now())
        .unwrap();
    assert_eq!(t.verify(&token), Err(TokenError::Invalid));

    assert_eq!(t.verify("not.a.token"), Err(TokenError::Invalid));
    assert_eq!(t.verify(""), Err(TokenError::Invalid));
}

#[test]
fn rejects_other_algorithms_with_the_same_key() {
    let now = Utc::now().timestamp();
    let hs512 = forge(&claims(now, now, now + 600), Some("k1"), Algorithm::HS512);
    assert_eq!(tokens().verify(&hs512), Err(TokenError::Invalid));
    // alg "none": header {"alg":"none","typ":"JWT","kid":"k1"}, no signature.
    let payload = serde_json::to_vec(&claims(now, now, now + 600)).unwrap();
    let unsigned = format!(
        "{}.{}.",
        base64_url(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
        base64_url(&payload)
    );
    assert_eq!(tokens().verify(&unsigned), Err(TokenError::Invalid));
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn short_keys_are_refused() {
    assert!(matches!(
        Tokens::new(
            KeyRing::single("k1", b"short"),
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE
        ),
        Err(TokenError::WeakKey)
    ));
}
