//! A small HTTP/1.1 server on 127.0.0.1 that plays GitHub's REST API from
//! scripted answers: pages with `Link` headers, faults queued per path
//! (rate limits, 502s), paths that never answer. Every request is logged
//! with its headers so tests can check what was sent.

#![allow(dead_code)] // Each test binary uses part of it.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(status: u16, body: impl Into<String>) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

#[derive(Clone)]
enum Route {
    /// Page N (query `page=N`, default 1) of these bodies.
    Pages(Vec<String>),
    Fixed(Answer),
    /// Read the request, never answer.
    Hang,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    faults: HashMap<String, VecDeque<Answer>>,
    /// Headers added to every answer of a path (rate-limit state).
    extra: HashMap<String, Vec<(String, String)>>,
    log: Vec<Logged>,
}

pub struct Server {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, state));
            }
        });
        Server { url, state }
    }

    /// `path` answers with these pages, linked by `Link: rel="next"`.
    pub fn pages(&self, path: &str, pages: Vec<String>) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), Route::Pages(pages));
    }

    pub fn fixed(&self, path: &str, answer: Answer) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), Route::Fixed(answer));
    }

    pub fn hang(&self, path: &str) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), Route::Hang);
    }

    /// Answers given, in order, before `path`'s route answers.
    pub fn fault(&self, path: &str, answer: Answer) {
        self.state
            .lock()
            .unwrap()
            .faults
            .entry(path.to_string())
            .or_default()
            .push_back(answer);
    }

    pub fn extra_headers(&self, path: &str, headers: Vec<(String, String)>) {
        self.state
            .lock()
            .unwrap()
            .extra
            .insert(path.to_string(), headers);
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn requests_to(&self, path: &str) -> usize {
        self.log().iter().filter(|l| l.path == path).count()
    }
}

fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    // One write per answer and no Nagle delay: otherwise every answer
    // waits for the client's delayed ACK (40 ms on Linux).
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut authorization = None;
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "authorization" => authorization = Some(value.trim().to_string()),
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (target.clone(), String::new()),
        };
        let answer = {
            let mut s = state.lock().unwrap();
            s.log.push(Logged {
                path: path.clone(),
                query: query.clone(),
                authorization,
            });
            let extra = s.extra.get(&path).cloned().unwrap_or_default();
            let fault = s.faults.get_mut(&path).and_then(|q| q.pop_front());
            let answer = match (fault, s.routes.get(&path).cloned()) {
                (Some(fault), _) => Some(fault),
                (None, Some(Route::Hang)) => None,
                (None, Some(Route::Fixed(answer))) => Some(answer),
                (None, Some(Route::Pages(pages))) => {
                    let page: usize = query
                        .split('&')
                        .find_map(|kv| kv.strip_prefix("page="))
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(1);
                    match pages.get(page.saturating_sub(1)) {
                        Some(body) => {
                            let mut answer = Answer::json(200, body.clone());
                            let base: Vec<&str> = query
                                .split('&')
                                .filter(|kv| !kv.starts_with("page=") && !kv.is_empty())
                                .collect();
                            let base = base.join("&");
                            let port_url = |n: usize| {
                                format!(
                                    "<{{URL}}{path}?{base}{}page={n}>",
                                    if base.is_empty() { "" } else { "&" }
                                )
                            };
                            let mut links = Vec::new();
                            if page < pages.len() {
                                links.push(format!("{}; rel=\"next\"", port_url(page + 1)));
                                links.push(format!("{}; rel=\"last\"", port_url(pages.len())));
                            }
                            if page > 1 {
                                links.push(format!("{}; rel=\"prev\"", port_url(page - 1)));
                                links.push(format!("{}; rel=\"first\"", port_url(1)));
                            }
                            if !links.is_empty() {
                                answer = answer.header("Link", links.join(", "));
                            }
                            Some(answer)
                        }
                        None => Some(Answer::json(200, "[]")),
                    }
                }
                (None, None) => Some(Answer::json(
                    404,
                    r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}"#,
                )),
            };
            answer.map(|mut a| {
                a.headers.extend(extra);
                a
            })
        };
        let Some(answer) = answer else {
            // Hold the connection open without a word.
            std::thread::sleep(Duration::from_secs(60));
            return;
        };
        let host = writer
            .local_addr()
            .map(|a| format!("http://{a}"))
            .unwrap_or_default();
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n",
            answer.status,
            reason(answer.status),
            answer.body.len()
        );
        for (name, value) in &answer.headers {
            head.push_str(&format!("{name}: {}\r\n", value.replace("{URL}", &host)));
        }
        head.push_str("\r\n");
        head.push_str(&answer.body);
        if writer.write_all(head.as_bytes()).is_err() || writer.flush().is_err() {
            return;
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        _ => "Status",
    }
}
