//! A listen address that may be switched off: `"127.0.0.1:9464"`, or `""`
//! for none (`metrics.bind`).

use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionalAddr(pub Option<SocketAddr>);

impl OptionalAddr {
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "" => Ok(Self(None)),
            text => text
                .parse()
                .map(|addr| Self(Some(addr)))
                .map_err(|_| format!("{input:?} is not an address such as 127.0.0.1:9464 (empty switches it off)")),
        }
    }
}

impl fmt::Display for OptionalAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(addr) => write!(f, "{addr}"),
            None => Ok(()),
        }
    }
}

impl<'de> Deserialize<'de> for OptionalAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        OptionalAddr::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for OptionalAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_switches_off_and_addresses_print_back() {
        assert_eq!(OptionalAddr::parse(" ").unwrap(), OptionalAddr(None));
        assert_eq!(OptionalAddr::parse("127.0.0.1:9464").unwrap().to_string(), "127.0.0.1:9464");
        assert_eq!(OptionalAddr::parse("[::1]:9464").unwrap().to_string(), "[::1]:9464");
        assert!(OptionalAddr::parse("localhost").unwrap_err().contains("localhost"));
    }
}
