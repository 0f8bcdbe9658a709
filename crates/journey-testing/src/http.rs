//! Fake HTTP: canned responses for the requests a journey makes, so tests need no network.

use journey_runtime::HttpRequest;

/// `GET https://api.example.org/pages/* -> 200 {"title": "Rest"}`: requests with this
/// method whose URL matches the pattern get this status and JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct Fixture {
    pub method: String,
    /// A URL where `*` stands for any run of characters. Without a `?`, it is matched
    /// against the URL without its query parameters.
    pub pattern: String,
    pub status: u16,
    pub body: serde_json::Value,
}

impl Fixture {
    pub fn matches(&self, request: &HttpRequest) -> bool {
        let url = if self.pattern.contains('?') {
            full_url(request)
        } else {
            request.url.split('?').next().unwrap_or_default().to_owned()
        };
        self.method.eq_ignore_ascii_case(&request.method) && glob(&self.pattern, &url)
    }
}

/// The fixture that answers a request: the last one written that matches, so that a
/// test case can override the file's header.
pub fn answer<'f>(fixtures: &'f [Fixture], request: &HttpRequest) -> Option<&'f Fixture> {
    fixtures.iter().rev().find(|f| f.matches(request))
}

/// The URL with the query parameters the journey passed separately.
pub fn full_url(request: &HttpRequest) -> String {
    let query: Vec<String> = request
        .query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    match (query.is_empty(), request.url.contains('?')) {
        (true, _) => request.url.clone(),
        (false, true) => format!("{}&{}", request.url, query.join("&")),
        (false, false) => format!("{}?{}", request.url, query.join("&")),
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, url: &str, query: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            id: "http-1".to_owned(),
            method: method.to_owned(),
            url: url.to_owned(),
            headers: Vec::new(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: None,
            timeout: 5_000,
        }
    }

    fn fixture(method: &str, pattern: &str, status: u16) -> Fixture {
        Fixture {
            method: method.to_owned(),
            pattern: pattern.to_owned(),
            status,
            body: serde_json::Value::Null,
        }
    }

    #[test]
    fn globs() {
        assert!(glob("https://a/*", "https://a/pages/1"));
        assert!(glob("https://a/*/x", "https://a/1/x"));
        assert!(!glob("https://a/*/x", "https://a/1/y"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "abc"));
        assert!(glob("a*bc", "abc"));
        assert!(!glob("ab*bc", "abc"), "parts may not overlap");
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exact/more"));
    }

    #[test]
    fn method_and_query_matter() {
        let get = request("get", "https://a/pages", &[("lang", "en")]);
        assert!(
            fixture("GET", "https://a/pages", 200).matches(&get),
            "no `?`: query ignored"
        );
        assert!(fixture("GET", "https://a/pages?lang=en", 200).matches(&get));
        assert!(!fixture("GET", "https://a/pages?lang=zu", 200).matches(&get));
        assert!(!fixture("POST", "https://a/pages", 200).matches(&get));
        assert_eq!(full_url(&get), "https://a/pages?lang=en");
    }

    #[test]
    fn the_last_matching_fixture_wins() {
        let fixtures = [
            fixture("GET", "https://a/*", 200),
            fixture("GET", "https://a/down", 503),
        ];
        assert_eq!(
            answer(&fixtures, &request("GET", "https://a/down", &[]))
                .unwrap()
                .status,
            503
        );
        assert_eq!(
            answer(&fixtures, &request("GET", "https://a/up", &[]))
                .unwrap()
                .status,
            200
        );
        assert!(answer(&fixtures, &request("GET", "https://b/", &[])).is_none());
    }
}
