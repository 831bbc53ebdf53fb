//! A Flask view that hands its slow part to the spooler with `@spool`.

use serde_json::json;

use super::{SLOW, SpoolApp};
use uwsgid_e2e::{TestDir, curl, wait_until};

#[test]
fn a_flask_view_spools_its_welcome_mail() {
    let dir = TestDir::new().expect("a test dir");
    let app_file = dir
        .write("flask_app.py", include_str!("flask_app.py"))
        .expect("write the app");
    let app = SpoolApp::start_app(dir, &app_file, "");
    let spooler = wait_until("the spooler's pid", SLOW, || {
        let pid = app.get("/spooler")["pid"].as_i64()?;
        (pid > 0).then_some(pid)
    })
    .expect("a spooler");
    let response = curl(app.port, "/signup")
        .form_field("email", "ada@example.org")
        .form_field("name", "Ada")
        .run()
        .expect("curl runs");
    assert_eq!(response.status, 202, "{}", response.text());
    let record = app.wait_record("welcome-ada@example.org");
    assert_eq!(
        record,
        json!({"email": "ada@example.org", "name": "Ada", "pid": spooler})
    );
}
