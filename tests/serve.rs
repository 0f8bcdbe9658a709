//! End-to-end tests of `journey serve`: the real binary, webhooks posted to it, the
//! fake Graph API (tests/src/fake_graph.rs) receiving what it sends.

use std::time::Duration;

use journey_tests::fake_graph::{Failure, FakeGraph};
use journey_tests::serve::{self, Options, Server, message, text_message};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

struct Setup {
    graph: FakeGraph,
    server: Server,
    _project: tempfile::TempDir,
    _data: tempfile::TempDir,
}

fn setup(time_scale: Option<f64>) -> Setup {
    setup_with(time_scale, &[])
}

/// The examples and these files beside them.
fn setup_with(time_scale: Option<f64>, files: &[(&str, &str)]) -> Setup {
    let graph = FakeGraph::start();
    let project = serve::examples_project();
    for (name, text) in files {
        std::fs::write(project.path().join(name), text).unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&Options {
        project: project.path(),
        database: &format!("sqlite://{}", data.path().join("journey.db").display()),
        graph_url: &graph.url,
        time_scale,
        extra: Default::default(),
    });
    Setup {
        graph,
        server,
        _project: project,
        _data: data,
    }
}

fn texts(requests: &[journey_tests::fake_graph::Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r.text().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn the_handshake_answers_the_challenge_only_with_the_token() {
    let s = setup(None);
    let (status, body) = s.server.get(
        "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=s3cret-token&hub.challenge=1158201444",
    );
    assert_eq!((status, body.as_str()), (200, "1158201444"));
    let (status, body) = s.server.get(
        "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444",
    );
    assert_eq!(status, 403);
    assert!(!body.contains("1158201444"));
    assert_eq!(s.server.get("/healthz").0, 200);
}

#[test]
fn a_contact_taps_buttons_and_a_list_row() {
    let s = setup(None);
    assert_eq!(
        s.server
            .post_signed(&text_message("27820000001", "wamid.A1", "hi")),
        200
    );
    let sent = s.graph.wait_for("the menu", WAIT, |r| r.len() == 1);
    let menu = &sent[0].body;
    assert_eq!(menu["to"], "27820000001");
    assert_eq!(menu["type"], "interactive");
    assert_eq!(menu["interactive"]["type"], "button");
    assert_eq!(
        menu["interactive"]["body"]["text"],
        "Hi Thandi! Welcome to the clinic helpline. What would you like help with?"
    );
    assert_eq!(
        sent[0].authorization,
        format!("Bearer {}", serve::ACCESS_TOKEN)
    );
    assert_eq!(sent[0].phone_number_id, serve::PHONE_NUMBER_ID);
    assert_eq!(menu["biz_opaque_callback_data"], "27820000001:1:0");
    let baby = &menu["interactive"]["action"]["buttons"][1]["reply"];
    assert_eq!(baby["title"], "My baby");
    // Tap "My baby" (a button_reply with the id we sent).
    let tap = json!({"type": "interactive", "interactive": {"type": "button_reply",
        "button_reply": {"id": baby["id"], "title": "My baby"}}});
    assert_eq!(
        s.server
            .post_signed(&message("27820000001", "wamid.A2", tap)),
        200
    );
    let sent = s.graph.wait_for("the baby card", WAIT, |r| r.len() == 3);
    assert!(
        texts(&sent)[1].trim_start().starts_with("*Your baby*"),
        "{:?}",
        texts(&sent)
    );
    assert_eq!(texts(&sent)[2], "Can I help with anything else?");

    // Another contact opens the list and picks a row.
    assert_eq!(
        s.server
            .post_signed(&text_message("27820000002", "wamid.B1", "topics")),
        200
    );
    let list = s.graph.wait_for("the list", WAIT, |r| r.len() == 4)[3]
        .body
        .clone();
    assert_eq!(list["interactive"]["type"], "list");
    let rows = &list["interactive"]["action"]["sections"][0]["rows"];
    let vaccines = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "Baby vaccines")
        .unwrap();
    let pick = json!({"type": "interactive", "interactive": {"type": "list_reply",
        "list_reply": {"id": vaccines["id"], "title": "Baby vaccines"}}});
    assert_eq!(
        s.server
            .post_signed(&message("27820000002", "wamid.B2", pick)),
        200
    );
    let sent = s
        .graph
        .wait_for("the vaccines card", WAIT, |r| r.len() == 6);
    assert!(
        texts(&sent)[4].starts_with("Babies get vaccines"),
        "{:?}",
        texts(&sent)
    );
    // Statuses move the sent message forward.
    let wamid = "wamid.FAKE1";
    let status = serve::envelope(json!({"messaging_product": "whatsapp",
        "metadata": {"phone_number_id": serve::PHONE_NUMBER_ID},
        "statuses": [{"id": wamid, "status": "read", "timestamp": "1", "recipient_id": "27820000001"}]}));
    assert_eq!(s.server.post_signed(&status), 200);
    let view = s.server.settled_contact("27820000001");
    assert_eq!(view["outbox"][0]["message_id"], wamid);
    assert_eq!(view["outbox"][0]["delivery"], "read");
}

#[test]
fn a_timeout_fires_when_time_moves_on_and_never_early() {
    // One real second is one journey hour: the 2h timeout passes in about 2 s.
    let s = setup(Some(3600.0));
    assert_eq!(
        s.server
            .post_signed(&text_message("27820000003", "wamid.C1", "weight")),
        200
    );
    s.graph.wait_for("the question", WAIT, |r| r.len() == 1);
    let sent = s
        .graph
        .wait_for("the nudge after 2h", WAIT, |r| r.len() == 2);
    assert!(
        texts(&sent)[1].starts_with("Still there?"),
        "{:?}",
        texts(&sent)
    );
    let view = s.server.settled_contact("27820000003");
    let journal = view["journal"].as_array().unwrap();
    let timer = journal
        .iter()
        .find(|j| j["kind"] == "timer")
        .expect("a timer step");
    let fire_at = timer["event"]["fire_at"].as_i64().unwrap();
    assert!(
        timer["at_ms"].as_i64().unwrap() >= fire_at,
        "never early: {timer}"
    );
    assert!(timer["event"]["fired_at"].as_i64().unwrap() >= fire_at);
    let asked = journal[0]["at_ms"].as_i64().unwrap();
    assert!(
        fire_at - asked >= 2 * 3_600_000 - 1000,
        "2h after the question"
    );
    // The 23h reminder is still pending.
    let pending: Vec<&Value> = view["timers"].as_array().unwrap().iter().collect();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["target"]["Card"]["card"], "Reminder");
}

#[test]
fn handoff_then_an_agent_reply_then_back_to_the_bot() {
    let s = setup(None);
    let contact = "27820000004";
    assert_eq!(
        s.server
            .post_signed(&text_message(contact, "wamid.D1", "hi")),
        200
    );
    s.graph.wait_for("the menu", WAIT, |r| r.len() == 1);
    assert_eq!(
        s.server
            .post_signed(&text_message(contact, "wamid.D2", "nurse")),
        200
    );
    s.server.settled_contact(contact);
    let (status, handoffs) = s.server.admin("GET", "/handoffs", None);
    assert_eq!(status, 200);
    assert_eq!(handoffs["handoffs"][0]["contact"], contact);
    assert_eq!(handoffs["handoffs"][0]["queue"], "nurses");
    // While with the agent, messages go to the agent, not the bot.
    assert_eq!(
        s.server
            .post_signed(&text_message(contact, "wamid.D3", "my baby has a fever")),
        200
    );
    s.server.settled_contact(contact);
    assert_eq!(s.graph.requests().len(), 1);
    let (status, _) = s.server.admin(
        "POST",
        &format!("/contacts/{contact}/reply"),
        Some(json!({"text": "Hi, nurse Ann here. How high is the fever?"})),
    );
    assert_eq!(status, 202);
    let sent = s
        .graph
        .wait_for("the agent's reply", WAIT, |r| r.len() == 2);
    assert_eq!(
        texts(&sent)[1],
        "Hi, nurse Ann here. How high is the fever?"
    );
    let (status, _) = s
        .server
        .admin("POST", &format!("/contacts/{contact}/return"), None);
    assert_eq!(status, 202);
    let sent = s.graph.wait_for("the menu again", WAIT, |r| r.len() == 3);
    assert_eq!(sent[2].body["interactive"]["type"], "button");
    s.server.settled_contact(contact);
    let (_, handoffs) = s.server.admin("GET", "/handoffs", None);
    assert_eq!(handoffs["handoffs"], json!([]));
    // Returning a contact who is not with an agent is refused.
    let (status, _) = s
        .server
        .admin("POST", &format!("/contacts/{contact}/return"), None);
    assert_eq!(status, 409);
}

#[test]
fn opting_out_cancels_timers_and_stops_later_messages() {
    // One real second is ten journey minutes: the 2h nudge would come 12 s after the
    // question, long after "stop" is handled even on a loaded machine.
    let s = setup(Some(600.0));
    let contact = "27820000005";
    assert_eq!(
        s.server
            .post_signed(&text_message(contact, "wamid.E1", "weight")),
        200
    );
    s.graph.wait_for("the question", WAIT, |r| r.len() == 1);
    assert_eq!(
        s.server
            .post_signed(&text_message(contact, "wamid.E2", "stop")),
        200
    );
    let sent = s.graph.wait_for("the confirmation", WAIT, |r| r.len() == 2);
    assert!(texts(&sent)[1].starts_with("You will not get any more messages"));
    let view = s.server.settled_contact(contact);
    assert_eq!(view["opted_out"], true);
    assert_eq!(view["timers"], json!([]), "every timer cancelled");
    // Past the nudge's time (2h 10m of journey time): nothing more was sent.
    std::thread::sleep(Duration::from_secs(13));
    assert_eq!(s.graph.sent_to(contact).len(), 2);
    // The business cannot start a journey for them.
    let (status, answer) = s.server.admin(
        "POST",
        "/start",
        Some(json!({"journey": "ClinicMenu", "contacts": [contact]})),
    );
    assert_eq!(status, 202);
    assert_eq!(answer["started"], json!([]));
    assert_eq!(answer["refused"][0]["reason"], "the contact opted out");
}

/// STOP from a contact with no run waiting (the journey ended) starts no journey, and
/// is still honoured (issue 15).
#[test]
fn stop_with_no_run_waiting_still_opts_out() {
    let s = setup(None);
    let contact = "27820000015";
    assert_eq!(
        s.server
            .post_signed(&text_message(contact, "wamid.S1", "STOP")),
        200
    );
    let view = s.server.settled_contact(contact);
    assert_eq!(view["opted_out"], true, "{view}");
    assert_eq!(s.graph.sent_to(contact).len(), 0);
}

#[test]
fn a_duplicate_delivery_gives_no_duplicate_step() {
    let s = setup(None);
    let body = text_message("27820000006", "wamid.F1", "hi");
    assert_eq!(s.server.post_signed(&body), 200);
    assert_eq!(
        s.server.post_signed(&body),
        200,
        "acknowledged again, so Meta stops"
    );
    s.graph.wait_for("the menu", WAIT, |r| !r.is_empty());
    let view = s.server.settled_contact("27820000006");
    assert_eq!(view["journal"].as_array().unwrap().len(), 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.graph.requests().len(), 1);
    let (_, metrics) = s.server.get("/metrics");
    assert!(
        metrics.contains("journey_inbound_messages_total{kind=\"duplicate\"} 1"),
        "{metrics}"
    );
}

#[test]
fn bad_signatures_malformed_and_oversized_bodies_store_nothing() {
    let s = setup(None);
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/journey-whatsapp/tests/fixtures/signature-vector.body"
    ))
    .unwrap();
    let good = "sha256=612a0224581cc76dc0e98b77d979d70992e4659159afc37842820585b4724517";
    let mut newline = body.clone();
    newline.push(b'\n');
    assert_eq!(s.server.post_webhook(&newline, Some(good)).0, 401);
    assert_eq!(s.server.post_webhook(&body, None).0, 401);
    assert_eq!(s.server.post_webhook(&body, Some("sha256=00")).0, 401);
    let (status, reason) = {
        let bad = b"{\"object\": ";
        let signature = journey_whatsapp::signature::sign(serve::APP_SECRET.as_bytes(), bad);
        s.server.post_webhook(bad, Some(&signature))
    };
    assert_eq!(status, 400);
    assert!(reason.contains("not valid JSON"), "{reason}");
    let huge = vec![b' '; 4 * 1024 * 1024];
    assert_eq!(s.server.post_signed(&huge), 413);
    let (status, _) = s.server.admin("GET", "/contacts/27820000001", None);
    assert_eq!(status, 404, "nothing stored");
    let (_, metrics) = s.server.get("/metrics");
    assert!(metrics.contains("journey_inbox_events 0"));
    assert!(metrics.contains("journey_contacts 0"));
    assert!(
        metrics.contains("journey_webhook_requests_total{result=\"unauthorized\"} 3"),
        "{metrics}"
    );
    // The signed vector itself is accepted.
    assert_eq!(s.server.post_webhook(&body, Some(good)).0, 200);
}

#[test]
fn throttled_sends_are_retried_and_permanent_errors_are_not() {
    let s = setup(None);
    s.graph.fail_next([Failure {
        status: 429,
        code: 130429,
    }]);
    assert_eq!(
        s.server
            .post_signed(&text_message("27820000007", "wamid.G1", "hi")),
        200
    );
    // The first attempt is throttled; the retry, after a backoff of 1–2 s, goes through.
    s.graph.wait_for("the retry", WAIT, |r| r.len() == 2);
    let view = s.server.settled_contact("27820000007");
    let deadline = std::time::Instant::now() + WAIT;
    let mut view = view;
    while view["outbox"][0]["state"] != "sent" && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        view = s.server.settled_contact("27820000007");
    }
    assert_eq!(view["outbox"][0]["state"], "sent");
    assert_eq!(view["outbox"][0]["attempts"], 2);
    let requests = s.graph.requests();
    assert_eq!(
        requests[0].key(),
        requests[1].key(),
        "the same idempotency key"
    );

    s.graph.fail_next([Failure {
        status: 400,
        code: 131047,
    }]);
    assert_eq!(
        s.server
            .post_signed(&text_message("27820000008", "wamid.H1", "hi")),
        200
    );
    s.graph.wait_for("the refused send", WAIT, |r| r.len() == 3);
    std::thread::sleep(Duration::from_millis(500));
    let view = s.server.settled_contact("27820000008");
    assert_eq!(view["outbox"][0]["state"], "dead");
    assert!(
        view["outbox"][0]["error"]
            .as_str()
            .unwrap()
            .contains("131047")
    );
    assert_eq!(s.graph.requests().len(), 3, "not retried");
}

#[test]
fn deploying_a_new_version_keeps_runs_in_flight_on_theirs() {
    let s = setup(None);
    let contact = "27820000009";
    assert_eq!(
        s.server
            .post_signed(&text_message(contact, "wamid.I1", "hi")),
        200
    );
    s.graph.wait_for("the menu", WAIT, |r| r.len() == 1);
    let before = s.server.settled_contact(contact)["state"]["h"].clone();
    let path = s._project.path().join("buttons_menu.journey");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("Our clinics are open", "The clinics are open"),
    )
    .unwrap();
    let (status, deployed) = s.server.admin("POST", "/deploy", None);
    assert_eq!(status, 200, "{deployed}");
    let (_, versions) = s.server.admin("GET", "/journeys", None);
    let clinic: Vec<&Value> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["journey"] == "ClinicMenu")
        .collect();
    assert_eq!(clinic.len(), 2, "both versions listed: {versions}");
    assert_ne!(clinic[0]["version"], clinic[1]["version"]);
    // The run in flight finishes on its version: the old text.
    let tap = json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "Clinic", "title": "Clinic hours"}}});
    assert_eq!(
        s.server.post_signed(&message(contact, "wamid.I2", tap)),
        200
    );
    let sent = s.graph.wait_for("the clinic card", WAIT, |r| r.len() >= 2);
    assert!(
        texts(&sent)[1].starts_with("Our clinics are open"),
        "{:?}",
        texts(&sent)
    );
    assert_eq!(s.server.settled_contact(contact)["state"]["h"], before);
    // A journey with errors is refused.
    std::fs::write(&path, "card Broken, then: Nowhere do\n text(\"x\")\nend\n").unwrap();
    let (status, refused) = s.server.admin("POST", "/deploy", None);
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("Nowhere"));
}

#[test]
fn admin_calls_need_the_token_and_sigterm_stops_cleanly() {
    let s = setup(None);
    let response = reqwest::blocking::Client::new()
        .get(format!("{}/admin/handoffs", s.server.url))
        .bearer_auth("wrong")
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let status = s.server.terminate();
    assert!(status.success(), "{status:?}");
}

/// The `user_preferences` webhook (fixture 19): a contact who stops marketing messages
/// in WhatsApp is recorded as such, and a later `resume` lifts it.
#[test]
fn the_marketing_preference_webhook_is_recorded() {
    let s = setup(None);
    let contact = "27820000001";
    let preference = |value: &str, timestamp: u64| {
        serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "user_preferences", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": serve::PHONE_NUMBER_ID},
                "contacts": [{"profile": {"name": "Thandi"}, "wa_id": contact}],
                "user_preferences": [{
                    "wa_id": contact,
                    "detail": "User requested to stop marketing messages",
                    "category": "marketing_messages",
                    "value": value,
                    "timestamp": timestamp
                }]
            }}]}]
        }))
        .unwrap()
    };
    let opted_out = |s: &Setup| {
        let (status, view) = s.server.admin("GET", &format!("/contacts/{contact}"), None);
        assert_eq!(status, 200, "{view}");
        view["marketing_opted_out"].clone()
    };
    assert_eq!(
        s.server.post_signed(&preference("stop", 1_767_300_000)),
        200
    );
    assert_eq!(opted_out(&s), json!(true));
    assert_eq!(
        s.server.post_signed(&preference("resume", 1_767_300_060)),
        200
    );
    assert_eq!(opted_out(&s), json!(false));
}

/// A business-initiated start through the admin API: the journey opens with its
/// approved template, sent to the contact as a template message.
#[test]
fn the_admin_api_starts_a_journey_that_opens_with_a_template() {
    let s = setup_with(
        None,
        &[(
            "register.journey",
            r#"stack Register do
  trigger(on: "MESSAGE RECEIVED") when has_any_phrase(event.message.text.body, ["register"])

  card Clinic do
    update_contact(clinic_name: "Hillbrow Clinic")
    text("You are registered at Hillbrow Clinic.")
  end
end
"#,
        )],
    );
    let contact = "27820000009";
    let start = || {
        s.server.admin(
            "POST",
            "/start",
            Some(json!({"journey": "PostnatalCheckup", "contacts": [contact]})),
        )
    };
    // The template's parameters are the contact's name and clinic: unknown yet, so
    // the start is refused rather than sending a template with blanks.
    let (status, answer) = start();
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["started"], json!([]), "{answer}");
    assert!(
        answer["refused"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("parameter 1 would be empty")),
        "{answer}"
    );
    // The contact registers (a journey of the test's that sets the clinic; the
    // profile gives the name), then the start goes through.
    assert_eq!(
        s.server
            .post_signed(&text_message(contact, "wamid.reg", "register")),
        200
    );
    s.graph
        .wait_for("the registration", WAIT, |r| !r.is_empty());
    s.server.settled_contact(contact);
    let (status, answer) = start();
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["started"], json!([contact]), "{answer}");
    let sent = s.graph.wait_for("the template", WAIT, |r| r.len() == 2);
    let sent = &sent[1..];
    assert_eq!(sent[0].to(), contact);
    assert_eq!(sent[0].body["type"], "template", "{:?}", sent[0].body);
    assert_eq!(sent[0].body["template"]["name"], "postnatal_checkup");
}
