//! Prints a fresh key in the text form `sessions::Key` parses back.
//!
//! ```sh
//! export SESSION_KEY="$(cargo run -q --example keygen)"
//! ```

fn main() {
    let key = sessions::Key::generate();
    println!("{}", key.to_text());
}
