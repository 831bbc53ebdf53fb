//! `mule = FILE.py` runs the file as `__main__`; `mule = MODULE:CALLABLE`
//! imports the module and calls the callable with no argument (uWSGI's
//! `uwsgi_python_mule`). When it returns, the mule ends with uWSGI's end
//! code and the master respawns it, as uWSGI's does.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::contract::exit::END_EXIT;

/// What a `mule = …` value runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script<'a> {
    File(&'a str),
    Callable { module: &'a str, callable: &'a str },
}

impl<'a> Script<'a> {
    /// uWSGI's two forms: a name ending in `.py`, or one with a colon.
    pub fn of(spec: &'a str) -> Option<Script<'a>> {
        if spec.ends_with(".py") {
            return Some(Script::File(spec));
        }
        let (module, callable) = spec.split_once(':')?;
        Some(Script::Callable { module, callable })
    }

    /// Runs it; the exit code of the mule.
    pub fn run(self) -> i32 {
        Python::attach(|py| {
            let ran = match self {
                Script::File(path) => run_file(py, path),
                Script::Callable { module, callable } => py
                    .import(module)
                    .and_then(|m| m.getattr(callable))
                    .and_then(|f| f.call0())
                    .map(drop),
            };
            match ran {
                Ok(()) => END_EXIT,
                Err(err) => super::exit_code(py, err).unwrap_or(END_EXIT),
            }
        })
    }
}

fn run_file(py: Python<'_>, path: &str) -> PyResult<()> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("run_name", "__main__")?;
    py.import("runpy")?
        .call_method("run_path", (path,), Some(&kwargs))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uwsgis_two_forms() {
        assert_eq!(Script::of("tasks.py"), Some(Script::File("tasks.py")));
        assert_eq!(
            Script::of("app.tasks:main"),
            Some(Script::Callable {
                module: "app.tasks",
                callable: "main"
            })
        );
        assert_eq!(Script::of("tasks"), None);
    }
}
