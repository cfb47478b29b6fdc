//! Every function of include/featurescatter.h is declared in src/sys.rs with the same parameter
//! count, and nothing else is.

use std::collections::BTreeMap;

/// name → parameter count of the declarations in `text` that start a line with `prefix`.
fn signatures(text: &str, prefix: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    let mut rest = text;
    while let Some(start) = rest.find(prefix) {
        rest = &rest[start + prefix.len()..];
        let open = match rest.find('(') {
            Some(open) => open,
            None => break,
        };
        let name = rest[..open].rsplit(|c: char| c.is_whitespace() || c == '*').next().unwrap_or("").to_string();
        let mut depth = 0;
        let mut close = open;
        for (offset, character) in rest[open..].char_indices() {
            match character {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + offset;
                        break;
                    }
                }
                _ => {}
            }
        }
        let parameters = rest[open + 1..close].trim();
        let count = if parameters.is_empty() || parameters == "void" {
            0
        } else {
            parameters.split(',').filter(|p| !p.trim().is_empty()).count()
        };
        found.insert(name, count);
        rest = &rest[close..];
    }
    found
}

#[test]
fn every_header_function_is_declared_with_its_parameter_count() {
    let root = env!("CARGO_MANIFEST_DIR");
    let header = std::fs::read_to_string(format!("{root}/../../include/featurescatter.h")).unwrap();
    let rust = std::fs::read_to_string(format!("{root}/src/sys.rs")).unwrap();
    let declared_in_c = signatures(&header, "\nFSC_API ");
    let declared_in_rust = signatures(&rust, "\n    pub fn ");
    assert!(declared_in_c.len() >= 42 && declared_in_c.keys().all(|name| name.starts_with("fsc_")), "{declared_in_c:?}");
    assert_eq!(declared_in_rust, declared_in_c);
}
