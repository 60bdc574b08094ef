//! The string half of a model's definition, in the format `migrate_core`'s
//! `model/encoding.rs` decodes (and documents): `<byte length>:<bytes>` per item, `-` for
//! an absent optional one. Every name and value goes in as bytes with its length, so no
//! character a user writes can end an item early.

use std::fmt::Write;

#[derive(Default)]
pub struct Encoder(String);

impl Encoder {
    /// The format's version, then the model's key, table and flags (1: managed, 2: an
    /// automatic `id`), as the string begins.
    pub fn model(app: &str, name: &str, table: &str, managed: bool, auto_id: bool) -> Self {
        let mut e = Encoder::default();
        e.str("1").str(app).str(name).str(table);
        e.num(u8::from(managed) | u8::from(auto_id) << 1);
        e
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        write!(self.0, "{}:{s}", s.len()).expect("writing to a String");
        self
    }

    pub fn num(&mut self, n: impl ToString) -> &mut Self {
        self.str(&n.to_string())
    }

    pub fn opt(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.str(s),
            None => {
                self.0.push('-');
                self
            }
        }
    }

    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Encoder;

    #[test]
    fn items_carry_their_length_so_any_text_fits() {
        let mut e = Encoder::default();
        e.str("a:b").opt(None).num(12).str("").str("é\"`\\");
        assert_eq!(e.finish(), "3:a:b-2:120:5:é\"`\\");
    }
}
