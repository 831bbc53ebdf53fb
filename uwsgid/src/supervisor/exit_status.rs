//! How a process ended, said for people.

/// How a process ended, for people: "exit code 22", "signal 9".
pub fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        (None, None) => "an unknown status".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_are_described_by_code_or_signal() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            describe_exit(&std::process::ExitStatus::from_raw(22 << 8)),
            "exit code 22"
        );
        assert_eq!(
            describe_exit(&std::process::ExitStatus::from_raw(9)),
            "signal 9"
        );
    }
}
