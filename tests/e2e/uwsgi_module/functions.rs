//! `docs/compatibility.md` lists every function of the `uwsgi` module with
//! its state, provided or raising `UnsupportedError`; the module as a
//! running worker has it is the reference, so neither can drift.

use std::collections::BTreeMap;

use uwsgid_e2e::{ServerBuilder, TestDir, curl, free_port, wait_http_ready};

use super::SLOW;

/// The names in backquotes between `<!-- module-functions: FROM -->` and
/// the next marker.
fn listed(doc: &str, from: &str) -> Vec<String> {
    let start = format!("<!-- module-functions: {from} -->");
    let Some((_, rest)) = doc.split_once(&start) else {
        panic!("no {start} in docs/compatibility.md");
    };
    let region = rest
        .split("<!-- module-functions:")
        .next()
        .unwrap_or_default();
    region
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_compatibility_page_lists_every_function_with_its_state() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let app = dir
        .write("functions_app.py", include_str!("functions_app.py"))
        .expect("write the app");
    let mut server = ServerBuilder::uwsgid(dir.join("uwsgid.log"))
        .expect("uwsgid is built")
        .args(["--master", "--http-socket", &format!("127.0.0.1:{port}")])
        .arg("--wsgi-file")
        .arg(&app)
        .start()
        .expect("uwsgid starts");
    wait_http_ready(&mut server, port, SLOW).expect("the app answers");
    let response = curl(port, "/").run().expect("curl runs");
    let module: BTreeMap<String, bool> =
        serde_json::from_value(response.json().expect("JSON")).expect("{name: provided}");
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/compatibility.md");
    let doc = std::fs::read_to_string(doc_path).expect("docs/compatibility.md");
    let mut documented = BTreeMap::new();
    for (region, provided) in [("provided", true), ("unsupported", false)] {
        for name in listed(&doc, region) {
            let before = documented.insert(name.clone(), provided);
            assert_eq!(before, None, "{name} is listed twice");
        }
    }
    let mismatched: Vec<String> = module
        .iter()
        .filter(|(name, provided)| documented.get(*name) != Some(provided))
        .map(|(name, provided)| format!("{name} (provided: {provided})"))
        .chain(
            documented
                .keys()
                .filter(|name| !module.contains_key(*name))
                .map(|name| format!("{name} (listed, not in the module)")),
        )
        .collect();
    assert!(
        mismatched.is_empty(),
        "docs/compatibility.md disagrees with the module: {mismatched:?}"
    );
}
