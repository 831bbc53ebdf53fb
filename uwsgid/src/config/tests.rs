//! Tests of the whole engine: ini files in a temporary directory, resolved
//! through [`super::check_with`] with a controlled environment.
