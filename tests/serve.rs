//! `auditbook serve`: serves the built site on 127.0.0.1 and rebuilds on
//! change.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::Sandbox;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serves_the_site_and_rebuilds_on_file_events() {
    serves_the_site_and_rebuilds_on_change(&[]);
}

#[test]
fn serves_the_site_and_rebuilds_on_change_found_by_polling() {
    serves_the_site_and_rebuilds_on_change(&["--poll"]);
}

fn serves_the_site_and_rebuilds_on_change(watch: &[&str]) {
    let sandbox = Sandbox::fixture("valid");
    // A relative workspace path: file events name absolute ones.
    let mut child = support::auditbook()
        .current_dir(sandbox.path())
        .args(["-C", ".", "-v", "serve", "--port", "0"])
        .args(watch)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // `-v`'s count of rendered files, per build, as the reports come.
    let rendered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<usize>::new()));
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let reports = rendered.clone();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some(n) = line.trim().strip_suffix("files rendered or copied") {
                reports.lock().unwrap().push(n.trim().parse().unwrap());
            }
        }
    });
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().expect("serve printed its URL").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    std::thread::spawn(move || for _ in lines {});

    let (status, body) = get(&address, "/2026/index.html");
    assert_eq!(status, 200);
    assert!(body.contains("Fixture Co"));
    assert_eq!(get(&address, "/").0, 200);
    assert_eq!(get(&address, "/../auditbook.toml").0, 404);
    assert_eq!(get(&address, "/2026/no-such-page.html").0, 404);

    let policy = sandbox.path().join("policies/access.md");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text.replace(
            "least privilege",
            "least privilege and zero standing access",
        ),
    )
    .unwrap();
    wait_for_text(
        &address,
        "/2026/policies/access.html",
        "zero standing access",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    // Each rebuild reports itself, not the sum of every build before it:
    // the first build rendered every file, the rebuild a few.
    let reports = loop {
        let reports = rendered.lock().unwrap().clone();
        if reports.len() >= 2 {
            break reports;
        }
        assert!(Instant::now() < deadline, "-v reported {reports:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        reports[1] > 0 && reports[1] < reports[0],
        "files rendered per build: {reports:?}"
    );
    // A build reads every input (and writes the cache and the site): none
    // of that is a change to rebuild for.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        rendered.lock().unwrap().len(),
        2,
        "rebuilt with nothing changed"
    );

    // The configuration too, replaced as editors save it.
    let config = sandbox.path().join("auditbook.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let replacement = sandbox.path().join("auditbook.toml.new");
    std::fs::write(&replacement, text.replace("Fixture Co", "Fixture Company")).unwrap();
    std::fs::rename(&replacement, &config).unwrap();
    wait_for_text(&address, "/2026/index.html", "Fixture Company");
    drop(server);
}

/// Waits (30 s at most) until the page at `path` shows `text`: the
/// change that put it there was rebuilt.
fn wait_for_text(address: &str, path: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !get(address, path).1.contains(text) {
        assert!(
            Instant::now() < deadline,
            "{path} did not show {text:?} within 30 s: the change was not rebuilt"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
