//! The `auditbook` command line: parses arguments and calls the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use auditbook::bundle::verify::Limits;
use auditbook::cmd::{self, build, bundle, check, collect, init, keygen, serve, verify, Global};
use auditbook::site::BuildOptions;

// mimalloc: about 15% less CPU than glibc's malloc on a large build, where
// tens of thousands of pages allocate and free short-lived strings on every
// thread (measured in benches/render.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turn a git repository of security policies and evidence into a
/// versioned audit portal, linked to SOC 2 and ISO/IEC 27001:2022 controls,
/// and signed evidence bundles for auditors and prospects that anyone can
/// verify offline.
#[derive(Debug, Parser)]
#[command(name = "auditbook", version, propagate_version = true)]
struct Cli {
    /// The workspace (the folder holding auditbook.toml).
    #[arg(
        short = 'C',
        long = "workspace",
        global = true,
        value_name = "DIR",
        default_value = "."
    )]
    workspace: PathBuf,

    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,

    /// Print more about what is done.
    #[arg(short, long, global = true)]
    verbose: bool,

    /// Read and write no cache: read every evidence file and render every
    /// page afresh (the caches in .auditbook/ and site/.cache/ are left as
    /// they are).
    #[arg(long, global = true)]
    no_cache: bool,

    /// When to colour output (NO_COLOR is honoured under `auto`).
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    color: Color,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a workspace: a commented auditbook.toml and sample policies.
    Init {
        /// Where to create it (default: the current folder).
        dir: Option<PathBuf>,
        /// The organization's name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Check the workspace, then render the period's portal into
    /// site/<period>/ (with a page of changes since the newest older period
    /// in the site, if any) and refresh the version index site/index.html
    /// and site/periods.js; other periods are left as they are. A draft is
    /// replaced freely; a published period that would change is refused
    /// unless --force.
    Build {
        /// The site folder (default: site/ in the workspace).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Rebuild a published period even though its content changed; the
        /// republication is recorded in published.json and on the portal.
        #[arg(long)]
        force: bool,
    },
    /// Build, then freeze the period: writes site/<period>/published.json
    /// (when, workspace commit, manifest sha256).
    Publish {
        /// The site folder (default: site/ in the workspace).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Republish a published period whose content changed.
        #[arg(long)]
        force: bool,
    },
    /// Build, serve the site on 127.0.0.1 and rebuild when the workspace
    /// changes.
    Serve {
        /// The port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// The site folder (default: site/ in the workspace).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Notice changes by checking every input file twice a second
        /// instead of by the OS's file events (for network and
        /// container-mounted folders, which may send none).
        #[arg(long)]
        poll: bool,
    },
    /// Gather evidence from the sources auditbook.toml lists into
    /// evidence/.
    Collect {
        #[command(subcommand)]
        source: CollectSource,
    },
    /// Validate and assess the workspace: gaps, stale evidence, overdue
    /// reviews, missed schedules. Exit 0 when there is no error, 1 when
    /// there are errors (or warnings with --strict), 2 on usage or I/O
    /// errors.
    Check {
        /// Output format: compiler-style text, or one JSON object.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// Fail on warnings too.
        #[arg(long)]
        strict: bool,
    },
    /// Write a zip of the portal built for one audience: only the policies
    /// and evidence of the classifications it may see (statuses and counts
    /// recomputed from them), stamped for the recipient, with
    /// manifest.json (sha256 and size of every entry) and manifest.sig
    /// (Ed25519) when a signing key is configured ([signing] key in
    /// auditbook.toml, or AUDITBOOK_SIGNING_KEY naming the key file).
    Bundle {
        /// Who the bundle is for: auditor (everything), prospect (public
        /// and customer), or an [audiences.<name>] of auditbook.toml.
        #[arg(long, value_name = "NAME")]
        audience: String,
        /// The recipient, stamped on every page and in the manifest.
        #[arg(long = "for", value_name = "RECIPIENT")]
        recipient: Option<String>,
        /// The zip to write (default:
        /// bundles/<period>-<audience>[-<recipient>].zip in the workspace).
        #[arg(long, value_name = "FILE.zip")]
        out: Option<PathBuf>,
    },
    /// Check a bundle offline: every entry's hash against manifest.json,
    /// the signature, entry names (absolute, `..`, backslash, symlinks,
    /// duplicates) and sizes (zip bombs), without extracting anything.
    /// Prints every problem; exit 0 ok, 1 problems, 2 unreadable file.
    Verify {
        /// The bundle.
        #[arg(value_name = "FILE.zip")]
        zip: PathBuf,
        /// The signer's public key (PREFIX.pub): the bundle must be signed
        /// by it. Without it, the signer's fingerprint is printed to be
        /// compared out of band.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<PathBuf>,
        /// The most bytes the entries may hold uncompressed, in all.
        #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_size)]
        max_size: u64,
        /// The most an archive, or an entry over 1 MiB, may expand.
        #[arg(long, value_name = "RATIO", default_value_t = Limits::default().max_ratio)]
        max_ratio: u64,
    },
    /// Write a new Ed25519 signing key pair: PREFIX.key (private, mode
    /// 0600, OpenSSH format) and PREFIX.pub; print its fingerprint (the
    /// one `ssh-keygen -l -f PREFIX.pub` prints). Never overwrites.
    Keygen {
        /// Where to write (default: auditbook-signing in the current
        /// folder).
        #[arg(long, value_name = "PREFIX")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum CollectSource {
    /// Commit signing of every commit of the period in each local clone
    /// listed under [[sources.git]]: signature type, verification against
    /// the configured allowed_signers and OpenPGP keys, per month and per
    /// author; written to evidence/git/<repo>-<period>.json.
    Git,
    /// Evidence from the GitHub API for each repository of
    /// [sources.github]: branch protection and rulesets, merged pull
    /// requests and their reviews, CI runs and deployments, security
    /// alerts, commit verification, collaborators and teams; written to
    /// evidence/github/<repo>/<part>-<period>.json. The token is read from
    /// the environment variable token_env names. Exit 1 when a part is
    /// missing (its earlier file is kept).
    Github,
    /// Every source auditbook.toml configures: git, then github.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return cmd::exit(if error.use_stderr() {
                cmd::EXIT_FAILURE
            } else {
                cmd::EXIT_OK
            });
        }
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let global = Global {
        workspace: cli.workspace,
        quiet: cli.quiet,
        verbose: cli.verbose,
        color,
        progress: !cli.quiet && std::io::stderr().is_terminal(),
        no_cache: cli.no_cache,
    };
    match run(&global, cli.command) {
        Ok(code) => cmd::exit(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            cmd::exit(cmd::EXIT_FAILURE)
        }
    }
}

fn run(global: &Global, command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Init { dir, name } => {
            let dir = dir.unwrap_or_else(|| global.workspace.clone());
            let written = init::run(&init::InitOptions::new(dir.clone(), name))?;
            if !global.quiet {
                for path in &written {
                    println!("created {}", path.display());
                }
                println!(
                    "\nNext: edit {}, then run `auditbook -C {} check`.",
                    dir.join("auditbook.toml").display(),
                    dir.display()
                );
            }
            Ok(cmd::EXIT_OK)
        }
        Command::Build { out, force } => build::run(
            global,
            &BuildOptions {
                out,
                force,
                publish: false,
                cache: !global.no_cache,
            },
        ),
        Command::Publish { out, force } => build::run(
            global,
            &BuildOptions {
                out,
                force,
                publish: true,
                cache: !global.no_cache,
            },
        ),
        Command::Serve { port, out, poll } => serve::run(
            global,
            &serve::ServeOptions {
                port,
                poll,
                build: BuildOptions {
                    out,
                    force: false,
                    publish: false,
                    cache: !global.no_cache,
                },
            },
        ),
        Command::Collect { source } => match source {
            CollectSource::Git => collect::run_git(global),
            CollectSource::Github => collect::run_github(global),
            CollectSource::All => collect::run_all(global),
        },
        Command::Check { format, strict } => check::run(
            global,
            &check::CheckOptions {
                format: match format {
                    FormatArg::Text => check::Format::Text,
                    FormatArg::Json => check::Format::Json,
                },
                strict,
            },
        ),
        Command::Bundle {
            audience,
            recipient,
            out,
        } => bundle::run(
            global,
            &bundle::Options {
                audience,
                recipient,
                out,
            },
        ),
        Command::Verify {
            zip,
            key,
            max_size,
            max_ratio,
        } => verify::run(
            global,
            &zip,
            key.as_deref(),
            Limits {
                max_size,
                max_ratio,
            },
        ),
        Command::Keygen { out } => keygen::run(global, out),
    }
}
