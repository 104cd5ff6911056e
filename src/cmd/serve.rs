//! `auditbook serve`: build, serve the site on 127.0.0.1, rebuild when the
//! workspace changes.

use std::net::TcpListener;

use anyhow::Context;

use crate::serve;
use crate::site::BuildOptions;

use super::Global;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub port: u16,
    /// Poll the workspace for changes instead of asking the OS for events.
    pub poll: bool,
    pub build: BuildOptions,
}

/// Runs until interrupted. A build that fails (the workspace has errors, a
/// published period would change) is reported and the last good site stays
/// served.
pub fn run(global: &Global, options: &ServeOptions) -> anyhow::Result<u8> {
    let site = options
        .build
        .out
        .clone()
        .unwrap_or_else(|| global.workspace.join("site"));
    // Watching starts before the first build, so that a change made while
    // it runs is not missed.
    let mut watch = serve::Watch::new(&global.workspace, options.poll)?;
    let first = super::build::run_again_later(global, &options.build)?;
    if first != super::EXIT_OK && !site.join("index.html").exists() {
        anyhow::bail!("the first build failed and there is no earlier site to serve");
    }
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", options.port))?;
    let address = listener.local_addr()?;
    println!(
        "Serving {} at http://{address}/ (Ctrl-C to stop)",
        site.display()
    );
    let root = site.clone();
    std::thread::spawn(move || serve::serve_forever(listener, root));
    loop {
        watch.wait_for_change()?;
        println!("Change detected; rebuilding");
        if let Err(error) = super::build::run_again_later(global, &options.build) {
            eprintln!("error: {error:#}");
        }
    }
}
