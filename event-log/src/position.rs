//! Consistency tokens: per partition, the offset of the last record a
//! client wrote. Text form `0:12,3:40` (sorted by partition).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Positions(pub BTreeMap<u32, u64>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a position list such as 0:12,3:40: {0:?}")]
pub struct PositionError(pub String);

impl Positions {
    pub fn single(partition: u32, offset: u64) -> Self {
        Positions(BTreeMap::from([(partition, offset)]))
    }

    /// Keeps the later offset per partition.
    pub fn merge_one(&mut self, partition: u32, offset: u64) {
        let slot = self.0.entry(partition).or_insert(offset);
        *slot = (*slot).max(offset);
    }

    pub fn merge(&mut self, other: &Positions) {
        for (p, o) in other.iter() {
            self.merge_one(*p, *o);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&u32, &u64)> {
        self.0.iter()
    }
}

impl fmt::Display for Positions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (p, o)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{p}:{o}")?;
        }
        Ok(())
    }
}

impl FromStr for Positions {
    type Err = PositionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = Positions::default();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            let (p, o) = part
                .split_once(':')
                .ok_or_else(|| PositionError(s.to_string()))?;
            let p = p.trim().parse().map_err(|_| PositionError(s.to_string()))?;
            let o = o.trim().parse().map_err(|_| PositionError(s.to_string()))?;
            out.merge_one(p, o);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let p: Positions = "3:40,0:12".parse().unwrap();
        assert_eq!(p.to_string(), "0:12,3:40");
        assert!("x".parse::<Positions>().is_err());
        assert!("1:".parse::<Positions>().is_err());
        assert!("".parse::<Positions>().unwrap().is_empty());
    }
}
