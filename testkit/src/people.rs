//! The people of the tests: the demo's logins and banned people (as
//! `cho-server demo` seeds them; cho-server's tests check that the two
//! agree), and people made up for a story, with their documents.

use serde_json::{Value, json};

use crate::mrz;

/// A username and its password.
pub type Login = (&'static str, &'static str);

pub const OPERATOR: Login = ("operator", "demo-operator-2026");
/// Beheerder of the demo's only area, Binnenstad Zwolle.
pub const BEHEERDER: Login = ("beheerder", "demo-beheerder-2026");
/// Owner of Café De Kroon (venue 1).
pub const KROON: Login = ("kroon", "demo-kroon-2026");
/// Owner of Club De Fabriek (venue 2).
pub const FABRIEK: Login = ("fabriek", "demo-fabriek-2026");
/// The demo's logins, in the order `cho_server::demo::LOGINS` lists them.
pub const DEMO_LOGINS: [Login; 4] = [OPERATOR, BEHEERDER, KROON, FABRIEK];

/// The ids a fresh demo database gives its area, venues and first category
/// ("geweld-licht": 182 days by default, 365 at most).
pub const AREA_1: u64 = 1;
pub const VENUE_KROON: i64 = 1;
pub const VENUE_FABRIEK: i64 = 2;
pub const CATEGORY_1: i64 = 1;

/// A person as typed at a door or on the ban form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Person {
    pub surname: &'static str,
    pub given_names: &'static str,
    /// YYYY-MM-DD.
    pub birth_date: &'static str,
}

/// The demo's first banned person (banned at Café De Kroon).
pub const JANSEN: Person = Person {
    surname: "Jansen",
    given_names: "Piet Hendrik",
    birth_date: "1994-05-17",
};
/// The demo's second (banned at Club De Fabriek).
pub const DE_VRIES: Person = Person {
    surname: "de Vries",
    given_names: "Kees",
    birth_date: "2001-03-04",
};
/// The demo's third (banned at Café De Kroon).
pub const OZTURK: Person = Person {
    surname: "Öztürk",
    given_names: "Mehmet",
    birth_date: "1988-11-02",
};
/// The people `cho-server demo` bans, in order.
pub const DEMO_PEOPLE: [Person; 3] = [JANSEN, DE_VRIES, OZTURK];

/// Nobody the demo bans: the README's example of a new ban.
pub const DE_BRUIJN: Person = Person {
    surname: "de Bruijn",
    given_names: "Willeke Liselotte",
    birth_date: "1965-03-10",
};

impl Person {
    /// (surname, given names, birth date).
    pub const fn as_tuple(self) -> (&'static str, &'static str, &'static str) {
        (self.surname, self.given_names, self.birth_date)
    }

    /// The `person` of a ban request, typed in.
    pub fn manual_json(&self) -> Value {
        json!({"surname": self.surname, "given_names": self.given_names, "birth_date": self.birth_date})
    }

    /// The birth date as an MRZ prints it, YYMMDD.
    pub fn mrz_birth(&self) -> String {
        self.birth_date[2..].replace('-', "")
    }

    /// A Dutch passport (TD3) valid until 2034-01-15; the name must be
    /// ASCII (an MRZ holds the ICAO transliteration).
    pub fn passport(&self) -> String {
        mrz::passport(self.surname, self.given_names, &self.mrz_birth(), "340115")
    }

    /// A Dutch identity card (TD1) valid until 2034-01-15; the name must
    /// fit its 30 characters.
    pub fn id_card(&self) -> String {
        let name = mrz::name_field(self.surname, self.given_names);
        assert!(name.len() <= 30, "name does not fit a TD1: {name}");
        mrz::id_card(self.surname, self.given_names, &self.mrz_birth(), "340115")
    }
}
