//! Messages: `@mulefunc(1)` runs in mule 1, `@mulefunc("crunch")` in the
//! farm's mule, `uwsgi.farm_msg` reaches a `@farm` loop, `@mulefunc` in
//! any mule; `uwsgi.mule_msg(msg, 3)` reaches
//! a script mule's `mule_get_msg`, `mule_msg(msg, 4)` a `@mulemsg(4)`
//! loop; `@mule(1)` runs once mule 1 started, `mule = MODULE:CALLABLE`
//! calls it in its mule; `set_user_harakiri` kills a mule past its
//! deadline; a reload keeps the set of mules; a script that returns ends
//! its mule, which is respawned and reads the queue again; the errors of
//! uWSGI 2.0.31 for a wrong target and for receiving outside a mule.

use nix::sys::signal::Signal;
use serde_json::json;
use uwsgid_e2e::{TestDir, free_port};

use super::{get, markers_dir, start, wait_log, wait_marker};

#[test]
fn messages_reach_mules_farms_and_scripts() {
    let dir = TestDir::new().expect("a test dir");
    let port = free_port().expect("a free port");
    let script = dir
        .write("mule_script.py", include_str!("mule_script.py"))
        .expect("write the mule script");
    dir.write("mule_entry.py", include_str!("mule_entry.py"))
        .expect("write the mule entry");
    let extra = format!(
        "mules = 2\nmule = {}\nmules = 1\nmule = mule_entry:main\npythonpath = {}\n\
         farm = crunch:2\n",
        script.display(),
        dir.path().display()
    );
    let server = start(&dir, port, include_str!("messages_app.py"), &extra);
    let marks = markers_dir(&dir);
    wait_log(&server, "created farm 1 name: crunch mules:2");

    // @mule(1): once, in mule 1; mule_entry:main called in mule 5.
    assert_eq!(wait_marker(&server, &marks, "brain")["mule"], 1);
    let entry = wait_marker(&server, &marks, "entry");
    assert_eq!(entry["mule"], 5);
    // @mulefunc(1), @mulefunc("crunch").
    get(port, "/one?first");
    let first = wait_marker(&server, &marks, "first");
    assert_eq!(first["mule"], 1);
    get(port, "/farm?farmed");
    let farmed = wait_marker(&server, &marks, "farmed");
    assert_eq!(
        (
            &farmed["mule"],
            &farmed["in_farm"],
            &farmed["in_crunch"],
            &farmed["in_other"]
        ),
        (&json!(2), &json!(true), &json!(true), &json!(null)),
        "{farmed}"
    );
    // uwsgi.farm_msg, read by a @farm loop (farm_get_msg).
    assert_eq!(get(port, "/farm_msg?hello"), "None");
    assert_eq!(wait_marker(&server, &marks, "farm-hello")["mule"], 2);
    // The shared queue: whichever mule is free.
    get(port, "/any?shared");
    let shared = wait_marker(&server, &marks, "shared");
    assert!(
        (1..=5).contains(&shared["mule"].as_u64().unwrap_or(0)),
        "{shared}"
    );

    // A script mule's mule_get_msg, and a @mulemsg(4) loop.
    assert_eq!(get(port, "/raw?3-hello"), "True");
    let hello = wait_marker(&server, &marks, "script-hello");
    assert_eq!(hello["mule"], 3);
    assert_eq!(get(port, "/raw?4-hi"), "True");
    assert_eq!(wait_marker(&server, &marks, "mulemsg-hi")["mule"], 4);

    // uWSGI's answers in a worker.
    let errors: serde_json::Value =
        serde_json::from_str(&get(port, "/errors")).expect("JSON errors");
    assert_eq!(
        errors,
        json!({
            "mule 9": "ValueError: invalid mule number",
            "farm nope": "ValueError: unknown farm",
            "float": "ValueError: invalid mule",
            "get in a worker": "ValueError: you can receive mule messages only in a mule !!!",
            "farm get in a worker": "ValueError: you can receive farm messages only in a mule !!!",
            "in_farm in a worker": "None",
            "farm_msg to no farm": "None",
        })
    );

    // set_user_harakiri in a mule: it is killed past its deadline.
    assert_eq!(get(port, "/raw?5-stall"), "True");
    let pid5 = entry["pid"].as_i64().unwrap_or(0);
    wait_log(
        &server,
        &format!("*** HARAKIRI ON MULE 5 (pid: {pid5}) ***"),
    );
    wait_log(
        &server,
        &format!("OOOPS mule 5 (pid: {pid5}) crippled...trying respawn..."),
    );

    // A script that returns ends its mule; the master respawns it, and the
    // new one reads what was sent meanwhile.
    assert_eq!(get(port, "/raw?3-quit"), "True");
    let pid = hello["pid"].as_i64().unwrap_or(0);
    wait_log(
        &server,
        &format!("OOOPS mule 3 (pid: {pid}) crippled...trying respawn..."),
    );
    assert_eq!(get(port, "/raw?3-again"), "True");
    let again = wait_marker(&server, &marks, "script-again");
    assert_eq!(again["mule"], 3);
    assert_ne!(again["pid"], hello["pid"], "a new mule 3");

    // A reload cannot add a mule (every child inherits the queues): the
    // old set stays, said in the log, and the new mules serve.
    let ini = std::fs::read_to_string(dir.join("app.ini")).expect("read app.ini");
    dir.write("app.ini", format!("{ini}mules = 1\n"))
        .expect("write app.ini");
    server.signal(Signal::SIGHUP).expect("SIGHUP");
    wait_log(
        &server,
        "reload: the mules and farms (mule, mules, farm, mule-msg-size) cannot change without a restart",
    );
    // The old mule 1 reads the same queue until it is gone.
    let old1 = first["pid"].as_i64().unwrap_or(0);
    wait_log(&server, &format!("mule 1 (pid: {old1}) annihilated"));
    get(port, "/one?after");
    let after = wait_marker(&server, &marks, "after");
    assert_eq!(after["mule"], 1);
    assert_ne!(after["pid"], first["pid"], "a mule of the reload");
    assert!(
        !server.log().contains("spawned uWSGI mule 6"),
        "{}",
        server.log()
    );
}
