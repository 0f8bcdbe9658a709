//! ARCHITECTURE invariant 8 against the real `journey serve`: a secret reaches the
//! service a journey calls, and nothing else: not the database (outbox, journal, run
//! state), not the admin API, not the contact.

use std::time::Duration;

use journey_tests::fake_graph::FakeGraph;
use journey_tests::serve::{Extra, Options, Server, text_message};

const TOKEN: &str = "tok-9f8e7d6c5b4a-very-secret";
const CONTACT: &str = "27820000001";

#[test]
fn a_secret_is_sent_to_the_api_and_stored_nowhere() {
    let graph = FakeGraph::start();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("journey.toml"),
        "[project]\nname = \"secrets\"\n\n[secrets]\nnames = [\"API_TOKEN\"]\n",
    )
    .unwrap();
    std::fs::write(
        project.path().join("lookup.journey"),
        format!(
            "stack Lookup do\n  trigger(on: \"MESSAGE RECEIVED\") when has_any_phrase(event.message.text.body, [\"clinic\"])\n\n  card Start do\n    token = secret(\"API_TOKEN\")\n    found = get(\"{}/api/clinics\", query: [[\"key\", token]], headers: [[\"Authorization\", \"Bearer @(secret('API_TOKEN'))\"]])\n    text(\"Found: @found.body.ok\")\n  end\nend\n",
            graph.url
        ),
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&Options {
        project: project.path(),
        database: &format!("sqlite://{}", data.path().join("journey.db").display()),
        graph_url: &graph.url,
        time_scale: None,
        extra: Extra {
            env: &[("JOURNEY_SECRET_API_TOKEN", TOKEN)],
            ..Extra::default()
        },
    });
    assert_eq!(
        server.post_signed(&text_message(CONTACT, "wamid.secret.1", "clinic")),
        200
    );
    let sent = graph.wait_for(
        "the answer after the lookup",
        Duration::from_secs(20),
        |r| !r.is_empty(),
    );
    assert_eq!(sent[0].text(), Some("Found: true"));

    // The service got the value, in the query and the header.
    let calls = graph.api_requests();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].uri, format!("/api/clinics?key={TOKEN}"));
    assert_eq!(calls[0].authorization, format!("Bearer {TOKEN}"));

    // The admin API shows the run's state with the placeholder.
    let (status, contact) = server.admin("GET", &format!("/contacts/{CONTACT}"), None);
    assert_eq!(status, 200);
    let contact = contact.to_string();
    assert!(!contact.contains(TOKEN), "{contact}");
    assert!(contact.contains("[secret:API_TOKEN]"), "{contact}");

    // Nor is it anywhere in the database's files (outbox bodies, journal effects, runs).
    drop(server);
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(data.path()).unwrap() {
        stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(!stored.contains(TOKEN), "the token is in the database");
    assert!(stored.contains("[secret:API_TOKEN]"));
    // The message to the contact never had it either.
    assert!(
        graph
            .requests()
            .iter()
            .all(|r| !r.body.to_string().contains(TOKEN))
    );
}
