//! The people who sign in to the console: their roles, names and passwords. The server
//! signs them in with it; `journey users` adds them with it, so both hash and check a
//! password the same way.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// What a person may do in the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything, including people and the audit log.
    Admin,
    /// Builds and deploys journeys.
    Builder,
    /// Works the inbox: handoffs, replies, contacts.
    Operator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Builder, Role::Operator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Builder => "builder",
            Role::Operator => "operator",
        }
    }

    /// A role by its name, or why not in plain words.
    pub fn parse(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a role: use admin, builder or operator"))
    }
}

/// Passwords shorter than this are refused (NIST SP 800-63B asks for at least 8; a
/// console that reads health conversations asks for more).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer passwords are refused: hashing one must not be a way to spend the server's
/// time, and no one types more.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Names are at most this long.
pub const MAX_NAME_CHARS: usize = 64;

/// A sign-in name: letters, digits and `.`, `_`, `-`, `@` (an e-mail address is fine).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "the name is longer than {MAX_NAME_CHARS} characters"
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        Some(c) => Err(format!(
            "`{name}` has `{}` in it: a name has letters, digits and . _ - @ only",
            c.escape_default()
        )),
        None => Ok(()),
    }
}

/// A new password: not empty, long enough, not absurdly long.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.is_empty() {
        return Err("the password is empty".to_owned());
    }
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password is too short ({chars} characters): use at least \
             {MIN_PASSWORD_CHARS} (a few words are easy to type and hard to guess)"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "the password is longer than {MAX_PASSWORD_BYTES} bytes"
        ));
    }
    Ok(())
}

/// argon2id (RFC 9106) with m = 19,456 KiB (19 MiB), t = 2 passes, p = 1 lane: the
/// minimum OWASP's Password Storage Cheat Sheet recommends, about 20–40 ms a hash on one
/// core of a server. The parameters are written into each hash (a PHC string), so
/// raising them later still checks the passwords hashed before.
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// The password's hash as a PHC string, with a random 16-byte salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness for a salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| format!("cannot encode a salt: {e}"))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` is the one `hash` was made from (compared in constant time by
/// the argon2 crate). A hash that cannot be read matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_with_the_stated_parameters_and_a_fresh_salt() {
        let first = hash_password("correct horse battery").unwrap();
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        let second = hash_password("correct horse battery").unwrap();
        assert_ne!(first, second, "each hash has its own salt");
        assert!(!first.contains("correct horse"));
    }

    #[test]
    fn only_the_right_password_verifies() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
        // A hash made with other parameters (a later journey's) still verifies.
        let stronger = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(32 * 1024, 3, 1, None).unwrap(),
        )
        .hash_password(
            b"correct horse battery",
            &SaltString::encode_b64(b"0123456789abcdef").unwrap(),
        )
        .unwrap()
        .to_string();
        assert!(verify_password("correct horse battery", &stronger));
    }

    #[test]
    fn bad_names_passwords_and_roles_are_said_in_plain_words() {
        assert_eq!(check_password(""), Err("the password is empty".to_owned()));
        assert!(check_password("short").unwrap_err().contains("at least 12"));
        assert!(
            check_password(&"x".repeat(2000))
                .unwrap_err()
                .contains("1024")
        );
        assert_eq!(check_password("twelve chars"), Ok(()));
        assert_eq!(check_name(""), Err("the name is empty".to_owned()));
        assert!(check_name("ada lovelace").unwrap_err().contains("` `"));
        assert_eq!(check_name("nurse.ada@clinic.org"), Ok(()));
        assert_eq!(Role::parse("operator"), Ok(Role::Operator));
        assert_eq!(
            Role::parse("root"),
            Err("`root` is not a role: use admin, builder or operator".to_owned())
        );
    }
}
