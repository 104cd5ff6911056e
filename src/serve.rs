//! `auditbook serve`: a small static file server on 127.0.0.1 for the site
//! folder, and a watcher that tells when the workspace changed ([`Watch`]).
//!
//! The portal needs no server code, so this serves files and nothing else:
//! GET and HEAD, paths confined to the site folder, no directory listings.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::{Duration, SystemTime};

use anyhow::Context;

/// Serves `root` on `listener` until the process ends, one thread per
/// connection.
pub fn serve_forever(listener: TcpListener, root: PathBuf) {
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &root);
        });
    }
}

fn handle(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; nothing in them changes the answer.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            405,
            "text/plain",
            b"method not allowed\n",
            method == "HEAD",
        );
    }
    match resolve(root, target) {
        Some(path) => match std::fs::read(&path) {
            Ok(body) => respond(
                &mut stream,
                200,
                content_type(&path),
                &body,
                method == "HEAD",
            ),
            Err(_) => respond(
                &mut stream,
                404,
                "text/plain",
                b"not found\n",
                method == "HEAD",
            ),
        },
        None => respond(
            &mut stream,
            404,
            "text/plain",
            b"not found\n",
            method == "HEAD",
        ),
    }
}

/// The file a request path names inside `root`, or `None` when it names
/// nothing there (or tries to leave it).
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let mut resolved = root.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            // Hidden entries are not the portal's: the page cache
            // (`.cache/`), the folders of builds in progress.
            Component::Normal(part) if part.to_string_lossy().starts_with('.') => return None,
            Component::Normal(part) => resolved.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if resolved.is_dir() {
        resolved.push("index.html");
    }
    resolved.is_file().then_some(resolved)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        // Raw evidence downloads as a file, whatever it holds: it must never
        // be interpreted as a page of the portal.
        _ => "application/octet-stream",
    }
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    head: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// The folders of a workspace whose files a build reads (besides
/// `auditbook.toml`).
const INPUT_DIRS: [&str; 4] = ["policies", "evidence", "catalogs", "templates"];

/// Every input of a build: `auditbook.toml` and the [`INPUT_DIRS`].
fn inputs(workspace: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    std::iter::once(crate::config::FILE_NAME)
        .chain(INPUT_DIRS)
        .map(|name| workspace.join(name))
}

/// Tells when the workspace's inputs changed: from the operating system's
/// file events when it gives them (inotify on Linux), else, or when asked
/// to (`serve --poll`: network and container-mounted file systems may
/// deliver no events), by comparing [`fingerprint`]s every half second.
///
/// Events cost nothing while nothing changes; a poll `stat`s every input
/// file, which on a workspace of 65,000 files is a fifth of a second of
/// CPU each time.
pub struct Watch {
    workspace: PathBuf,
    how: How,
}

enum How {
    Events {
        /// Kept alive for as long as events are wanted.
        _watcher: notify::RecommendedWatcher,
        events: Receiver<notify::Result<notify::Event>>,
        /// Which of [`INPUT_DIRS`] existed (and so are watched).
        watched: [bool; INPUT_DIRS.len()],
    },
    Poll(Vec<(PathBuf, u64, SystemTime)>),
}

/// How long the inputs must stay quiet after a change before a rebuild:
/// an editor's save or a `git checkout` is several events in a row.
const SETTLE: Duration = Duration::from_millis(200);
const POLL_EVERY: Duration = Duration::from_millis(500);

impl Watch {
    /// Starts watching; `poll` forces polling. Says on stderr why it polls
    /// when events were wanted but cannot be had.
    pub fn new(workspace: &Path, poll: bool) -> anyhow::Result<Watch> {
        let how = if poll {
            How::Poll(fingerprint(workspace)?)
        } else {
            match watch_events(workspace) {
                Ok(how) => how,
                Err(error) => {
                    eprintln!("note: watching the workspace by polling: {error}");
                    How::Poll(fingerprint(workspace)?)
                }
            }
        };
        Ok(Watch {
            workspace: workspace.to_path_buf(),
            how,
        })
    }

    /// Blocks until an input changed and then stayed quiet for a moment.
    pub fn wait_for_change(&mut self) -> anyhow::Result<()> {
        match &mut self.how {
            How::Poll(last) => loop {
                std::thread::sleep(POLL_EVERY);
                let current = fingerprint(&self.workspace)?;
                if current != *last {
                    *last = current;
                    return Ok(());
                }
            },
            How::Events {
                events, watched, ..
            } => {
                // The watcher sends changes only; an error (events lost)
                // is one too.
                let _change = events.recv().context("the file watcher stopped")?;
                while let Ok(_more) = events.recv_timeout(SETTLE) {}
                // An input folder made since (a first `templates/`) is
                // watched from now on. (Folders made inside watched ones
                // are watched by the watcher itself.)
                if *watched != existing_input_dirs(&self.workspace) {
                    self.how = watch_events(&self.workspace)?;
                }
                Ok(())
            }
        }
    }
}

/// A watcher on the workspace folder itself (for `auditbook.toml`, which
/// editors replace rather than rewrite, and for input folders coming and
/// going) and on every input folder, recursively.
fn watch_events(workspace: &Path) -> anyhow::Result<How> {
    use notify::{RecursiveMode, Watcher as _};
    // Events name absolute paths, whatever path was watched.
    let workspace = &workspace
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", workspace.display()))?;
    let (sender, events) = std::sync::mpsc::channel();
    let inputs: Vec<PathBuf> = inputs(workspace).collect();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let relevant = match &event {
            // Reading a file is no change (a build reads them all),
            // and of the workspace folder's own events only those of
            // inputs count.
            Ok(event) => {
                !matches!(event.kind, notify::EventKind::Access(_))
                    && event
                        .paths
                        .iter()
                        .any(|path| inputs.iter().any(|input| path.starts_with(input)))
            }
            // Events were lost (a full queue): something changed.
            Err(_) => true,
        };
        if relevant {
            let _ = sender.send(event);
        }
    })
    .context("cannot start a file watcher")?;
    watcher
        .watch(workspace, RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch {}", workspace.display()))?;
    let watched = existing_input_dirs(workspace);
    for (name, _) in INPUT_DIRS.iter().zip(watched).filter(|(_, exists)| *exists) {
        let dir = workspace.join(name);
        watcher
            .watch(&dir, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", dir.display()))?;
    }
    Ok(How::Events {
        _watcher: watcher,
        events,
        watched,
    })
}

fn existing_input_dirs(workspace: &Path) -> [bool; INPUT_DIRS.len()] {
    INPUT_DIRS.map(|name| workspace.join(name).is_dir())
}

/// A cheap fingerprint of the workspace's inputs: every file's path, size
/// and modification time. Two equal fingerprints mean nothing to rebuild.
fn fingerprint(workspace: &Path) -> anyhow::Result<Vec<(PathBuf, u64, SystemTime)>> {
    let mut files = Vec::new();
    for root in inputs(workspace) {
        if !root.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let entry = entry.with_context(|| format!("cannot list {}", root.display()))?;
            if entry.file_type().is_file() {
                let metadata = entry
                    .metadata()
                    .with_context(|| format!("cannot read {}", entry.path().display()))?;
                files.push((
                    entry.into_path(),
                    metadata.len(),
                    metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                ));
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_cannot_leave_the_site() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("2026")).unwrap();
        std::fs::write(dir.path().join("index.html"), "x").unwrap();
        std::fs::write(dir.path().join("2026/index.html"), "y").unwrap();
        assert_eq!(
            resolve(dir.path(), "/"),
            Some(dir.path().join("index.html"))
        );
        assert_eq!(
            resolve(dir.path(), "/2026/"),
            Some(dir.path().join("2026/index.html"))
        );
        assert_eq!(
            resolve(dir.path(), "/2026/index.html?x=1"),
            Some(dir.path().join("2026/index.html"))
        );
        assert_eq!(resolve(dir.path(), "/../etc/passwd"), None);
        assert_eq!(resolve(dir.path(), "/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(dir.path(), "/missing.html"), None);
        std::fs::create_dir_all(dir.path().join(".cache/2026/spare")).unwrap();
        std::fs::write(dir.path().join(".cache/2026/spare/index.html"), "z").unwrap();
        assert_eq!(resolve(dir.path(), "/.cache/2026/spare/index.html"), None);
        assert_eq!(resolve(dir.path(), "/.cache/2026/spare/"), None);
    }
}
