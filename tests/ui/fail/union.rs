use sessions::Session;

#[derive(Session)]
union User {
    id: u64,
}

fn main() {}
