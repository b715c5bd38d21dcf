//! The settings every server example reads from its environment.

use sessions::Key;

/// The key from `SESSION_KEY`, or a fresh one when it is not set (the
/// example then says so: its sessions end with the process). `example`
/// names the program in that message.
///
/// ```standalone_crate
/// // Standalone: no other doc test runs in this process, so setting the
/// // environment races with no reader.
/// let key = sessions::Key::generate();
/// unsafe { std::env::set_var("SESSION_KEY", key.to_text()) };
/// assert_eq!(sessions_examples::env::session_key("doc"), Ok(key));
/// unsafe { std::env::set_var("SESSION_KEY", "not a key") };
/// assert!(sessions_examples::env::session_key("doc").unwrap_err().contains("keygen"));
/// ```
pub fn session_key(example: &str) -> Result<Key, String> {
    match std::env::var("SESSION_KEY") {
        Ok(text) => text
            .parse()
            .map_err(|error| format!("SESSION_KEY: {error} (try `cargo run -q --example keygen`)")),
        Err(std::env::VarError::NotPresent) => {
            println!(
                "{example}: SESSION_KEY is not set, so a fresh key was generated: sessions \
                 will not survive a restart (make a key with `cargo run -q --example keygen`)"
            );
            Ok(Key::generate())
        }
        Err(error) => Err(format!("SESSION_KEY: {error}")),
    }
}

/// The port from `PORT`, or 3000.
///
/// ```standalone_crate
/// // Standalone: no other doc test runs in this process, so setting the
/// // environment races with no reader.
/// unsafe { std::env::set_var("PORT", "8080") };
/// assert_eq!(sessions_examples::env::port(), Ok(8080));
/// unsafe { std::env::set_var("PORT", "eighty") };
/// assert!(sessions_examples::env::port().is_err());
/// ```
pub fn port() -> Result<u16, String> {
    match std::env::var("PORT") {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("PORT is not a port number: {text:?}")),
        Err(std::env::VarError::NotPresent) => Ok(3000),
        Err(error) => Err(format!("PORT: {error}")),
    }
}
