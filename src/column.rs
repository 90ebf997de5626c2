//! A column of the matrix: which engine produced a result, live or on the replay of its
//! recording, on this machine or in a guest kernel. One type, written `kmod+replay@6.1.0-57-amd64`
//! in the matrix, the reports and the JUnit suite names, and parsed back from them.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A live engine of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EngineKind {
    /// The modern eBPF probe.
    ModernBpf,
    /// The kernel module.
    Kmod,
    /// The legacy eBPF probe.
    LegacyBpf,
}

impl EngineKind {
    /// Every live engine, in the matrix's order.
    pub const ALL: [EngineKind; 3] = [
        EngineKind::ModernBpf,
        EngineKind::Kmod,
        EngineKind::LegacyBpf,
    ];

    /// The name used on the command line and in the columns (`modern_bpf`, `kmod`, `bpf`).
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::ModernBpf => "modern_bpf",
            EngineKind::Kmod => "kmod",
            EngineKind::LegacyBpf => "bpf",
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EngineKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        EngineKind::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| format!("unknown engine {s:?} (modern_bpf, kmod, bpf)"))
    }
}

/// Where a result comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Column {
    /// The live engine that captured the events.
    pub engine: EngineKind,
    /// Checked on the replay of the live run's recording (else live).
    pub replay: bool,
    /// The guest kernel's ABI (`None`: this machine).
    pub kernel: Option<String>,
}

impl Column {
    /// The live column of `engine` on this machine.
    pub fn live(engine: EngineKind) -> Self {
        Column {
            engine,
            replay: false,
            kernel: None,
        }
    }
    /// The replay column of the same engine and kernel.
    pub fn replayed(&self) -> Self {
        Column {
            replay: true,
            ..self.clone()
        }
    }
    /// The same column in guest kernel `abi`.
    pub fn in_kernel(&self, abi: &str) -> Self {
        Column {
            kernel: Some(abi.to_string()),
            ..self.clone()
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.engine.name())?;
        if self.replay {
            f.write_str("+replay")?;
        }
        if let Some(k) = &self.kernel {
            write!(f, "@{k}")?;
        }
        Ok(())
    }
}

impl FromStr for Column {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (rest, kernel) = match s.split_once('@') {
            Some((r, k)) if !k.is_empty() => (r, Some(k.to_string())),
            Some(_) => return Err(format!("column {s:?}: empty kernel after '@'")),
            None => (s, None),
        };
        let (engine, replay) = match rest.strip_suffix("+replay") {
            Some(e) => (e, true),
            None => (rest, false),
        };
        Ok(Column {
            engine: engine.parse().map_err(|e| format!("column {s:?}: {e}"))?,
            replay,
            kernel,
        })
    }
}

impl Serialize for Column {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Column {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_reads_back_as_written() {
        let k = Column::live(EngineKind::Kmod);
        for (c, text) in [
            (k.clone(), "kmod"),
            (k.replayed(), "kmod+replay"),
            (k.in_kernel("6.1.0-57-amd64"), "kmod@6.1.0-57-amd64"),
            (
                Column::live(EngineKind::LegacyBpf)
                    .replayed()
                    .in_kernel("5.10.0-32-amd64"),
                "bpf+replay@5.10.0-32-amd64",
            ),
        ] {
            assert_eq!(c.to_string(), text);
            assert_eq!(text.parse::<Column>().unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Column>(&json).unwrap(), c);
        }
        for bad in ["", "savefile", "kmod+replay@", "kmod+live", "@6.1"] {
            assert!(bad.parse::<Column>().is_err(), "{bad:?}");
        }
    }
}
