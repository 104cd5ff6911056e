//! The GitHub REST client behind `collect github`: octocrab for the
//! connection and authentication, and auditbook's own policy for what the
//! API pushes back with. Requests are made one at a time (GitHub asks
//! integrators to, to stay clear of its secondary limits); `Link: rel="next"`
//! is followed; the primary rate limit (`x-ratelimit-remaining` at 0 until
//! `x-ratelimit-reset`) and secondary limits (403 or 429, `retry-after`)
//! are waited out with a progress line; 5xx answers, timeouts and dropped
//! connections are retried with bounded exponential back-off and jitter.
//!
//! The token lives in a [`Token`], whose `Debug` and `Display` print
//! `[REDACTED]`; every message that leaves this module is scrubbed of it
//! as well, so no error or log line can carry it.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A GitHub token, read from the environment only.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Reads the token from the environment variable `name`; the error
    /// names the variable, never a value.
    pub fn from_env(name: &str) -> anyhow::Result<Token> {
        match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => Ok(Token(value.trim().to_string())),
            Ok(_) => anyhow::bail!("the environment variable {name} (token_env) is empty"),
            Err(_) => anyhow::bail!(
                "the environment variable {name} (token_env in [sources.github]) is not set: \
                 export a GitHub token there; auditbook reads it from the environment only"
            ),
        }
    }

    /// `text` with every occurrence of the token replaced.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, "[REDACTED]")
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([REDACTED])")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// How long to wait, how often to retry.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// One request, from sending to the last byte of the body.
    pub timeout: Duration,
    /// The longest single wait (rate limits and back-off alike): a reset an
    /// hour away is waited out in steps of this, each followed by a try.
    pub max_wait: Duration,
    /// Attempts per request for 5xx answers, timeouts and transport errors.
    pub attempts: u32,
    /// Waits for rate limits per request before giving up.
    pub rate_limit_waits: u32,
    /// The first back-off; it doubles with each attempt.
    pub backoff: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(15 * 60),
            attempts: 5,
            rate_limit_waits: 10,
            backoff: Duration::from_secs(1),
        }
    }
}

/// The rate limit as GitHub last reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Unix seconds when the window resets.
    pub reset: Option<i64>,
    pub used: Option<u64>,
    pub resource: Option<String>,
}

/// What one part of a collection asked the API: the endpoints (as GitHub's
/// REST description names them) and the number of requests, retries
/// included.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    pub endpoints: BTreeSet<String>,
    pub requests: u64,
    pub retries: u64,
    pub waited_ms: u64,
}

/// Why a request failed for good.
#[derive(Debug)]
pub enum ApiError {
    /// GitHub answered with an error status; `message` is GitHub's.
    Status {
        status: u16,
        message: String,
        url: String,
    },
    /// No (complete) answer: timeouts, connection errors, bad JSON, all
    /// attempts spent.
    Failed { message: String, url: String },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Status {
                status,
                message,
                url,
            } => write!(f, "GET {url}: HTTP {status}: {message}"),
            ApiError::Failed { message, url } => write!(f, "GET {url}: {message}"),
        }
    }
}

impl std::error::Error for ApiError {}

/// One answer, body read.
struct Answer {
    status: u16,
    body: String,
    next: Option<String>,
    retry_after: Option<u64>,
    rate: RateLimit,
}

/// A GitHub REST client with auditbook's retry and rate-limit policy.
pub struct Client {
    octocrab: Octocrab,
    runtime: tokio::runtime::Runtime,
    /// `api_url` without a trailing slash.
    base: String,
    token: Token,
    policy: Policy,
    rate: RefCell<RateLimit>,
    requests: Cell<u64>,
    seed: Cell<u64>,
    /// Where wait lines go (a progress bar's `println`, or stderr).
    notify: Box<dyn Fn(&str)>,
}

impl Client {
    /// A client for `api_url` (GitHub or a GitHub Enterprise Server's
    /// `https://HOST/api/v3`), on a single-threaded tokio runtime of its own.
    pub fn new(
        api_url: &str,
        token: Token,
        policy: Policy,
        notify: Box<dyn Fn(&str)>,
    ) -> anyhow::Result<Client> {
        let base = api_url.trim_end_matches('/').to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot start the HTTP runtime: {e}"))?;
        let octocrab = {
            // octocrab's builder spawns nothing, but hyper's client wants a
            // runtime in context.
            let _guard = runtime.enter();
            Octocrab::builder()
                .base_uri(base.as_str())
                .map_err(|e| anyhow::anyhow!("api_url {base} is not a valid URL: {e}"))?
                .personal_token(token.0.clone())
                .set_connect_timeout(Some(policy.timeout))
                .set_read_timeout(Some(policy.timeout))
                .add_header(
                    "x-github-api-version".parse().expect("a valid header name"),
                    "2022-11-28".to_string(),
                )
                .build()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot set up the GitHub client: {}",
                        token.scrub(&e.to_string())
                    )
                })?
        };
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15)
            | 1;
        Ok(Client {
            octocrab,
            runtime,
            base,
            token,
            policy,
            rate: RefCell::new(RateLimit::default()),
            requests: Cell::new(0),
            seed: Cell::new(seed),
            notify,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Every request made so far.
    pub fn requests(&self) -> u64 {
        self.requests.get()
    }

    /// The rate limit as last reported.
    pub fn rate_limit(&self) -> RateLimit {
        self.rate.borrow().clone()
    }

    /// One JSON object or array from `path` (relative to the API URL, with
    /// its query), recorded under `endpoint`.
    pub fn get<T: DeserializeOwned>(
        &self,
        calls: &mut Calls,
        endpoint: &str,
        path: &str,
    ) -> Result<T, ApiError> {
        calls.endpoints.insert(format!("GET {endpoint}"));
        let url = format!("{}{}", self.base, path);
        let answer = self.send(calls, &url)?;
        self.decode(&answer.body, &url)
    }

    /// Every page of a list, following `Link: rel="next"`. `items` takes
    /// each page's body (an array, or an object holding one) to its items;
    /// `more` sees each page and says whether to fetch the next (lists
    /// sorted newest first stop once they pass the period).
    pub fn get_all<T: DeserializeOwned, P: DeserializeOwned>(
        &self,
        calls: &mut Calls,
        endpoint: &str,
        path: &str,
        items: impl Fn(P) -> Vec<T>,
        mut more: impl FnMut(&[T]) -> bool,
    ) -> Result<Vec<T>, ApiError> {
        calls.endpoints.insert(format!("GET {endpoint}"));
        let mut url = format!("{}{}", self.base, path);
        let mut out = Vec::new();
        loop {
            let answer = self.send(calls, &url)?;
            let page: Vec<T> = items(self.decode(&answer.body, &url)?);
            let go_on = more(&page);
            out.extend(page);
            match answer.next {
                Some(next) if go_on => {
                    // The token goes to the configured API only, whatever
                    // a Link header points at.
                    if !next.starts_with(&format!("{}/", self.base)) {
                        return Err(ApiError::Failed {
                            message: format!(
                                "the next page is outside {} ({}); not following it",
                                self.base,
                                self.token.scrub(&next)
                            ),
                            url: self.token.scrub(&url),
                        });
                    }
                    url = next;
                }
                _ => return Ok(out),
            }
        }
    }

    fn decode<T: DeserializeOwned>(&self, body: &str, url: &str) -> Result<T, ApiError> {
        serde_json::from_str(body).map_err(|e| ApiError::Failed {
            message: format!("the answer is not the JSON expected: {e}"),
            url: self.token.scrub(url),
        })
    }

    /// Sends a GET until it succeeds, GitHub refuses it for good, or the
    /// attempts are spent.
    fn send(&self, calls: &mut Calls, url: &str) -> Result<Answer, ApiError> {
        let shown = self.token.scrub(url);
        let mut failures = 0u32;
        let mut rate_waits = 0u32;
        loop {
            self.wait_for_primary_reset(calls, &shown);
            calls.requests += 1;
            self.requests.set(self.requests.get() + 1);
            let outcome = self.once(url);
            let (answer, problem) = match outcome {
                Ok(answer) => {
                    if answer.rate.remaining.is_some() {
                        *self.rate.borrow_mut() = answer.rate.clone();
                    }
                    if (200..300).contains(&answer.status) {
                        return Ok(answer);
                    }
                    let message = github_message(&answer.body);
                    (Some(answer), message)
                }
                Err(message) => (None, message),
            };
            match &answer {
                Some(a) if a.status == 403 || a.status == 429 => {
                    let primary = a.rate.remaining == Some(0);
                    let secondary = a.retry_after.is_some()
                        || a.status == 429
                        || problem
                            .to_ascii_lowercase()
                            .contains("secondary rate limit");
                    if (primary || secondary) && rate_waits < self.policy.rate_limit_waits {
                        rate_waits += 1;
                        let (wait, why) = if let Some(seconds) = a.retry_after {
                            (
                                Duration::from_secs(seconds),
                                format!("secondary rate limit (retry-after {seconds} s)"),
                            )
                        } else if primary {
                            (
                                until_reset(a.rate.reset),
                                format!(
                                    "primary rate limit spent ({} requests), resets at {}",
                                    a.rate.limit.map_or("?".to_string(), |l| l.to_string()),
                                    reset_text(a.rate.reset)
                                ),
                            )
                        } else {
                            // GitHub asks for at least a minute when it
                            // names no time.
                            (
                                Duration::from_secs(60) * (1 << rate_waits.min(4)),
                                "secondary rate limit".to_string(),
                            )
                        };
                        calls.retries += 1;
                        self.wait(calls, wait, &why, &shown);
                        continue;
                    }
                    return Err(ApiError::Status {
                        status: a.status,
                        message: self.token.scrub(&problem),
                        url: shown,
                    });
                }
                Some(a) if a.status < 500 => {
                    return Err(ApiError::Status {
                        status: a.status,
                        message: self.token.scrub(&problem),
                        url: shown,
                    });
                }
                _ => {}
            }
            // 5xx, timeouts and transport errors: back off and retry.
            failures += 1;
            let what = match &answer {
                Some(a) => format!("HTTP {}{}", a.status, tail(&problem)),
                None => problem.clone(),
            };
            if failures >= self.policy.attempts {
                return Err(ApiError::Failed {
                    message: format!(
                        "gave up after {failures} attempts; the last: {}",
                        self.token.scrub(&what)
                    ),
                    url: shown,
                });
            }
            calls.retries += 1;
            let backoff = self.backoff(failures);
            self.wait(
                calls,
                backoff,
                &format!(
                    "{} (attempt {failures} of {})",
                    self.token.scrub(&what),
                    self.policy.attempts
                ),
                &shown,
            );
        }
    }

    /// Before a request: when the last answer left no request in the
    /// window, wait for it to reset rather than be refused.
    fn wait_for_primary_reset(&self, calls: &mut Calls, url: &str) {
        let rate = self.rate.borrow().clone();
        if rate.remaining == Some(0) {
            let wait = until_reset(rate.reset);
            if !wait.is_zero() {
                self.wait(
                    calls,
                    wait,
                    &format!(
                        "primary rate limit spent, resets at {}",
                        reset_text(rate.reset)
                    ),
                    url,
                );
            }
            // Whatever the wait, the next answer says how many are left.
            self.rate.borrow_mut().remaining = None;
        }
    }

    fn wait(&self, calls: &mut Calls, wanted: Duration, why: &str, url: &str) {
        let wait = wanted.min(self.policy.max_wait);
        let capped = if wait < wanted {
            format!(
                " (of {}; max_wait is {})",
                seconds(wanted),
                seconds(self.policy.max_wait)
            )
        } else {
            String::new()
        };
        (self.notify)(&format!(
            "waiting {}{capped}: {why}, before GET {url}",
            seconds(wait)
        ));
        calls.waited_ms += wait.as_millis() as u64;
        std::thread::sleep(wait);
    }

    /// Exponential back-off with full jitter between half and all of it.
    fn backoff(&self, failures: u32) -> Duration {
        let exp = self
            .policy
            .backoff
            .saturating_mul(1 << failures.saturating_sub(1).min(10));
        let capped = exp.min(Duration::from_secs(60)).min(self.policy.max_wait);
        // xorshift64: jitter needs no cryptographic randomness.
        let mut x = self.seed.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.set(x);
        let fraction = 0.5 + (x % 1000) as f64 / 2000.0;
        capped.mul_f64(fraction)
    }

    /// One GET with the per-request timeout; `Err` is a message.
    fn once(&self, url: &str) -> Result<Answer, String> {
        let octocrab = &self.octocrab;
        let timeout = self.policy.timeout;
        self.runtime
            .block_on(async move {
                let request = async {
                    let response = octocrab
                        ._get(url)
                        .await
                        .map_err(|e| format!("request failed: {}", error_chain(&e)))?;
                    let status = response.status().as_u16();
                    let headers = response.headers();
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(|v| v.trim().to_string())
                    };
                    let number = |name: &str| header(name).and_then(|v| v.parse::<u64>().ok());
                    let rate = RateLimit {
                        limit: number("x-ratelimit-limit"),
                        remaining: number("x-ratelimit-remaining"),
                        reset: header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()),
                        used: number("x-ratelimit-used"),
                        resource: header("x-ratelimit-resource"),
                    };
                    let next = header("link").and_then(|l| next_link(&l));
                    let retry_after = number("retry-after");
                    let body = octocrab
                        .body_to_string(response)
                        .await
                        .map_err(|e| format!("reading the answer failed: {}", error_chain(&e)))?;
                    Ok::<Answer, String>(Answer {
                        status,
                        body,
                        next,
                        retry_after,
                        rate,
                    })
                };
                match tokio::time::timeout(timeout, request).await {
                    Ok(result) => result,
                    Err(_) => Err(format!(
                        "no complete answer within {:.1} s",
                        timeout.as_secs_f64()
                    )),
                }
            })
            .map_err(|message| self.token.scrub(&message))
    }
}

/// `12 s`, `0.25 s`: whole seconds once they matter more than fractions.
fn seconds(duration: Duration) -> String {
    let s = duration.as_secs_f64();
    if s >= 10.0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} s", (s * 100.0).round() / 100.0)
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// GitHub's `message` from an error body, or the start of the body.
fn github_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| {
            body.chars()
                .take(200)
                .collect::<String>()
                .trim()
                .to_string()
        })
}

fn tail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn until_reset(reset: Option<i64>) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    match reset {
        // A second past the reset, for clocks that disagree a little.
        Some(reset) if reset >= now => Duration::from_secs((reset - now + 1) as u64),
        Some(_) => Duration::from_secs(1),
        None => Duration::from_secs(60),
    }
}

fn reset_text(reset: Option<i64>) -> String {
    reset
        .and_then(|r| chrono::DateTime::from_timestamp(r, 0))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "an unstated time".to_string())
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        (is_next && target.starts_with('<') && target.ends_with('>'))
            .then(|| target[1..target.len() - 1].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_link_among_others() {
        let header = r#"<https://api.github.com/repositories/1/issues?per_page=3&page=1>; rel="prev", <https://api.github.com/repositories/1/issues?per_page=3&page=3>; rel="next", <https://api.github.com/repositories/1/issues?per_page=3&page=5>; rel="last""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://api.github.com/repositories/1/issues?per_page=3&page=3")
        );
        assert_eq!(next_link(r#"<https://x/a>; rel="last""#), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn the_token_never_prints() {
        let token = Token("ghp_secretsecret".to_string());
        assert_eq!(format!("{token:?} {token}"), "Token([REDACTED]) [REDACTED]");
        assert_eq!(token.scrub("a ghp_secretsecret b"), "a [REDACTED] b");
    }

    #[test]
    fn github_messages_are_read_from_error_bodies() {
        assert_eq!(
            github_message(r#"{"message":"Branch not protected","documentation_url":"x"}"#),
            "Branch not protected"
        );
        assert_eq!(
            github_message("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }
}
