//! The commands. Each takes the global options and its own options struct,
//! does its work through the library, and returns the process exit code.

pub mod build;
pub mod bundle;
pub mod check;
pub mod collect;
pub mod init;
pub mod keygen;
pub mod serve;
pub mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

/// Options every command takes.
#[derive(Debug, Clone)]
pub struct Global {
    /// The workspace root.
    pub workspace: PathBuf,
    pub quiet: bool,
    pub verbose: bool,
    /// Colour output on stdout and stderr.
    pub color: bool,
    /// Show progress bars (stderr is a terminal and not quiet).
    pub progress: bool,
    /// Read and write no cache (`--no-cache`).
    pub no_cache: bool,
}

/// Loads the workspace the global options name, with a progress bar on a
/// terminal; `details` keeps what only the portal shows.
pub fn load(global: &Global, details: bool) -> anyhow::Result<crate::workspace::Workspace> {
    crate::workspace::Workspace::load(
        &global.workspace,
        crate::workspace::LoadOptions {
            progress: global.progress,
            details,
            cache: !global.no_cache,
        },
    )
}

/// Prints the errors of a workspace that will not be built or bundled,
/// and says so; returns exit code 1, as `check` would.
pub fn refuse(
    workspace: &crate::workspace::Workspace,
    color: bool,
    nothing: &str,
) -> anyhow::Result<u8> {
    use std::io::Write;
    let mut diagnostics = workspace.diagnostics.clone();
    diagnostics.sort();
    let mut err = std::io::stderr().lock();
    crate::report::write_text(
        &mut err,
        None,
        &diagnostics,
        crate::report::Painter { enabled: color },
        crate::report::Verbosity::Quiet,
    )?;
    writeln!(
        err,
        "error: the workspace has errors; {nothing} (see `auditbook check`)"
    )?;
    Ok(EXIT_PROBLEMS)
}

/// Exit codes: 0 ok, 1 problems found, 2 usage or I/O error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_FAILURE: u8 = 2;

pub fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}
