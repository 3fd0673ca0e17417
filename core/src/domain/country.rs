//! The countries a search, the corpus, analytics, the feed and saved searches accept: every
//! country at least one board serves (Adzuna's 19 sites, Reed's UK, Arbeitnow's continental
//! Europe; Remotive and The Muse are worldwide). One table holds what we know of each: its codes,
//! currency, the names postings use for it, its larger cities (to place postings that name only
//! a city) and the broad regions it belongs to.

use std::fmt;

/// A country a request may name. `ALL` lists the JobIn document's original six first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Country {
    Gb,
    Us,
    Au,
    Ca,
    De,
    Fr,
    At,
    Be,
    Br,
    Ch,
    Cz,
    Es,
    In,
    It,
    Mx,
    Nl,
    Nz,
    Pl,
    Sg,
    Za,
}

/// What we know of one country.
struct Facts {
    /// Lower-case ISO 3166-1 alpha-2 (`uk` is accepted for `gb` on input).
    code: &'static str,
    iso: &'static str,
    /// ISO 4217: a board's amount without a currency is in this one.
    currency: &'static str,
    /// Names postings use for it (lower case; folded before matching). Two-letter codes only where
    /// they are not also common words (`in`, `it`, `at`, `be`, `es` never are names).
    names: &'static [&'static str],
    /// Larger cities (lower case), for postings that name only the city. Names shared with a
    /// bigger place elsewhere are left out.
    cities: &'static [&'static str],
    regions: &'static [Region],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Region {
    /// Continental and British Europe (`Europe`, `EMEA`).
    Europe,
    /// Member states of the European Union (`EU`).
    Eu,
    NorthAmerica,
    LatinAmerica,
    Apac,
    Africa,
}

use Region::*;

const fn facts(c: Country) -> Facts {
    match c {
        Country::Gb => Facts {
            code: "gb",
            iso: "GB",
            currency: "GBP",
            names: &[
                "united kingdom",
                "uk",
                "england",
                "scotland",
                "wales",
                "northern ireland",
                "great britain",
                "gb",
                "britain",
            ],
            cities: &[
                "london",
                "manchester",
                "birmingham",
                "leeds",
                "glasgow",
                "edinburgh",
                "bristol",
                "liverpool",
                "cardiff",
                "belfast",
                "cambridge",
                "oxford",
                "nottingham",
                "sheffield",
                "newcastle upon tyne",
                "milton keynes",
            ],
            regions: &[Europe],
        },
        Country::Us => Facts {
            code: "us",
            iso: "US",
            currency: "USD",
            names: &["united states", "united states of america", "usa", "us", "u.s.", "america"],
            cities: &[
                "new york",
                "new york city",
                "nyc",
                "san francisco",
                "los angeles",
                "chicago",
                "seattle",
                "austin",
                "boston",
                "houston",
                "dallas",
                "denver",
                "atlanta",
                "miami",
                "philadelphia",
                "washington dc",
                "san diego",
                "san jose",
                "phoenix",
                "portland",
            ],
            regions: &[NorthAmerica],
        },
        Country::Au => Facts {
            code: "au",
            iso: "AU",
            currency: "AUD",
            names: &["australia"],
            cities: &["sydney", "melbourne", "brisbane", "perth", "adelaide", "canberra", "gold coast", "hobart"],
            regions: &[Apac],
        },
        Country::Ca => Facts {
            code: "ca",
            iso: "CA",
            currency: "CAD",
            names: &["canada"],
            cities: &[
                "toronto",
                "vancouver",
                "montreal",
                "montréal",
                "calgary",
                "ottawa",
                "edmonton",
                "winnipeg",
                "quebec city",
                "waterloo",
            ],
            regions: &[NorthAmerica],
        },
        Country::De => Facts {
            code: "de",
            iso: "DE",
            currency: "EUR",
            names: &["germany", "deutschland"],
            cities: &[
                "berlin",
                "munich",
                "münchen",
                "hamburg",
                "cologne",
                "köln",
                "frankfurt",
                "frankfurt am main",
                "stuttgart",
                "düsseldorf",
                "dusseldorf",
                "leipzig",
                "dortmund",
                "essen",
                "bremen",
                "dresden",
                "hannover",
                "hanover",
                "nürnberg",
                "nuremberg",
                "karlsruhe",
                "mannheim",
                "bonn",
            ],
            regions: &[Europe, Eu],
        },
        Country::Fr => Facts {
            code: "fr",
            iso: "FR",
            currency: "EUR",
            names: &["france"],
            cities: &[
                "paris",
                "lyon",
                "marseille",
                "toulouse",
                "nantes",
                "bordeaux",
                "lille",
                "strasbourg",
                "montpellier",
                "rennes",
            ],
            regions: &[Europe, Eu],
        },
        Country::At => Facts {
            code: "at",
            iso: "AT",
            currency: "EUR",
            names: &["austria", "österreich", "osterreich"],
            cities: &["vienna", "wien", "graz", "linz", "salzburg", "innsbruck"],
            regions: &[Europe, Eu],
        },
        Country::Be => Facts {
            code: "be",
            iso: "BE",
            currency: "EUR",
            names: &["belgium", "belgique", "belgië", "belgie", "belgien"],
            cities: &[
                "brussels",
                "bruxelles",
                "brussel",
                "antwerp",
                "antwerpen",
                "ghent",
                "gent",
                "leuven",
                "liège",
                "liege",
            ],
            regions: &[Europe, Eu],
        },
        Country::Br => Facts {
            code: "br",
            iso: "BR",
            currency: "BRL",
            names: &["brazil", "brasil"],
            cities: &[
                "são paulo",
                "sao paulo",
                "rio de janeiro",
                "belo horizonte",
                "brasília",
                "brasilia",
                "curitiba",
                "porto alegre",
                "recife",
                "florianópolis",
                "florianopolis",
            ],
            regions: &[LatinAmerica],
        },
        Country::Ch => Facts {
            code: "ch",
            iso: "CH",
            currency: "CHF",
            names: &["switzerland", "schweiz", "suisse", "svizzera"],
            cities: &[
                "zurich",
                "zürich",
                "geneva",
                "genève",
                "geneve",
                "genf",
                "basel",
                "bern",
                "lausanne",
                "lucerne",
                "luzern",
                "zug",
                "winterthur",
            ],
            regions: &[Europe],
        },
        Country::Cz => Facts {
            code: "cz",
            iso: "CZ",
            currency: "CZK",
            names: &["czechia", "czech republic", "česko", "cesko", "česká republika", "ceska republika", "tschechien"],
            cities: &["prague", "praha", "prag", "brno", "ostrava", "plzeň", "plzen"],
            regions: &[Europe, Eu],
        },
        Country::Es => Facts {
            code: "es",
            iso: "ES",
            currency: "EUR",
            names: &["spain", "españa", "espana", "spanien"],
            cities: &[
                "madrid",
                "barcelona",
                "valencia",
                "seville",
                "sevilla",
                "málaga",
                "malaga",
                "bilbao",
                "zaragoza",
            ],
            regions: &[Europe, Eu],
        },
        Country::In => Facts {
            code: "in",
            iso: "IN",
            currency: "INR",
            names: &["india"],
            cities: &[
                "bangalore",
                "bengaluru",
                "mumbai",
                "delhi",
                "new delhi",
                "hyderabad",
                "chennai",
                "pune",
                "kolkata",
                "gurgaon",
                "gurugram",
                "noida",
                "ahmedabad",
            ],
            regions: &[Apac],
        },
        Country::It => Facts {
            code: "it",
            iso: "IT",
            currency: "EUR",
            names: &["italy", "italia", "italien"],
            cities: &[
                "milan", "milano", "rome", "roma", "turin", "torino", "naples", "napoli", "bologna", "florence",
                "firenze",
            ],
            regions: &[Europe, Eu],
        },
        Country::Mx => Facts {
            code: "mx",
            iso: "MX",
            currency: "MXN",
            names: &["mexico", "méxico"],
            cities: &[
                "mexico city",
                "ciudad de méxico",
                "ciudad de mexico",
                "cdmx",
                "guadalajara",
                "monterrey",
                "puebla",
                "tijuana",
            ],
            regions: &[LatinAmerica, NorthAmerica],
        },
        Country::Nl => Facts {
            code: "nl",
            iso: "NL",
            currency: "EUR",
            names: &["netherlands", "the netherlands", "nederland", "holland", "niederlande"],
            cities: &[
                "amsterdam",
                "rotterdam",
                "the hague",
                "den haag",
                "utrecht",
                "eindhoven",
                "groningen",
                "leiden",
                "delft",
            ],
            regions: &[Europe, Eu],
        },
        Country::Nz => Facts {
            code: "nz",
            iso: "NZ",
            currency: "NZD",
            names: &["new zealand", "aotearoa"],
            cities: &["auckland", "wellington", "christchurch", "hamilton nz", "dunedin"],
            regions: &[Apac],
        },
        Country::Pl => Facts {
            code: "pl",
            iso: "PL",
            currency: "PLN",
            names: &["poland", "polska", "polen"],
            cities: &[
                "warsaw", "warszawa", "kraków", "krakow", "wrocław", "wroclaw", "gdańsk", "gdansk", "poznań", "poznan",
                "łódź", "lodz", "katowice",
            ],
            regions: &[Europe, Eu],
        },
        Country::Sg => {
            Facts { code: "sg", iso: "SG", currency: "SGD", names: &["singapore"], cities: &[], regions: &[Apac] }
        }
        Country::Za => Facts {
            code: "za",
            iso: "ZA",
            currency: "ZAR",
            names: &["south africa"],
            cities: &["johannesburg", "cape town", "durban", "pretoria", "port elizabeth", "stellenbosch"],
            regions: &[Africa],
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported country `{0}`; supported: {list}", list = Country::list())]
pub struct UnsupportedCountry(pub String);

impl Country {
    pub const ALL: [Country; 20] = [
        Country::Gb,
        Country::Us,
        Country::Au,
        Country::Ca,
        Country::De,
        Country::Fr,
        Country::At,
        Country::Be,
        Country::Br,
        Country::Ch,
        Country::Cz,
        Country::Es,
        Country::In,
        Country::It,
        Country::Mx,
        Country::Nl,
        Country::Nz,
        Country::Pl,
        Country::Sg,
        Country::Za,
    ];

    /// The countries whose specialist is Arbeitnow in the document's smart routing.
    pub const ARBEITNOW_FIRST: [Country; 6] =
        [Country::De, Country::At, Country::Ch, Country::Nl, Country::Pl, Country::Cz];

    /// Every code, comma-separated (error messages, the document).
    pub fn list() -> String {
        Country::ALL.iter().map(|c| c.code()).collect::<Vec<_>>().join(", ")
    }

    /// Accepts the lower- or upper-case code; `uk` is taken as `gb`.
    pub fn parse(raw: &str) -> Result<Self, UnsupportedCountry> {
        let code = raw.trim().to_ascii_lowercase();
        let code = if code == "uk" { "gb" } else { code.as_str() };
        Country::ALL.into_iter().find(|c| c.code() == code).ok_or_else(|| UnsupportedCountry(raw.to_owned()))
    }

    /// The country whose ISO code (either case) this is; `None` for any other text.
    pub fn from_iso(iso: &str) -> Option<Self> {
        Country::ALL.into_iter().find(|c| c.iso().eq_ignore_ascii_case(iso.trim()))
    }

    /// Lower-case code, as in requests.
    pub const fn code(self) -> &'static str {
        facts(self).code
    }

    /// Upper-case ISO 3166-1 alpha-2, as in `location.country`.
    pub const fn iso(self) -> &'static str {
        facts(self).iso
    }

    /// The local currency, used where a board gives amounts without one.
    pub const fn currency(self) -> &'static str {
        facts(self).currency
    }

    /// Names by which postings refer to the country (lower case), for boards that give free text.
    pub const fn names(self) -> &'static [&'static str] {
        facts(self).names
    }

    /// Its larger cities (lower case), for postings that name only a city.
    pub const fn cities(self) -> &'static [&'static str] {
        facts(self).cities
    }

    /// Continental Europe (Arbeitnow's coverage): Europe but the UK.
    pub fn is_continental_europe(self) -> bool {
        self != Country::Gb && facts(self).regions.contains(&Europe)
    }

    /// Whether a broad region named in free text ("Europe", "EU", "EMEA", "Americas", "LATAM",
    /// "APAC") includes it.
    pub fn in_region(self, region: &str) -> bool {
        let regions = facts(self).regions;
        let any = |rs: &[Region]| rs.iter().any(|r| regions.contains(r));
        match region {
            "europe" => regions.contains(&Europe),
            "emea" => any(&[Europe, Africa]),
            "eu" | "european union" => regions.contains(&Eu),
            "americas" => any(&[NorthAmerica, LatinAmerica]),
            "north america" => regions.contains(&NorthAmerica),
            "latin america" | "latam" | "south america" => regions.contains(&LatinAmerica),
            "apac" | "asia pacific" | "oceania" | "asia" => regions.contains(&Apac),
            "africa" => regions.contains(&Africa),
            _ => false,
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_parse_case_insensitively_and_reject_others_naming_the_valid_ones() {
        assert_eq!(Country::parse("GB"), Ok(Country::Gb));
        assert_eq!(Country::parse("uk"), Ok(Country::Gb));
        assert_eq!(Country::parse(" de "), Ok(Country::De));
        assert_eq!(Country::parse("AT"), Ok(Country::At));
        let err = Country::parse("xx").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported country `xx`; supported: gb, us, au, ca, de, fr, at, be, br, ch, cz, es, in, it, mx, nl, nz, pl, sg, za"
        );
        for c in Country::ALL {
            assert_eq!(Country::parse(c.code()), Ok(c));
            assert_eq!(Country::from_iso(c.iso()), Some(c));
            assert_eq!(c.iso().to_ascii_lowercase(), c.code());
        }
    }

    #[test]
    fn every_adzuna_site_and_every_arbeitnow_country_is_here() {
        for code in [
            "gb", "us", "at", "au", "be", "br", "ca", "ch", "de", "es", "fr", "in", "it", "mx", "nl", "nz", "pl", "sg",
            "za",
        ] {
            assert!(Country::parse(code).is_ok(), "Adzuna serves {code}");
        }
        for c in Country::ARBEITNOW_FIRST {
            assert!(c.is_continental_europe(), "{c}");
        }
        assert!(!Country::Gb.is_continental_europe());
    }

    #[test]
    fn regions_hold_their_members_only() {
        assert!(Country::Gb.in_region("europe") && !Country::Gb.in_region("eu"), "the UK left the EU");
        assert!(Country::Ch.in_region("europe") && !Country::Ch.in_region("eu"));
        assert!(Country::Pl.in_region("eu") && Country::Pl.in_region("emea"));
        assert!(Country::Za.in_region("emea") && !Country::Za.in_region("europe"));
        assert!(Country::Mx.in_region("latam") && Country::Mx.in_region("americas"));
        assert!(Country::Sg.in_region("apac") && !Country::Sg.in_region("europe"));
        assert!(!Country::Us.in_region("latam"));
    }

    #[test]
    fn no_name_or_city_belongs_to_two_countries() {
        let mut seen = std::collections::HashMap::new();
        for c in Country::ALL {
            for n in c.names().iter().chain(c.cities()) {
                assert!(!n.is_empty() && *n == n.to_lowercase(), "{n}");
                if let Some(other) = seen.insert(*n, c) {
                    panic!("`{n}` names both {other} and {c}");
                }
            }
        }
    }
}
