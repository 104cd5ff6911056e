//! The diagnostic codes are a public contract: scripts match on them in
//! `check --format json`. A change to this list must be deliberate.

use auditbook::diagnostic::Code;

#[test]
fn diagnostic_codes_are_stable() {
    let listing: String = Code::ALL
        .iter()
        .map(|code| {
            format!(
                "{:<26} {:<8} {}\n",
                code.as_str(),
                code.severity().to_string(),
                code.description()
            )
        })
        .collect();
    insta::assert_snapshot!(listing);
}

#[test]
fn codes_are_kebab_case_and_unique() {
    let mut seen = std::collections::HashSet::new();
    for code in Code::ALL {
        let name = code.as_str();
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{name}"
        );
        assert!(seen.insert(name), "{name} twice");
    }
}

#[test]
fn readme_lists_every_code() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for code in Code::ALL {
        assert!(
            readme.contains(&format!("`{}`", code.as_str())),
            "README.md does not list {}",
            code.as_str()
        );
    }
}
