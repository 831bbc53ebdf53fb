use super::*;

fn parse(spec: &str) -> Result<LoggerSpec, LoggerError> {
    LoggerSpec::parse(spec, "host")
}

#[test]
fn ids_plugins_and_arguments() {
    assert_eq!(
        parse("file:/var/log/app.log"),
        Ok(LoggerSpec {
            id: None,
            target: Target::File {
                path: "/var/log/app.log".into(),
                maxsize: 0,
                backupname: None
            }
        })
    );
    assert_eq!(
        parse("access file:logfile=/l/a.log,maxsize=100,backupname=/l/a.old"),
        Ok(LoggerSpec {
            id: Some("access".into()),
            target: Target::File {
                path: "/l/a.log".into(),
                maxsize: 100,
                backupname: Some("/l/a.old".into())
            }
        })
    );
    assert_eq!(parse("stdio").map(|s| s.target), Ok(Target::Stdio));
    assert_eq!(
        parse("syslog:myapp,local3").map(|s| s.target),
        Ok(Target::Syslog {
            ident: "myapp".into(),
            facility: libc::LOG_LOCAL3
        })
    );
    assert_eq!(
        parse("syslog").map(|s| s.target),
        Ok(Target::Syslog {
            ident: "uwsgi".into(),
            facility: libc::LOG_DAEMON
        })
    );
    assert_eq!(
        parse("rsyslog:127.0.0.1:5514").map(|s| s.target),
        Ok(Target::Rsyslog {
            address: "127.0.0.1:5514".into(),
            prefix: "host uwsgi".into(),
            priority: 29
        })
    );
    assert_eq!(
        parse("r1 rsyslog:127.0.0.1:5514,web,14").map(|s| (s.id, s.target)),
        Ok((
            Some("r1".into()),
            Target::Rsyslog {
                address: "127.0.0.1:5514".into(),
                prefix: "web".into(),
                priority: 14
            }
        ))
    );
}

#[test]
fn errors() {
    assert_eq!(
        parse("zeromq:x"),
        Err(LoggerError::Unknown("zeromq".into()))
    );
    assert!(matches!(parse("file"), Err(LoggerError::Syntax("file", _))));
    assert!(matches!(
        parse("file:maxsize=1"),
        Err(LoggerError::Syntax("file", _))
    ));
    // A first word that is not alphanumeric is not an id.
    assert_eq!(
        parse("my-id file:/x").map(|s| s.id),
        Err(LoggerError::Unknown("my-id file".into()))
    );
}

#[test]
fn rsyslog_packets_as_uwsgi_sends_them() {
    let packet = rsyslog_packet(b"hello\n", "host uwsgi", 29);
    let text = String::from_utf8_lossy(&packet).into_owned();
    // `<29>Dec  2 23:00:14 host uwsgi: hello`.
    assert!(text.starts_with("<29>"), "{text}");
    assert_eq!(text.get(4 + 15..), Some(" host uwsgi: hello"), "{text}");
    let long = vec![b'x'; 2000];
    let packet = rsyslog_packet(&long, "p", 29);
    assert_eq!(packet.len(), 4 + 15 + " p: ".len() + 994);
}
