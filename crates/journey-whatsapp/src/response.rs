//! What `POST /messages` answered (fixtures 27, 28), and what to do about a failure
//! (§1.4, courier's classification).

use serde_json::Value;

use crate::webhook::{ApiError, api_error};

/// The outcome of one send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Meta took the message and named it.
    Accepted {
        message_id: String,
    },
    Failed(Failure),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub class: Class,
    /// Meta's error code, when it gave one.
    pub code: Option<i64>,
    pub message: String,
}

/// What a failure asks of the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// The business number is over its throughput: slow every send from it down.
    Throttle,
    /// Too many messages to this one recipient (131056): slow down for them.
    PairThrottle,
    /// Worth trying again later, with backoff.
    Retry,
    /// Trying again cannot help (bad request, re-engagement outside the window, …).
    Permanent,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Throttle => "throttle",
            Class::PairThrottle => "pair_throttle",
            Class::Retry => "retry",
            Class::Permanent => "permanent",
        }
    }
}

const THROTTLE: [i64; 5] = [4, 80007, 130429, 131048, 133016];
const PAIR_THROTTLE: i64 = 131056;
/// Media upload error, number being upgraded, and Graph's own transient errors.
const RETRY: [i64; 4] = [131053, 131057, 1, 2];

/// Reads an HTTP answer to a send.
pub fn classify(status: u16, body: &[u8]) -> Answer {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        let id = json
            .as_ref()
            .and_then(|j| j.get("messages")?.get(0)?.get("id")?.as_str());
        return match id {
            Some(id) => Answer::Accepted {
                message_id: id.to_owned(),
            },
            // Taken, but we cannot tell by what name: sending again may duplicate,
            // yet not sending may lose it. Retry; the status webhooks will tell.
            None => Answer::Failed(Failure {
                class: Class::Retry,
                code: None,
                message: format!("HTTP {status} without a message id"),
            }),
        };
    }
    let error = json.as_ref().and_then(|j| j.get("error")).map(api_error);
    Answer::Failed(failure(status, error))
}

/// A failure from its HTTP status and Graph error, if any.
pub fn failure(status: u16, error: Option<ApiError>) -> Failure {
    let code = error.as_ref().map(|e| e.code);
    let class = match code {
        Some(code) if THROTTLE.contains(&code) => Class::Throttle,
        Some(PAIR_THROTTLE) => Class::PairThrottle,
        Some(code) if RETRY.contains(&code) => Class::Retry,
        _ if status == 429 => Class::Throttle,
        _ if status >= 500 || status == 408 => Class::Retry,
        _ => Class::Permanent,
    };
    let message = match &error {
        Some(error) => format!("HTTP {status}, error {}: {}", error.code, error.message),
        None => format!("HTTP {status}"),
    };
    Failure {
        class,
        code,
        message,
    }
}

/// A status webhook's error (a `failed` status) in the same classes.
pub fn classify_status_error(error: &ApiError) -> Class {
    failure(200, Some(error.clone())).class
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(code: i64) -> Vec<u8> {
        format!(r#"{{"error":{{"message":"x","code":{code},"error_data":{{"details":"d"}}}}}}"#)
            .into_bytes()
    }

    #[test]
    fn classes() {
        assert_eq!(
            classify(400, &graph(130429)),
            Answer::Failed(Failure {
                class: Class::Throttle,
                code: Some(130429),
                message: "HTTP 400, error 130429: d".into()
            })
        );
        let class = |status, body: &[u8]| match classify(status, body) {
            Answer::Failed(f) => f.class,
            Answer::Accepted { .. } => panic!("accepted"),
        };
        assert_eq!(class(400, &graph(131056)), Class::PairThrottle);
        assert_eq!(class(400, &graph(131053)), Class::Retry);
        assert_eq!(class(400, &graph(131047)), Class::Permanent);
        assert_eq!(class(400, &graph(100)), Class::Permanent);
        assert_eq!(class(429, b"not json"), Class::Throttle);
        assert_eq!(class(503, b""), Class::Retry);
        assert_eq!(class(200, b"{}"), Class::Retry);
    }
}
