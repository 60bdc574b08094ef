use migrate_core::Choices;

#[derive(Choices)]
pub enum WithFields {
    Plain,
    Tuple(i32),
}

#[derive(Choices)]
pub enum Clash {
    PastDue,
    #[choices(rename = "past_due")]
    Late,
}

#[derive(Choices)]
#[choices(integer)]
pub enum Numbered {
    #[choices(rename = "one")]
    One = 1,
}

#[derive(Choices)]
#[choices(text)]
pub enum Unknown {
    A,
}

#[derive(Choices)]
pub struct NotAnEnum {
    pub a: i32,
}

fn main() {}
