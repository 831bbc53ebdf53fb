//! The options of the processes beside the workers that run the app's
//! Python: spoolers (`config/spooler.rs`) and mules (`config/mules.rs`).

use super::*;
use crate::config::MuleSpec;

/// The options of this family.
pub(super) static TABLE: &[Spec] = &[
    list(
        "spooler",
        &[],
        Setter::Str(|c, v| c.spooler.dirs.push(PathBuf::from(v))),
    ),
    opt(
        "spooler-processes",
        Setter::Int(|c, v| c.spooler.processes = v),
    ),
    alias(
        "spooler-frequency",
        &["spooler-freq"],
        Setter::Int(|c, v| c.spooler.frequency = v),
    ),
    opt(
        "spooler-ordered",
        Setter::Bool(|c, v| c.spooler.ordered = v),
    ),
    opt(
        "spooler-max-tasks",
        Setter::Int(|c, v| c.spooler.max_tasks = v),
    ),
    opt(
        "spooler-harakiri",
        Setter::Int(|c, v| c.spooler.harakiri = v),
    ),
    opt(
        "spooler-chdir",
        Setter::Str(|c, v| c.spooler.chdir = Some(PathBuf::from(v))),
    ),
    opt("spooler-quiet", Setter::Bool(|c, v| c.spooler.quiet = v)),
    list(
        "spooler-import",
        &[
            "spooler-python-import",
            "spooler-pyimport",
            "spooler-py-import",
        ],
        Setter::Str(|c, v| c.spooler.imports.push(v)),
    ),
    list(
        "spooler-external",
        &[],
        Setter::Refused(
            "uwsgid does not write tasks for a spooler of another instance; \
             run a spooler (spooler = DIR) in this app instead",
        ),
    ),
    list(
        "mule",
        &[],
        Setter::OptStr(|c, v| {
            let script = (!v.is_empty()).then(|| v.to_owned());
            c.mules.mules.push(MuleSpec { script });
        }),
    ),
    list(
        "mules",
        &[],
        Setter::Int(|c, n| {
            let bare = (0..n).map(|_| MuleSpec { script: None });
            c.mules.mules.extend(bare);
        }),
    ),
    list(
        "farm",
        &[],
        Setter::Parse(|c, v| {
            c.mules.farms.push(crate::config::mules::parse_farm(v)?);
            Ok(())
        }),
    ),
    opt("mule-msg-size", Setter::Int(|c, v| c.mules.msg_size = v)),
    opt("mule-harakiri", Setter::Int(|c, v| c.mules.harakiri = v)),
    list(
        "hook-as-mule",
        &[],
        Setter::Parse(|c, v| {
            c.hooks.as_mule.push(crate::config::hooks::check(v)?);
            Ok(())
        }),
    ),
    list(
        "mule-reload-mercy",
        &[],
        Setter::Refused(
            "a mule gets the workers' mercy (reload-mercy, else worker-reload-mercy) when it is replaced or stopped; set that instead",
        ),
    ),
];
