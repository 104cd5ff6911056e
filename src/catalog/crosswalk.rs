//! The crosswalk: which controls of one framework relate to which of
//! another, and where each pair came from.
//!
//! Evidence reached through the crosswalk is shown as related; it never
//! changes a control's status (see `assess`).

use std::collections::BTreeMap;

use super::{Catalog, ControlKey};

const BUILTIN_TSV: &str = include_str!("data/crosswalk-soc2-iso27001.tsv");

/// Where the built-in SOC 2 ↔ ISO 27001 pairs come from. Shown wherever the
/// crosswalk is shown.
pub const CROSSWALK_ATTRIBUTION: &str = "SOC 2 to ISO/IEC 27001:2022 pairs from the \
intuitem CISO Assistant community library (mapping-soc2-2017-rev-2022-to-iso27001-2022, \
AGPL-3.0), derived there through Adobe's Common Controls Framework v5, rolled up from \
points of focus to criteria. Pairs also implied by the Cisco CCF v3.0 or SCF 2025.2.2 \
mappings are marked as such; relationship strength is not graded.";

/// One related pair, stored in both directions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CrosswalkLink {
    pub to: ControlKey,
    /// Where the pair came from: the built-in mapping's source note, or the
    /// workspace catalog file that declared it.
    pub source: String,
}

#[derive(Debug, Clone, Default)]
pub struct Crosswalk {
    links: BTreeMap<ControlKey, Vec<CrosswalkLink>>,
}

impl Crosswalk {
    pub(super) fn builtin(catalog: &Catalog) -> Crosswalk {
        let mut crosswalk = Crosswalk::default();
        for (number, line) in BUILTIN_TSV.lines().enumerate().skip(1) {
            let mut fields = line.split('\t');
            let (Some(soc2), Some(iso), Some(source)) =
                (fields.next(), fields.next(), fields.next())
            else {
                panic!("built-in crosswalk line {} is malformed", number + 1);
            };
            let resolve = |framework: &str, id: &str| {
                catalog
                    .resolve(&format!("{framework}:{id}"))
                    .unwrap_or_else(|_| panic!("built-in crosswalk names unknown id {id}"))
            };
            crosswalk.add(
                resolve("soc2", soc2),
                resolve("iso27001", iso),
                source.to_string(),
            );
        }
        crosswalk.finish();
        crosswalk
    }

    pub(super) fn add(&mut self, a: ControlKey, b: ControlKey, source: String) {
        if a == b {
            return;
        }
        self.links.entry(a).or_default().push(CrosswalkLink {
            to: b,
            source: source.clone(),
        });
        self.links
            .entry(b)
            .or_default()
            .push(CrosswalkLink { to: a, source });
    }

    pub(super) fn finish(&mut self) {
        for links in self.links.values_mut() {
            links.sort();
            links.dedup_by(|a, b| a.to == b.to);
        }
    }

    /// The controls related to `key`, in catalog order.
    pub fn related(&self, key: ControlKey) -> &[CrosswalkLink] {
        self.links.get(&key).map_or(&[], Vec::as_slice)
    }

    /// Number of distinct pairs.
    pub fn len(&self) -> usize {
        self.links.values().map(Vec::len).sum::<usize>() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pairs_load_both_ways() {
        let catalog = Catalog::builtin();
        assert_eq!(catalog.crosswalk().len(), 193);
        let cc61 = catalog.resolve("CC6.1").unwrap();
        let related: Vec<_> = catalog
            .crosswalk()
            .related(cc61)
            .iter()
            .map(|l| catalog.control(l.to).id.as_str())
            .collect();
        // awk -F'\t' '$1=="CC6.1"{print $2}' src/catalog/data/crosswalk-soc2-iso27001.tsv
        assert_eq!(
            related,
            [
                "A.5.12", "A.5.13", "A.5.16", "A.5.17", "A.6.7", "A.8.5", "A.8.22", "A.8.24",
                "A.8.31"
            ]
        );
        for link in catalog.crosswalk().related(cc61) {
            assert!(catalog
                .crosswalk()
                .related(link.to)
                .iter()
                .any(|back| back.to == cc61));
        }
    }
}
