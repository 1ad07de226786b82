//! Password hashing (argon2id), bounded and off the async runtime, and random tokens.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// How many password hashes run at once: each takes about 19 MiB and a core for a while, so
/// parallel sign-ins queue here instead of exhausting memory.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(hashing_bound()))
}

/// How many password hashes may run at once: the number of cores.
pub fn hashing_bound() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs a password hash or check off the async runtime, no more of them at once than there are
/// cores.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    use std::sync::atomic::Ordering::SeqCst;
    let _permit = hashing_permits()
        .acquire()
        .await
        .expect("the hashing semaphore is never closed");
    let now = HASHES_UNDER_WAY.fetch_add(1, SeqCst) + 1;
    HASHES_PEAK.fetch_max(now, SeqCst);
    let result = tokio::task::spawn_blocking(work).await;
    HASHES_UNDER_WAY.fetch_sub(1, SeqCst);
    result.expect("password hashing does not panic")
}

static HASHES_UNDER_WAY: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static HASHES_PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The most password hashes that ever ran at once in this process (at most [`hashing_bound`]).
pub fn hashing_peak() -> usize {
    HASHES_PEAK.load(std::sync::atomic::Ordering::SeqCst)
}

/// [`hash_password`], bounded and off the async runtime.
pub async fn hash_password_async(password: &str) -> String {
    let password = password.to_owned();
    hashing(move || hash_password(&password)).await
}

/// [`verify_password`], bounded and off the async runtime.
pub async fn verify_password_async(password: &str, stored: Option<String>) -> bool {
    let password = password.to_owned();
    hashing(move || verify_password(&password, stored.as_deref())).await
}

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Checks a password against a stored hash; `None` (no such user, or no password yet) is checked
/// against a fixed hash so that the answer takes as long either way.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not the password of anyone"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
}

/// 32 random bytes, hex-encoded: session ids, CSRF and activation tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
